/* fs/main.c - mdfs command line (stub until the read path lands). */
#include <stdio.h>
#include <string.h>
#include "mdfs_version.h"

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--version") == 0) {
		printf("mdfs %s\n", MDFS_VERSION);
		return 0;
	}
	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		printf("usage: mdfs SOURCE MOUNTPOINT [-o opt,...]\n");
		return 0;
	}
	fprintf(stderr, "usage: mdfs SOURCE MOUNTPOINT [-o opt,...]\n");
	return 2;
}
