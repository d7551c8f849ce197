/* mdclient/clock.h - the one monotonic clock (CLOCK_MONOTONIC) for
 * deadlines, ages and durations, in mdclient and fs/. */
#ifndef MDCLIENT_CLOCK_H
#define MDCLIENT_CLOCK_H

#include <stdint.h>

/* Milliseconds: what every network deadline is measured in. */
int64_t mdc_now_ms(void);
/* Seconds with a fraction: cache ages, durations in reports. */
double mdc_now_s(void);

#endif
