/* pkread - placeholder until its issue lands: prints usage, exits 64. */
#include <stdio.h>

#include "pk.h"

int
main(int argc, char **argv)
{
	(void)argc;
	pk_init(argv[0]);
	fprintf(stderr, "usage: %s (not implemented yet)\n", pk_progname);
	return EX_USAGE;
}
