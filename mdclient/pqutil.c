/* mdclient/pqutil.c - placeholder until implemented. */
#include "mdclient/pqutil.h"
