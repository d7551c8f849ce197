/* tests/c/test_config.c - SOURCE forms, defaults, overrides, token handling. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mdclient/config.h"
#include "mdclient/log.h"
#include "testutil.h"

static const char *kw[MDC_CONFIG_MAX_PARAMS], *val[MDC_CONFIG_MAX_PARAMS];

/* The libpq value of key for cfg (dbname NULL: the config's), or NULL. */
static const char *param(const mdc_config *cfg, const char *dbname, const char *key)
{
	size_t n = mdc_config_libpq_params(cfg, dbname, kw, val, MDC_CONFIG_MAX_PARAMS);
	for (size_t i = 0; i < n; i++)
		if (strcmp(kw[i], key) == 0)
			return val[i];
	return NULL;
}

static void no_token_env(void)
{
	unsetenv("MOTHERDUCK_TOKEN");
	unsetenv("motherduck_token");
	unsetenv("PGPASSWORD");
}

static mdc_config *make(const char *src, const mdc_options *o)
{
	mdc_config *cfg = NULL;
	mdc_error e;
	int rc = mdc_config_new(src, o, &cfg, &e);
	if (rc != 0)
		fprintf(stderr, "mdc_config_new(%s): %d %s\n", src, rc, e.message);
	CHECK_INT(rc, 0);
	return cfg;
}

static void test_md_sources(void)
{
	mdc_config *cfg = make("md:", NULL);
	if (!cfg)
		return;
	CHECK_STR(mdc_config_dbname(cfg), "");
	CHECK(mdc_config_is_motherduck(cfg));
	CHECK_STR(mdc_config_display(cfg), "md:");
	CHECK_STR(mdc_config_host(cfg), "pg.us-east-1-aws.motherduck.com");
	CHECK_STR(mdc_config_port(cfg), "5432");
	CHECK_INT(mdc_config_connect_timeout(cfg), 10);
	CHECK_INT(mdc_config_statement_timeout_ms(cfg), 0);
	CHECK_STR(param(cfg, NULL, "dbname"), "md:");
	CHECK_STR(param(cfg, "", "dbname"), "md:");
	CHECK_STR(param(cfg, "other", "dbname"), "other");
	CHECK_STR(param(cfg, NULL, "user"), "postgres");
	CHECK_STR(param(cfg, NULL, "sslmode"), "verify-full");
	CHECK_STR(param(cfg, NULL, "sslrootcert"), "/etc/ssl/certs/ca-certificates.crt");
	CHECK_STR(param(cfg, NULL, "connect_timeout"), "10");
	CHECK_STR(param(cfg, NULL, "keepalives"), "1");
	CHECK_STR(param(cfg, NULL, "keepalives_idle"), "30");
	CHECK_STR(param(cfg, NULL, "keepalives_interval"), "10");
	CHECK_STR(param(cfg, NULL, "keepalives_count"), "3");
	CHECK_STR(param(cfg, NULL, "tcp_user_timeout"), "60000");
	CHECK(mdc_config_answer_timeout_ms(cfg) == 30000);
	CHECK_STR(param(cfg, NULL, "application_name"), "mdfs");
	CHECK(param(cfg, NULL, "password") == NULL);
	mdc_config_free(cfg);

	cfg = make("md:my_db", NULL);
	if (cfg) {
		CHECK_STR(mdc_config_dbname(cfg), "my_db");
		CHECK_STR(mdc_config_display(cfg), "md:my_db");
		CHECK_STR(param(cfg, NULL, "dbname"), "my_db");
		CHECK(mdc_config_is_motherduck(cfg));
		mdc_config_free(cfg);
	}

	mdc_options o = { .region = "eu-central-1" };
	cfg = make("md:x", &o);
	if (cfg) {
		CHECK_STR(mdc_config_host(cfg), "pg.eu-central-1-aws.motherduck.com");
		mdc_config_free(cfg);
	}

	/* Every region MotherDuck serves: AWS ones have dashes, Azure ones none;
	 * a region may also name its cloud. */
	static const char *const regions[][2] = {
		{ "us-east-1", "pg.us-east-1-aws.motherduck.com" },
		{ "us-west-2", "pg.us-west-2-aws.motherduck.com" },
		{ "eu-central-1", "pg.eu-central-1-aws.motherduck.com" },
		{ "eu-west-1", "pg.eu-west-1-aws.motherduck.com" },
		{ "ap-northeast-1", "pg.ap-northeast-1-aws.motherduck.com" },
		{ "ap-southeast-2", "pg.ap-southeast-2-aws.motherduck.com" },
		{ "eastus", "pg.eastus-azure.motherduck.com" },
		{ "uksouth", "pg.uksouth-azure.motherduck.com" },
		{ "eastus-azure", "pg.eastus-azure.motherduck.com" },
		{ "eu-west-1-aws", "pg.eu-west-1-aws.motherduck.com" },
	};
	for (size_t i = 0; i < sizeof regions / sizeof regions[0]; i++) {
		o = (mdc_options){ .region = regions[i][0] };
		cfg = make("md:", &o);
		if (cfg) {
			CHECK_STR(mdc_config_host(cfg), regions[i][1]);
			CHECK(mdc_config_auth_hint(cfg) != NULL);
			mdc_config_free(cfg);
		}
	}

	/* An explicit host wins over the region. */
	o = (mdc_options){ .region = "eu-central-1", .host = "127.0.0.1", .port = "6543" };
	cfg = make("md:", &o);
	if (cfg) {
		CHECK_STR(mdc_config_host(cfg), "127.0.0.1");
		CHECK_STR(mdc_config_port(cfg), "6543");
		mdc_config_free(cfg);
	}

	mdc_error e;
	o = (mdc_options){ .region = "us-east-1/evil" };
	cfg = NULL;
	CHECK_INT(mdc_config_new("md:", &o, &cfg, &e), -EINVAL);
	CHECK(cfg == NULL);
	o = (mdc_options){ .region = "-aws" };
	CHECK_INT(mdc_config_new("md:", &o, &cfg, &e), -EINVAL);
	CHECK(cfg == NULL);
}

static void test_uri_dsn(void)
{
	mdc_config *cfg = make("postgresql://alice@db.example.com:6543/shop?sslmode=require", NULL);
	if (cfg) {
		CHECK(!mdc_config_is_motherduck(cfg));
		CHECK(mdc_config_auth_hint(cfg) == NULL);
		CHECK_STR(mdc_config_dbname(cfg), "shop");
		CHECK_STR(mdc_config_host(cfg), "db.example.com");
		CHECK_STR(mdc_config_port(cfg), "6543");
		CHECK_STR(param(cfg, NULL, "user"), "alice");
		CHECK_STR(param(cfg, NULL, "sslmode"), "require");
		CHECK(param(cfg, NULL, "sslrootcert") == NULL); /* only for verify-* */
		CHECK_STR(mdc_config_display(cfg), "postgresql://alice@db.example.com:6543/shop");
		mdc_config_free(cfg);
	}

	/* dbname=md:[db] in a DSN means the workspace, on whatever host is named. */
	cfg = make("host=127.0.0.1 port=7000 dbname=md:analytics", NULL);
	if (cfg) {
		CHECK(mdc_config_is_motherduck(cfg));
		CHECK_STR(mdc_config_dbname(cfg), "analytics");
		CHECK_STR(mdc_config_host(cfg), "127.0.0.1");
		CHECK_STR(param(cfg, NULL, "dbname"), "analytics");
		mdc_config_free(cfg);
	}
	cfg = make("host=127.0.0.1 dbname=md:", NULL);
	if (cfg) {
		CHECK(mdc_config_is_motherduck(cfg));
		CHECK_STR(mdc_config_dbname(cfg), "");
		CHECK_STR(param(cfg, NULL, "dbname"), "md:");
		mdc_config_free(cfg);
	}

	cfg = make("postgres://db.example.com/analytics", NULL);
	if (cfg) {
		CHECK_STR(mdc_config_dbname(cfg), "analytics");
		CHECK_STR(mdc_config_port(cfg), "5432");
		CHECK_STR(param(cfg, NULL, "sslmode"), "verify-full");
		CHECK_STR(param(cfg, NULL, "sslrootcert"), "/etc/ssl/certs/ca-certificates.crt");
		CHECK(param(cfg, NULL, "user") == NULL); /* libpq's default */
		CHECK_STR(mdc_config_display(cfg), "postgresql://db.example.com:5432/analytics");
		mdc_config_free(cfg);
	}

	cfg = make("host=127.0.0.1 port=5433 dbname='my db' user=bob sslmode=verify-ca "
		   "sslrootcert=/tmp/ca.pem connect_timeout=3 application_name=x", NULL);
	if (cfg) {
		CHECK_STR(mdc_config_dbname(cfg), "my db");
		CHECK_STR(mdc_config_host(cfg), "127.0.0.1");
		CHECK_STR(mdc_config_port(cfg), "5433");
		CHECK_STR(param(cfg, NULL, "sslmode"), "verify-ca");
		CHECK_STR(param(cfg, NULL, "sslrootcert"), "/tmp/ca.pem");
		CHECK_INT(mdc_config_connect_timeout(cfg), 3);
		CHECK_STR(param(cfg, NULL, "connect_timeout"), "3");
		CHECK_STR(param(cfg, NULL, "application_name"), "x");
		CHECK_STR(param(cfg, NULL, "dbname"), "my db");
		CHECK_STR(mdc_config_display(cfg), "postgresql://bob@127.0.0.1:5433/my%20db");
		mdc_config_free(cfg);
	}

	/* A DSN without dbname leaves it to libpq. */
	cfg = make("host=localhost", NULL);
	if (cfg) {
		CHECK_STR(mdc_config_dbname(cfg), "");
		CHECK(param(cfg, NULL, "dbname") == NULL);
		mdc_config_free(cfg);
	}

	mdc_error e;
	mdc_config *bad = NULL;
	CHECK_INT(mdc_config_new("just-a-name", NULL, &bad, &e), -EINVAL);
	CHECK_INT(mdc_config_new("", NULL, &bad, &e), -EINVAL);
	CHECK_INT(mdc_config_new("host=x bogus_option=1", NULL, &bad, &e), -EINVAL);
	CHECK(bad == NULL);
}

static void test_overrides(void)
{
	mdc_options o = {
		.host = "h.example", .port = "7000", .user = "carol", .sslmode = "require",
		.sslrootcert = "/x/ca.pem", .connect_timeout_s = 7, .statement_timeout_ms = 1500,
		.application_name = "mdfs-test",
	};
	mdc_config *cfg = make("host=other port=1 user=dave sslmode=disable dbname=d "
			       "connect_timeout=2", &o);
	if (!cfg)
		return;
	CHECK_STR(mdc_config_host(cfg), "h.example");
	CHECK_STR(mdc_config_port(cfg), "7000");
	CHECK_STR(param(cfg, NULL, "user"), "carol");
	CHECK_STR(param(cfg, NULL, "sslmode"), "require");
	CHECK_STR(param(cfg, NULL, "sslrootcert"), "/x/ca.pem");
	CHECK_INT(mdc_config_connect_timeout(cfg), 7);
	CHECK_STR(param(cfg, NULL, "connect_timeout"), "7");
	CHECK_INT(mdc_config_statement_timeout_ms(cfg), 1500);
	CHECK_STR(param(cfg, NULL, "application_name"), "mdfs-test");
	CHECK_STR(mdc_config_dbname(cfg), "d");
	mdc_config_free(cfg);
}

static char tmpdir[] = "/tmp/mdfs-test-config-XXXXXX";

static const char *write_file(const char *name, const char *content)
{
	static char path[256];
	snprintf(path, sizeof path, "%s/%s", tmpdir, name);
	FILE *f = fopen(path, "w");
	if (!f)
		return NULL;
	fputs(content, f);
	fclose(f);
	return path;
}

static void test_tokens(void)
{
	mdc_error e;
	mdc_config *cfg;
	char file[256];
	const char *p = write_file("tok", "file-token-123\n");
	CHECK(p != NULL);
	snprintf(file, sizeof file, "%s", p ? p : "");
	mdc_options o = { .token_file = file };

	no_token_env();
	cfg = make("md:", NULL);
	if (cfg) {
		CHECK(param(cfg, NULL, "password") == NULL);
		mdc_config_free(cfg);
	}

	/* $PGPASSWORD is the last source, and the config keeps its own copy:
	 * the daemon clears the variable, and later connects still have it. */
	setenv("PGPASSWORD", "pg-token", 1);
	cfg = make("md:", NULL);
	if (cfg) {
		unsetenv("PGPASSWORD");
		CHECK_STR(param(cfg, NULL, "password"), "pg-token");
		mdc_config_free(cfg);
	}
	setenv("PGPASSWORD", "pg-token", 1);
	cfg = make("md:", &o);
	if (cfg) {
		CHECK_STR(param(cfg, NULL, "password"), "file-token-123");
		mdc_config_free(cfg);
	}
	no_token_env();

	cfg = make("md:", &o);
	if (cfg) {
		CHECK_STR(param(cfg, NULL, "password"), "file-token-123");
		mdc_config_free(cfg);
	}

	setenv("motherduck_token", "lower-token", 1);
	cfg = make("md:", &o);
	if (cfg) {
		CHECK_STR(param(cfg, NULL, "password"), "lower-token");
		mdc_config_free(cfg);
	}

	setenv("MOTHERDUCK_TOKEN", "upper-token", 1);
	cfg = make("md:", &o);
	if (cfg) {
		CHECK_STR(param(cfg, NULL, "password"), "upper-token");
		mdc_config_free(cfg);
	}

	/* An empty variable does not count. */
	setenv("MOTHERDUCK_TOKEN", "", 1);
	cfg = make("md:", &o);
	if (cfg) {
		CHECK_STR(param(cfg, NULL, "password"), "lower-token");
		mdc_config_free(cfg);
	}
	no_token_env();

	/* Trailing whitespace and CRLF are removed; only the first line counts. */
	p = write_file("tok2", "  spaced-token \t\r\nsecond line\n");
	o.token_file = p;
	cfg = make("md:", &o);
	if (cfg) {
		CHECK_STR(param(cfg, NULL, "password"), "  spaced-token");
		mdc_config_free(cfg);
	}
	p = write_file("tok3", "no-newline-token");
	o.token_file = p;
	cfg = make("md:", &o);
	if (cfg) {
		CHECK_STR(param(cfg, NULL, "password"), "no-newline-token");
		mdc_config_free(cfg);
	}
	p = write_file("empty", "\n");
	o.token_file = p;
	cfg = NULL;
	CHECK_INT(mdc_config_new("md:", &o, &cfg, &e), -EINVAL);

	/* Missing token file: an error, unless the environment already has a token. */
	char missing[300];
	snprintf(missing, sizeof missing, "%s/does-not-exist", tmpdir);
	o.token_file = missing;
	CHECK_INT(mdc_config_new("md:", &o, &cfg, &e), -ENOENT);
	CHECK(cfg == NULL);
	CHECK(strstr(e.message, "does-not-exist") != NULL);
	setenv("MOTHERDUCK_TOKEN", "env-token", 1);
	cfg = make("md:", &o);
	mdc_config_free(cfg);

	/* Unreadable (when not root: root reads anything). */
	if (geteuid() != 0) {
		p = write_file("unreadable", "x\n");
		chmod(p, 0);
		o.token_file = p;
		no_token_env();
		CHECK_INT(mdc_config_new("md:", &o, &cfg, &e), -EACCES);
	}
	no_token_env();
}

static void test_password_refused(void)
{
	static const char *const sources[] = {
		"postgresql://u:s3cr3tpw@h.example/db",
		"postgres://u:s3cr3tpw@h.example:5432/db?sslmode=require",
		"host=h.example password=s3cr3tpw dbname=db",
		"host=h.example dbname=db password='s3cr3tpw'",
		"postgresql://h.example/db?password=s3cr3tpw",
		"md:db?motherduck_token=s3cr3tpw",
	};
	for (size_t i = 0; i < sizeof sources / sizeof sources[0]; i++) {
		mdc_config *cfg = NULL;
		mdc_error e;
		int rc = mdc_config_new(sources[i], NULL, &cfg, &e);
		CHECK_INT(rc, -EINVAL);
		CHECK(cfg == NULL);
		CHECK(strstr(e.message, "token_file") != NULL);
		CHECK(strstr(e.message, "s3cr3tpw") == NULL);
		if (rc == 0)
			mdc_config_free(cfg);
	}
}

static void test_display_has_no_token(void)
{
	static const char *const sources[] = {
		"md:", "md:tokdb", "postgresql://u@h/db", "host=h user=u dbname=db",
	};
	const char *secret = "SECRET-TOKEN-42";
	setenv("MOTHERDUCK_TOKEN", secret, 1);
	for (size_t i = 0; i < sizeof sources / sizeof sources[0]; i++) {
		mdc_config *cfg = make(sources[i], NULL);
		if (!cfg)
			continue;
		CHECK(strstr(mdc_config_display(cfg), secret) == NULL);
		CHECK_STR(param(cfg, NULL, "password"), secret);
		/* Only "password" holds it. */
		size_t n = mdc_config_libpq_params(cfg, NULL, kw, val, MDC_CONFIG_MAX_PARAMS);
		for (size_t k = 0; k < n; k++)
			if (strcmp(kw[k], "password") != 0)
				CHECK(strstr(val[k], secret) == NULL);
		char text[128];
		snprintf(text, sizeof text, "server said %s twice %s.", secret, secret);
		mdc_config_scrub(cfg, text);
		CHECK_STR(text, "server said *** twice ***.");
		mdc_config_free(cfg);
	}
	no_token_env();
	mdc_config_free(NULL);
}

int main(void)
{
	mdc_log_set_level(LOG_WARNING);
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 2;
	}
	no_token_env();
	test_md_sources();
	test_uri_dsn();
	test_overrides();
	test_tokens();
	test_password_refused();
	test_display_has_no_token();

	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	return testutil_finish("test_config");
}
