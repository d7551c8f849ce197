/* mdclient/log.c - placeholder until implemented. */
#include "mdclient/log.h"
