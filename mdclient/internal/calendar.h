/* mdclient/internal/calendar.h - the proleptic Gregorian calendar, once
 * (mdclient-internal). Used by the Parquet date/timestamp parsers and by
 * the seed inference's Python date emulation. */
#ifndef MDCLIENT_INTERNAL_CALENDAR_H
#define MDCLIENT_INTERNAL_CALENDAR_H

#include <stdbool.h>
#include <stdint.h>

/* Days since 1970-01-01 of y-m-d (m 1..12, d 1..31; any year, 0 = 1 BC). */
int64_t mdc_days_from_civil(int64_t y, int m, int d);
/* The inverse: the date of a day count. */
void mdc_civil_from_days(int64_t days, int64_t *y, int *m, int *d);
bool mdc_is_leap_year(int64_t y);
/* Days in month m (1..12) of year y. */
int mdc_days_in_month(int64_t y, int m);

#endif
