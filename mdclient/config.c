/* mdclient/config.c - placeholder until implemented. */
#include "mdclient/config.h"
