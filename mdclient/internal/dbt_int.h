/* mdclient/internal/dbt_int.h - helpers shared by dbt_project.c and
 * dbt_profile.c (and their unit test). */
#ifndef MDCLIENT_INTERNAL_DBT_INT_H
#define MDCLIENT_INTERNAL_DBT_INT_H

#include "mdclient/common.h"
#include "mdclient/error.h"
#include "mdclient/internal/yaml_doc.h"

/* A scalar's value with env_var() substituted (*out malloc'd); what names
 * the setting in errors ("FILE:LINE: what must be a single value"). */
int mdc_dbt_scalar(const mdc_ynode *n, const char *file, const char *what, char **out,
		   mdc_error *err) MDC_MUSTCHECK;
/* A boolean (YAML's, or a rendered env_var() giving one). */
int mdc_dbt_bool(const mdc_ynode *n, const char *file, const char *what, int *out,
		 mdc_error *err) MDC_MUSTCHECK;

#endif
