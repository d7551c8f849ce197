/* mdclient/conn.c - placeholder until implemented. */
#include "mdclient/conn.h"
