/* mdclient/log.h - logging for mdclient and the daemon.
 *
 * Levels are syslog's (LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG).
 * By default messages at LOG_NOTICE or more important go to stderr. The daemon
 * installs its own sink (syslog when daemonized) with mdc_log_set_sink().
 * Every SQL statement mdclient sends is logged at LOG_DEBUG (never a token:
 * mdclient never puts a secret into SQL or into a message).
 * All functions are thread-safe once the sink is set (set it before starting
 * threads).
 */
#ifndef MDCLIENT_LOG_H
#define MDCLIENT_LOG_H

#include <stdarg.h>
#include <syslog.h>
#include "mdclient/common.h"

/* msg is a complete line without a trailing newline; valid only during the call. */
typedef void (*mdc_log_sink)(int level, const char *msg, void *userdata);

/* sink NULL restores the default stderr sink. */
void mdc_log_set_sink(mdc_log_sink sink, void *userdata);
/* Messages less important than level are dropped. Default LOG_NOTICE. */
void mdc_log_set_level(int level);
int mdc_log_get_level(void);
/* True when a message at level would be emitted (to skip costly formatting). */
int mdc_log_enabled(int level);

void mdc_log(int level, const char *fmt, ...) MDC_PRINTF(2, 3);
void mdc_vlog(int level, const char *fmt, va_list ap) MDC_PRINTF(2, 0);

#endif
