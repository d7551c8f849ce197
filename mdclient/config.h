/* mdclient/config.h - turn a SOURCE plus options into connection settings.
 *
 * SOURCE forms:
 *   md:                the MotherDuck workspace (every database); dbname "md:"
 *   md:<db>            the workspace with <db> current; dbname "<db>"
 *   postgresql://...   a libpq URI (also postgres://)
 *   key=value ...      a libpq keyword/value DSN
 * A URI or DSN whose dbname is md: or md:<db> means the workspace too.
 * A SOURCE that holds a password is refused (-EINVAL, "use token_file").
 *
 * Host: options->host, else the URI/DSN's host, else for md: sources
 * MotherDuck's endpoint for options->region (default "us-east-1"):
 * "pg.<region>-aws.motherduck.com" for AWS regions (they contain a dash:
 * us-east-1, eu-central-1), "pg.<region>-azure.motherduck.com" for Azure ones
 * (no dash: eastus, uksouth); "<region>-aws" / "<region>-azure" name the
 * cloud explicitly.
 * Port: options->port, else the DSN's, else 5432.
 * TLS: sslmode defaults to verify-full for every host (require only when the
 * user asks); sslrootcert defaults to the system CA bundle
 * (/etc/ssl/certs/ca-certificates.crt) when sslmode is verify-ca/verify-full.
 * Token (the password), first found wins: options->token,
 * $MOTHERDUCK_TOKEN, $motherduck_token,
 * options->token_file (first line, trailing whitespace removed), $PGPASSWORD,
 * then nothing: libpq itself then uses ~/.pgpass. The config keeps its own
 * copy, so the caller may clear those variables once the config is made.
 * Deadlines: connect_timeout (default 10 s); TCP keepalives always on (idle
 * 30 s, interval 10 s, count 3) and tcp_user_timeout (60 s: unacknowledged
 * data ends the connection); statement_timeout (default 0 = none) applied
 * after connecting; io_timeout (default 30 s): the longest a statement's
 * answer is waited for beyond statement_timeout.
 * options->token_file (first line, trailing whitespace removed), then nothing:
 * libpq itself then uses $PGPASSWORD or ~/.pgpass.
 * Deadlines: connect_timeout (default 10 s), TCP keepalives always on,
 * statement_timeout (default 0 = none) applied after connecting,
 * queue_timeout (default 120 s) for a connection of the pool to come free.
 */
#ifndef MDCLIENT_CONFIG_H
#define MDCLIENT_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include "mdclient/common.h"
#include "mdclient/error.h"

/* The longest timeout a caller should turn into mdc_options (a day): its
 * milliseconds then fit an int. */
#define MDC_MAX_TIMEOUT_S 86400

typedef struct mdc_options {
	const char *host;          /* NULL = from the source / default */
	const char *region;        /* MotherDuck region, e.g. "us-east-1" */
	const char *port;
	const char *user;          /* default "postgres" for md: sources */
	const char *sslmode;
	const char *sslrootcert;
	const char *token_file;
	int connect_timeout_s;     /* <= 0: 10 */
	int statement_timeout_ms;  /* <= 0: none */
	int io_timeout_s;          /* <= 0: 30 */
	int queue_timeout_s;       /* <= 0: 120 (waiting for a busy pooled connection) */
	const char *application_name; /* NULL: "mdfs" */
	const char *token;         /* NULL: the rules above; else this token, before
	                            * $MOTHERDUCK_TOKEN (mdfs seed --project: a
	                            * profile's env_var() password) */
} mdc_options;

typedef struct mdc_config mdc_config;

/* Parse source + opts into a new config (*out, free with mdc_config_free).
 * opts may be NULL. Strings are copied; the caller keeps ownership of its own.
 * Returns 0, or -EINVAL (bad source, password in source), -ENOENT/-EACCES
 * (token_file unreadable). */
int mdc_config_new(const char *source, const mdc_options *opts,
		   mdc_config **out, mdc_error *err) MDC_MUSTCHECK;
/* Wipes the token from memory and frees. NULL is fine. */
void mdc_config_free(mdc_config *cfg);

/* The database named by the source: "" for "md:" (workspace default), the
 * db for md:<db>, the DSN's dbname otherwise. Owned by cfg. */
const char *mdc_config_dbname(const mdc_config *cfg);
/* A source without a database (not md:) connects to libpq's default one:
 * record its name (from a connection, mdc_conn_dbname) as the config's
 * database. Does nothing when the source named one. Returns 0 or -ENOMEM. */
int mdc_config_settle_dbname(mdc_config *cfg, const char *dbname) MDC_MUSTCHECK;
/* True for md: sources, and URIs/DSNs with dbname md:[db] (workspace
 * semantics: one connection sees all dbs). */
int mdc_config_is_motherduck(const mdc_config *cfg);
/* A description without any secret, e.g. "md:my_db" or
 * "postgresql://user@host:5432/db" - used as the fsname in /proc/mounts. Owned by cfg. */
const char *mdc_config_display(const mdc_config *cfg);
/* Resolved values, owned by cfg. */
const char *mdc_config_host(const mdc_config *cfg);
/* For a MotherDuck source: a sentence to add to an authentication failure
 * (a token of another region is refused too). NULL for other sources.
 * Static storage. */
const char *mdc_config_auth_hint(const mdc_config *cfg);
const char *mdc_config_port(const mdc_config *cfg);
int mdc_config_connect_timeout(const mdc_config *cfg);
int mdc_config_statement_timeout_ms(const mdc_config *cfg);
/* How long one statement's answer is waited for, in ms: io_timeout plus
 * statement_timeout. */
int64_t mdc_config_answer_timeout_ms(const mdc_config *cfg);
/* How long a statement may wait for another session's lock, in ms: half of
 * io_timeout, so the server gives up the wait (and rolls back) well before
 * the answer's deadline; see mdc_dialect_impl.session_locks_sql. */
int mdc_config_lock_timeout_ms(const mdc_config *cfg);
/* How long a borrower waits for a pooled connection that is busy (queueing,
 * like pgbouncer's query_wait_timeout), in seconds. */
int mdc_config_queue_timeout(const mdc_config *cfg);

/* ---- mdclient-internal (conn.c); fs/ never calls these. ---- */

/* Room needed in the arrays given to mdc_config_libpq_params. */
#define MDC_CONFIG_MAX_PARAMS 64

/* Fill kw/val (cap entries, NULL-terminated) with the keywords for
 * PQconnectStartParams/PQconnectdbParams (expand_dbname = 0): every resolved
 * setting, "dbname" (dbname NULL: the config's; "" on md: sources: "md:") and
 * the token as "password" when there is one. The strings are owned by cfg (or
 * are dbname itself) and stay valid while both live; the caller owns only the
 * arrays. Returns the number of pairs filled. Never fails. */
size_t mdc_config_libpq_params(const mdc_config *cfg, const char *dbname,
			       const char **kw, const char **val, size_t cap);

/* Replace, in place, every occurrence of the token in text with "***"
 * (defence in depth for server- or libpq-provided error text). */
void mdc_config_scrub(const mdc_config *cfg, char *text);

#endif
