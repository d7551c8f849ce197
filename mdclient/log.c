/* mdclient/log.c - the only place mdclient writes messages (see log.h). */
#include "mdclient/log.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static atomic_int log_level = LOG_NOTICE;
static mdc_log_sink log_sink;      /* NULL: stderr */
static void *log_sink_data;

void mdc_log_set_sink(mdc_log_sink sink, void *userdata)
{
	log_sink = sink;
	log_sink_data = userdata;
}

void mdc_log_set_level(int level)
{
	if (level < LOG_EMERG)
		level = LOG_EMERG;
	if (level > LOG_DEBUG)
		level = LOG_DEBUG;
	atomic_store(&log_level, level);
}

int mdc_log_get_level(void)
{
	return atomic_load(&log_level);
}

int mdc_log_enabled(int level)
{
	return level <= atomic_load(&log_level);
}

static const char *level_name(int level)
{
	switch (level) {
	case LOG_EMERG: return "emergency";
	case LOG_ALERT: return "alert";
	case LOG_CRIT: return "critical";
	case LOG_ERR: return "error";
	case LOG_WARNING: return "warning";
	case LOG_NOTICE: return "notice";
	case LOG_INFO: return "info";
	default: return "debug";
	}
}

/* Line breaks inside a message (multi-line SQL, libpq text) become spaces. */
static void fold_newlines(char *s, size_t len)
{
	while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r' || s[len - 1] == ' '))
		s[--len] = '\0';
	for (size_t i = 0; i < len; i++)
		if (s[i] == '\n' || s[i] == '\r')
			s[i] = ' ';
}

static void emit(int level, char *msg, size_t len)
{
	fold_newlines(msg, len);
	mdc_log_sink sink = log_sink;
	if (sink) {
		sink(level, msg, log_sink_data);
		return;
	}
	/* One fprintf per line: stdio locks the stream, so lines never mix. */
	fprintf(stderr, "mdfs: %s: %s\n", level_name(level), msg);
}

void mdc_vlog(int level, const char *fmt, va_list ap)
{
	if (!mdc_log_enabled(level) || !fmt)
		return;

	char small[1024];
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(small, sizeof small, fmt, ap);
	if (n < 0) {
		va_end(ap2);
		return;
	}
	if ((size_t)n < sizeof small) {
		va_end(ap2);
		emit(level, small, (size_t)n);
		return;
	}
	char *big = malloc((size_t)n + 1);
	if (!big) {
		va_end(ap2);
		emit(level, small, sizeof small - 1);   /* truncated, better than nothing */
		return;
	}
	vsnprintf(big, (size_t)n + 1, fmt, ap2);
	va_end(ap2);
	emit(level, big, (size_t)n);
	free(big);
}

void mdc_log(int level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	mdc_vlog(level, fmt, ap);
	va_end(ap);
}
