/* mdclient/csv_out.c - placeholder until implemented. */
#include "mdclient/csv_out.h"
