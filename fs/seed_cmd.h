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

/* argv[0] is "seed" (or the program name); returns the exit status. */
int mdfs_seed_main(int argc, char **argv);

#endif
