/* mdclient/catalog.c - placeholder until implemented. */
#include "mdclient/catalog.h"
