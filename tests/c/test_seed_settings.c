/* tests/c/test_seed_settings.c - unit test of mdclient/seed_settings.c: the
 * one parser of dbt seed settings, for `.seed` sidecar lines and for the
 * flags of `mdfs seed`. */
#include <errno.h>
#include <string.h>

#include "mdclient/seed.h"
#include "testutil.h"

int main(void)
{
	mdc_seed_settings s;
	mdc_error e;
	memset(&s, 0, sizeof s);

	CHECK_INT(mdc_seed_setting_parse(&s, "delimiter=|", &e), 0);
	CHECK_INT(s.delimiter, '|');
	CHECK_INT(mdc_seed_setting_parse(&s, "delimiter=\\t", &e), 0);
	CHECK_INT(s.delimiter, '\t');
	CHECK_INT(mdc_seed_setting_parse(&s, "delimiter=;;", &e), -EINVAL);
	CHECK_INT(mdc_seed_setting_parse(&s, "delimiter=", &e), -EINVAL);
	CHECK_INT(s.delimiter, '\t');               /* a refused value changes nothing */

	CHECK_INT(mdc_seed_setting_parse(&s, "quote_columns=false", &e), 0);
	CHECK_INT(s.no_quote_columns, 1);
	CHECK_INT(mdc_seed_setting_parse(&s, "quote_columns=true", &e), 0);
	CHECK_INT(s.no_quote_columns, 0);
	CHECK_INT(mdc_seed_setting_parse(&s, "quote_columns=no", &e), -EINVAL);

	/* full_refresh=false: dbt's default, truncate an existing table */
	CHECK_INT(mdc_seed_setting_parse(&s, "full_refresh=false", &e), 0);
	CHECK_INT(s.truncate, 1);
	CHECK_INT(mdc_seed_setting_parse(&s, "full_refresh=maybe", &e), -EINVAL);
	CHECK_INT(s.truncate, 1);

	/* split at the first '=': the type may hold one, the name may not */
	CHECK_INT(mdc_seed_setting_parse(&s, "column_type.code=varchar(3)", &e), 0);
	CHECK_INT(mdc_seed_setting_parse(&s, "column_type.x=a=b", &e), 0);
	CHECK_INT(s.n_column_types, 2);
	CHECK_STR(s.column_types[0].column, "code");
	CHECK_STR(s.column_types[0].sql_type, "varchar(3)");
	CHECK_STR(s.column_types[1].column, "x");
	CHECK_STR(s.column_types[1].sql_type, "a=b");
	/* the flag form: name and type apart, so the name may hold '=' */
	CHECK_INT(mdc_seed_setting_column_type(&s, "a=b", "text", &e), 0);
	CHECK_STR(s.column_types[2].column, "a=b");
	CHECK_INT(mdc_seed_setting_parse(&s, "column_type.=int", &e), -EINVAL);
	CHECK_INT(mdc_seed_setting_parse(&s, "column_type.c=", &e), -EINVAL);
	CHECK_INT(s.n_column_types, 3);

	CHECK_INT(mdc_seed_setting_parse(&s, "no_equals_sign", &e), -EINVAL);
	CHECK_INT(mdc_seed_setting_parse(&s, "colour=blue", &e), -EINVAL);
	CHECK(strstr(e.message, "colour") != NULL);

	mdc_seed_options o;
	memset(&o, 0, sizeof o);
	mdc_seed_settings_apply(&s, &o);
	CHECK_INT(o.delimiter, '\t');
	CHECK_INT(o.n_column_types, 3);
	CHECK(o.column_types == s.column_types);
	CHECK_INT(o.truncate, 1);

	mdc_seed_settings_free(&s);
	CHECK_INT(s.n_column_types, 0);
	mdc_seed_settings_free(&s); /* again: fine */
	return testutil_finish("test_seed_settings");
}
