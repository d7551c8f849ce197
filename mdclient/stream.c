/* mdclient/stream.c - placeholder until implemented. */
#include "mdclient/stream.h"
