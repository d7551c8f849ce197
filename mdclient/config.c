/* mdclient/config.c - SOURCE + options -> libpq connection settings.
 * See config.h for the rules. The token lives only in cfg->token (wiped on
 * free) and is handed to libpq as the "password" keyword; it never enters a
 * conninfo string, a message or the display string. */
#include "mdclient/config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mdclient/log.h"
#include "mdclient/str.h"

#define DEFAULT_REGION "us-east-1"
#define DEFAULT_PORT "5432"
#define DEFAULT_SSLMODE "verify-full"
#define SYSTEM_CA_BUNDLE "/etc/ssl/certs/ca-certificates.crt"
#define DEFAULT_CONNECT_TIMEOUT 10
#define DEFAULT_IO_TIMEOUT 30
#define DEFAULT_QUEUE_TIMEOUT 120
#define TOKEN_FILE_MAX 65536

struct mdc_config {
	char **kw;          /* libpq keywords, without dbname and password */
	char **val;
	size_t n, cap;
	char *dbname;       /* see mdc_config_dbname */
	char *token;        /* NULL when none; wiped on free */
	char *display;
	int is_md;
	int connect_timeout;
	int statement_timeout_ms;
	int io_timeout_s;
	int queue_timeout;
};

static const char *param_get(const mdc_config *cfg, const char *key)
{
	for (size_t i = 0; i < cfg->n; i++)
		if (strcmp(cfg->kw[i], key) == 0)
			return cfg->val[i];
	return NULL;
}

/* Set (replace or append) a keyword. Returns 0 or -ENOMEM. */
static int param_set(mdc_config *cfg, const char *key, const char *value)
{
	char *v = strdup(value);
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < cfg->n; i++) {
		if (strcmp(cfg->kw[i], key) == 0) {
			free(cfg->val[i]);
			cfg->val[i] = v;
			return 0;
		}
	}
	if (cfg->n == cfg->cap) {
		size_t ncap = cfg->cap ? cfg->cap * 2 : 16;
		char **nk = realloc(cfg->kw, ncap * sizeof *nk);
		if (!nk)
			goto oom;
		cfg->kw = nk;
		char **nv = realloc(cfg->val, ncap * sizeof *nv);
		if (!nv)
			goto oom;
		cfg->val = nv;
		cfg->cap = ncap;
	}
	cfg->kw[cfg->n] = strdup(key);
	if (!cfg->kw[cfg->n])
		goto oom;
	cfg->val[cfg->n] = v;
	cfg->n++;
	return 0;
oom:
	free(v);
	return -ENOMEM;
}

static void wipe_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

void mdc_config_free(mdc_config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->n; i++) {
		free(cfg->kw[i]);
		free(cfg->val[i]);
	}
	free(cfg->kw);
	free(cfg->val);
	free(cfg->dbname);
	wipe_free(cfg->token);
	free(cfg->display);
	free(cfg);
}

/* True when the URI's authority has "user:password@". */
static int uri_has_password(const char *src)
{
	const char *p = strstr(src, "://");
	if (!p)
		return 0;
	p += 3;
	size_t auth = strcspn(p, "/?#");
	const char *at = memchr(p, '@', auth);
	if (!at)
		return 0;
	/* The last '@' ends the user info (a percent-encoded '@' is %40). */
	for (const char *q = at + 1; q < p + auth; q++)
		if (*q == '@')
			at = q;
	return memchr(p, ':', (size_t)(at - p)) != NULL;
}

static int refuse_password(mdc_error *err)
{
	return mdc_error_set(err, EINVAL,
			     "the source holds a password: remove it and put the token in "
			     "$MOTHERDUCK_TOKEN or in a file named by the token_file option");
}

/* Parse a URI or DSN with libpq and keep its options (dbname separately). */
static int parse_conninfo(mdc_config *cfg, const char *src, int is_uri, mdc_error *err)
{
	char *errmsg = NULL;

	if (is_uri && uri_has_password(src))
		return refuse_password(err);
	PQconninfoOption *opts = PQconninfoParse(src, &errmsg);
	if (!opts) {
		int rc;
		if (strstr(src, "password"))  /* libpq may quote a piece of the source */
			rc = mdc_error_set(err, EINVAL, "invalid connection %s",
					   is_uri ? "URI" : "string");
		else
			rc = mdc_error_set(err, EINVAL, "invalid connection %s: %s",
					   is_uri ? "URI" : "string",
					   errmsg ? errmsg : "out of memory");
		if (errmsg)
			PQfreemem(errmsg);
		return rc;
	}
	int rc = 0;
	for (PQconninfoOption *o = opts; o->keyword; o++) {
		if (!o->val)
			continue;
		if (strcmp(o->keyword, "password") == 0) {
			rc = refuse_password(err);
			break;
		}
		if (strcmp(o->keyword, "dbname") == 0) {
			free(cfg->dbname);
			cfg->dbname = strdup(o->val);
			if (!cfg->dbname) {
				rc = mdc_error_set(err, ENOMEM, "out of memory");
				break;
			}
			continue;
		}
		if (param_set(cfg, o->keyword, o->val) < 0) {
			rc = mdc_error_set(err, ENOMEM, "out of memory");
			break;
		}
	}
	/* Scrub libpq's copy: a refused password must not linger in freed memory. */
	for (PQconninfoOption *o = opts; o->keyword; o++)
		if (o->val && strcmp(o->keyword, "password") == 0)
			explicit_bzero(o->val, strlen(o->val));
	PQconninfoFree(opts);
	return rc;
}

static int valid_region(const char *r)
{
	if (!*r || strlen(r) > 64 || *r == '-')
		return 0;
	for (const char *p = r; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-')
			return 0;
	return 1;
}

/* MotherDuck's endpoint for a region: pg.<region>-aws.motherduck.com for AWS
 * regions (us-east-1: they have dashes), pg.<region>-azure.motherduck.com for
 * Azure ones (eastus, uksouth: no dash); a region already naming its cloud
 * (eu-central-1-aws, eastus-azure) is taken as it is. */
static void region_host(const char *region, char *host, size_t size)
{
	const char *cloud = mdc_has_suffix(region, "-aws") || mdc_has_suffix(region, "-azure") ? "" :
			    strchr(region, '-') ? "-aws" : "-azure";
	snprintf(host, size, "pg.%s%s.motherduck.com", region, cloud);
}

/* Read the first line of path into *out (trailing whitespace removed). */
static int read_token_file(const char *path, char **out, mdc_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		int errnum = (e == ENOENT || e == ENOTDIR) ? ENOENT :
			     (e == EACCES || e == EPERM) ? EACCES : EIO;
		return mdc_error_set(err, errnum, "token_file %s: %s", path, strerror(e));
	}
	char *buf = malloc(TOKEN_FILE_MAX + 1);
	if (!buf) {
		close(fd);
		return mdc_error_set(err, ENOMEM, "out of memory");
	}
	size_t len = 0;
	int rc = 0;
	while (len < TOKEN_FILE_MAX) {
		ssize_t r = read(fd, buf + len, TOKEN_FILE_MAX - len);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			rc = mdc_error_set(err, e == EACCES ? EACCES : EIO, "token_file %s: %s",
					   path, strerror(e));
			break;
		}
		if (r == 0)
			break;
		if (memchr(buf + len, '\n', (size_t)r)) {
			len += (size_t)r;
			break;
		}
		len += (size_t)r;
	}
	close(fd);
	if (rc == 0) {
		buf[len] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		size_t tl = strlen(buf);
		while (tl > 0 && isspace((unsigned char)buf[tl - 1]))
			buf[--tl] = '\0';
		if (tl == 0) {
			rc = mdc_error_set(err, EINVAL, "token_file %s: the first line is empty", path);
		} else {
			*out = strdup(buf);
			if (!*out)
				rc = mdc_error_set(err, ENOMEM, "out of memory");
		}
	}
	explicit_bzero(buf, TOKEN_FILE_MAX + 1);
	free(buf);
	return rc;
}

static int resolve_token(mdc_config *cfg, const mdc_options *o, mdc_error *err)
{
	const char *env = o && o->token && *o->token ? o->token : getenv("MOTHERDUCK_TOKEN");
	if (!env || !*env)
		env = getenv("motherduck_token");
	if (env && *env) {
		cfg->token = strdup(env);
		return cfg->token ? 0 : mdc_error_set(err, ENOMEM, "out of memory");
	}
	if (o && o->token_file && *o->token_file)
		return read_token_file(o->token_file, &cfg->token, err);
	/* Kept here (libpq would read it again at every connect), so the
	 * daemon can clear the variable from its environment. */
	env = getenv("PGPASSWORD");
	if (env && *env) {
		cfg->token = strdup(env);
		return cfg->token ? 0 : mdc_error_set(err, ENOMEM, "out of memory");
	}
	return 0; /* libpq falls back to ~/.pgpass */
}

/* Append s to the display buffer, percent-encoding what is not plainly safe. */
static void display_append(char *buf, size_t size, const char *s, const char *safe)
{
	size_t off = strlen(buf);
	for (const unsigned char *p = (const unsigned char *)s; *p && off + 4 < size; p++) {
		if (isalnum(*p) || strchr("-._~", *p) || (safe && strchr(safe, *p)))
			buf[off++] = (char)*p;
		else
			off += (size_t)snprintf(buf + off, size - off, "%%%02X", *p);
	}
	buf[off] = '\0';
}

static int build_display(mdc_config *cfg)
{
	char buf[1024];
	if (cfg->is_md) {
		snprintf(buf, sizeof buf, "md:");
		display_append(buf, sizeof buf, cfg->dbname, NULL);
	} else {
		const char *user = param_get(cfg, "user");
		const char *host = param_get(cfg, "host");
		if (!host)
			host = param_get(cfg, "hostaddr");
		snprintf(buf, sizeof buf, "postgresql://");
		if (user) {
			display_append(buf, sizeof buf, user, NULL);
			display_append(buf, sizeof buf, "@", "@");
		}
		if (host)
			display_append(buf, sizeof buf, host, ":[],");
		display_append(buf, sizeof buf, ":", ":");
		display_append(buf, sizeof buf, param_get(cfg, "port"), ",");
		display_append(buf, sizeof buf, "/", "/");
		display_append(buf, sizeof buf, cfg->dbname, ":");
	}
	cfg->display = strdup(buf);
	return cfg->display ? 0 : -ENOMEM;
}

static int parse_positive(const char *s)
{
	if (!s)
		return 0;
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v <= 0 || v > 86400)
		return 0;
	return (int)v;
}

int mdc_config_new(const char *source, const mdc_options *opts, mdc_config **out,
		   mdc_error *err)
{
	static const mdc_options no_opts;
	const mdc_options *o = opts ? opts : &no_opts;
	int rc;
	char num[32];

	mdc_error_clear(err);
	if (!out)
		return mdc_error_set(err, EINVAL, "no output pointer");
	*out = NULL;
	if (!source || !*source)
		return mdc_error_set(err, EINVAL, "empty source");

	mdc_config *cfg = calloc(1, sizeof *cfg);
	if (!cfg)
		return mdc_error_set(err, ENOMEM, "out of memory");

	if (strncmp(source, "md:", 3) == 0) {
		const char *db = source + 3;
		cfg->is_md = 1;
		if (strchr(db, '?')) {
			rc = mdc_error_set(err, EINVAL,
					   "md: sources take no ?options: put the token in "
					   "$MOTHERDUCK_TOKEN or in a file named by the token_file option");
			goto fail;
		}
		cfg->dbname = strdup(db);
		if (!cfg->dbname)
			goto oom;
		const char *region = o->region && *o->region ? o->region : DEFAULT_REGION;
		if (!o->host && !valid_region(region)) {
			rc = mdc_error_set(err, EINVAL, "invalid region \"%s\"", region);
			goto fail;
		}
		char host[128];
		region_host(region, host, sizeof host);
		if (param_set(cfg, "host", host) < 0 ||
		    param_set(cfg, "user", "postgres") < 0)
			goto oom;
	} else if (strncmp(source, "postgresql://", 13) == 0 ||
		   strncmp(source, "postgres://", 11) == 0) {
		if ((rc = parse_conninfo(cfg, source, 1, err)) < 0)
			goto fail;
	} else if (strchr(source, '=')) {
		if ((rc = parse_conninfo(cfg, source, 0, err)) < 0)
			goto fail;
	} else {
		rc = mdc_error_set(err, EINVAL,
				   "unrecognized source \"%.64s\": expected md:[db], "
				   "postgresql://... or key=value ...", source);
		goto fail;
	}
	if (!cfg->is_md && cfg->dbname && strncmp(cfg->dbname, "md:", 3) == 0) {
		/* A URI or DSN naming dbname=md:[db] means the MotherDuck workspace too. */
		char *db = strdup(cfg->dbname + 3);
		if (!db)
			goto oom;
		free(cfg->dbname);
		cfg->dbname = db;
		cfg->is_md = 1;
	}
	if (!cfg->dbname && !(cfg->dbname = strdup("")))
		goto oom;

	/* Options override what the source says. */
	if (o->host && *o->host && param_set(cfg, "host", o->host) < 0)
		goto oom;
	if (o->port && *o->port) {
		if (param_set(cfg, "port", o->port) < 0)
			goto oom;
	} else if (!param_get(cfg, "port") && param_set(cfg, "port", DEFAULT_PORT) < 0) {
		goto oom;
	}
	if (o->user && *o->user && param_set(cfg, "user", o->user) < 0)
		goto oom;
	if (o->sslmode && *o->sslmode) {
		if (param_set(cfg, "sslmode", o->sslmode) < 0)
			goto oom;
	} else if (!param_get(cfg, "sslmode") && param_set(cfg, "sslmode", DEFAULT_SSLMODE) < 0) {
		goto oom;
	}
	if (o->sslrootcert && *o->sslrootcert) {
		if (param_set(cfg, "sslrootcert", o->sslrootcert) < 0)
			goto oom;
	} else if (!param_get(cfg, "sslrootcert")) {
		const char *mode = param_get(cfg, "sslmode");
		if ((strcmp(mode, "verify-full") == 0 || strcmp(mode, "verify-ca") == 0) &&
		    param_set(cfg, "sslrootcert", SYSTEM_CA_BUNDLE) < 0)
			goto oom;
	}

	cfg->connect_timeout = o->connect_timeout_s > 0 ? o->connect_timeout_s :
			       parse_positive(param_get(cfg, "connect_timeout"));
	if (cfg->connect_timeout <= 0)
		cfg->connect_timeout = DEFAULT_CONNECT_TIMEOUT;
	snprintf(num, sizeof num, "%d", cfg->connect_timeout);
	if (param_set(cfg, "connect_timeout", num) < 0)
		goto oom;
	cfg->statement_timeout_ms = o->statement_timeout_ms > 0 ? o->statement_timeout_ms : 0;
	cfg->io_timeout_s = o->io_timeout_s > 0 ? o->io_timeout_s : DEFAULT_IO_TIMEOUT;
	cfg->queue_timeout = o->queue_timeout_s > 0 ? o->queue_timeout_s : DEFAULT_QUEUE_TIMEOUT;

	if (param_set(cfg, "keepalives", "1") < 0)
		goto oom;
	/* A peer that stops answering: keepalives notice an idle dead link,
	 * tcp_user_timeout one that stops acknowledging what we sent. */
	static const char *const ka[][2] = {
		{ "keepalives_idle", "30" },
		{ "keepalives_interval", "10" },
		{ "keepalives_count", "3" },
		{ "tcp_user_timeout", "60000" },
	};
	for (size_t i = 0; i < sizeof ka / sizeof ka[0]; i++)
		if (!param_get(cfg, ka[i][0]) && param_set(cfg, ka[i][0], ka[i][1]) < 0)
			goto oom;
	if (o->application_name && *o->application_name) {
		if (param_set(cfg, "application_name", o->application_name) < 0)
			goto oom;
	} else if (!param_get(cfg, "application_name") &&
		   param_set(cfg, "application_name", "mdfs") < 0) {
		goto oom;
	}
	/* Catalog names and values are handled as UTF-8 everywhere. */
	if (param_set(cfg, "client_encoding", "UTF8") < 0)
		goto oom;
	if (cfg->n + 3 > MDC_CONFIG_MAX_PARAMS) {
		rc = mdc_error_set(err, EINVAL, "too many connection options");
		goto fail;
	}

	if ((rc = resolve_token(cfg, o, err)) < 0)
		goto fail;
	if (build_display(cfg) < 0)
		goto oom;
	*out = cfg;
	return 0;
oom:
	rc = mdc_error_set(err, ENOMEM, "out of memory");
fail:
	mdc_config_free(cfg);
	return rc;
}

const char *mdc_config_dbname(const mdc_config *cfg)
{
	return cfg->dbname;
}

int mdc_config_settle_dbname(mdc_config *cfg, const char *dbname)
{
	if (cfg->is_md || *cfg->dbname || !dbname || !*dbname)
		return 0;
	char *d = strdup(dbname);
	if (!d)
		return -ENOMEM;
	free(cfg->dbname);
	cfg->dbname = d;
	return 0;
}

int mdc_config_is_motherduck(const mdc_config *cfg)
{
	return cfg->is_md;
}

const char *mdc_config_display(const mdc_config *cfg)
{
	return cfg->display;
}

const char *mdc_config_auth_hint(const mdc_config *cfg)
{
	return cfg->is_md ? "check the token, and check the region (-o region=): each region's "
			    "endpoint accepts only its own organizations' tokens; "
			    "SELECT region FROM md_user_info() shows yours" : NULL;
}

const char *mdc_config_host(const mdc_config *cfg)
{
	const char *h = param_get(cfg, "host");
	return h ? h : param_get(cfg, "hostaddr");
}

const char *mdc_config_port(const mdc_config *cfg)
{
	return param_get(cfg, "port");
}

int mdc_config_connect_timeout(const mdc_config *cfg)
{
	return cfg->connect_timeout;
}

int mdc_config_statement_timeout_ms(const mdc_config *cfg)
{
	return cfg->statement_timeout_ms;
}

int64_t mdc_config_answer_timeout_ms(const mdc_config *cfg)
{
	return (int64_t)cfg->io_timeout_s * 1000 + cfg->statement_timeout_ms;
}

int mdc_config_lock_timeout_ms(const mdc_config *cfg)
{
	return cfg->io_timeout_s * 500; /* io_timeout is at most a day: no overflow */
}

int mdc_config_queue_timeout(const mdc_config *cfg)
{
	return cfg->queue_timeout;
}

size_t mdc_config_libpq_params(const mdc_config *cfg, const char *dbname,
			       const char **kw, const char **val, size_t cap)
{
	size_t n = 0;

	if (!cfg || cap == 0)
		return 0;
	for (size_t i = 0; i < cfg->n && n + 1 < cap; i++, n++) {
		kw[n] = cfg->kw[i];
		val[n] = cfg->val[i];
	}
	if (!dbname)
		dbname = cfg->dbname;
	if (*dbname || cfg->is_md) {
		if (n + 1 < cap) {
			kw[n] = "dbname";
			val[n++] = *dbname ? dbname : "md:";
		}
	}
	if (cfg->token && n + 1 < cap) {
		kw[n] = "password";
		val[n++] = cfg->token;
	}
	kw[n] = NULL;
	val[n] = NULL;
	return n;
}

void mdc_config_scrub(const mdc_config *cfg, char *text)
{
	if (!cfg || !cfg->token || !text)
		return;
	size_t tl = strlen(cfg->token);
	size_t rl = tl < 3 ? tl : 3;   /* "***", never longer than the token */
	char *from = text;
	char *p;
	while ((p = strstr(from, cfg->token)) != NULL) {
		size_t rest = strlen(p + tl);
		memset(p, '*', rl);
		memmove(p + rl, p + tl, rest + 1);
		from = p + rl;
	}
}
