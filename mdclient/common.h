/* mdclient/common.h - compiler attributes shared by every mdclient header. */
#ifndef MDCLIENT_COMMON_H
#define MDCLIENT_COMMON_H

#if defined(__GNUC__)
#define MDC_MUSTCHECK __attribute__((warn_unused_result))
#define MDC_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define MDC_MUSTCHECK
#define MDC_PRINTF(fmt, args)
#endif

#endif
