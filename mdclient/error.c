/* mdclient/error.c - placeholder until implemented. */
#include "mdclient/error.h"
