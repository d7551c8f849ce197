/* mdclient/pool.c - placeholder until implemented. */
#include "mdclient/pool.h"
