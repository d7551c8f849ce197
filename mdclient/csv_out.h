/* mdclient/csv_out.h - format one value or row as CSV (the CSV output rules).
 * See stream.h for the rules. Owned and documented by csv_out.c. */
#ifndef MDCLIENT_CSV_OUT_H
#define MDCLIENT_CSV_OUT_H
#endif
