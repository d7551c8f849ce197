/* tests/c/seed_cli.c - `mdfs seed` as a program of its own, for tests and
 * benchmarks (fs/main.c dispatches "mdfs seed" to the same function). */
#include "fs/seed_cmd.h"

int main(int argc, char **argv)
{
	return mdfs_seed_main(argc, argv);
}
