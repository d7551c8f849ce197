/* fs/seed_cmd.h - `mdfs seed`: load CSV files as `dbt seed --full-refresh`.
 *
 *   mdfs seed --source SOURCE [--schema S] [--database D] [-o opt=val,...]
 *             [--delimiter X] [--column-type col=type]... [--no-quote-columns]
 *             FILE...
 *
 * Each FILE becomes table <schema>.<file stem> (dbt's naming), each in its own
 * transaction (never a partial table). Connection options are the mount's
 * (host, port, region, user, sslmode, sslrootcert, token_file,
 * connect_timeout, statement_timeout). Prints one summary line per table on
 * stdout, reasons on stderr, a progress line on a terminal for large files.
 * Exit status: 0 when every file loaded, 1 when any failed, 2 on usage errors.
 * Uses only mdclient.
 */
#ifndef MDFS_SEED_CMD_H
#define MDFS_SEED_CMD_H

#include "mdclient/common.h"
#include <signal.h>

#include "mdclient/config.h"

/* argv[0] is "seed" (or the program name); returns the exit status. */
int mdfs_seed_main(int argc, char **argv) MDC_MUSTCHECK;

/* `mdfs seed --project DIR [--select NAME...] [--exclude NAME...]
 * [--full-refresh] [--target T] [--profiles-dir D] [--source SRC [--schema S]]
 * [--threads N] [-o opts]` (fs/seed_project.c): the seeds of a dbt project,
 * configured by dbt_project.yml and seed property files
 * (mdclient/dbt_project.h), connected by --source or the project's profile
 * (profiles.yml from --profiles-dir, $DBT_PROFILES_DIR, DIR, ~/.dbt; -o
 * options override the profile's). Each seed loads in its own transaction,
 * up to `threads` at once (--threads, the profile's, else 4). One line per
 * seed as it finishes, then a summary, as dbt prints them. Exit status: 0
 * when every selected seed loaded, 1 when any failed or was not loaded
 * (interrupted), 2 on usage errors. */
int mdfs_seed_project_main(int argc, char **argv) MDC_MUSTCHECK;

/* Both commands: SIGINT/SIGTERM set mdfs_seed_cancel (loads in progress roll
 * back, files not started are reported as not loaded). The previous actions
 * go to old_int/old_term for the caller to restore. */
extern volatile int mdfs_seed_cancel;
void mdfs_seed_catch_signals(struct sigaction *old_int, struct sigaction *old_term);

/* Parse one -o argument (modified in place; *mo points into it). 0, or -1
 * after printing an error. */
int mdfs_seed_parse_o(char *arg, mdc_options *mo) MDC_MUSTCHECK;

#endif
