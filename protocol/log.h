/* The one logging module: levelled lines on stderr with time and [file:line].
 * Never pass personal data (names, phones, report text) to these macros. */
#ifndef PROTO_LOG_H
#define PROTO_LOG_H

typedef enum proto_log_level {
	PROTO_LOG_DEBUG,
	PROTO_LOG_INFO,
	PROTO_LOG_WARN,
	PROTO_LOG_ERROR,
} proto_log_level;

/* Sets the lowest level printed and the program name shown on each line. */
void proto_log_init(const char *prog, proto_log_level min);

/* Parses "debug", "info", "warn" or "error"; returns -1 on anything else. */
int proto_log_level_parse(const char *s);

void proto_log_write(proto_log_level level, const char *file, int line,
	const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#define log_debug(...) proto_log_write(PROTO_LOG_DEBUG, __FILE__, __LINE__, __VA_ARGS__)
#define log_info(...) proto_log_write(PROTO_LOG_INFO, __FILE__, __LINE__, __VA_ARGS__)
#define log_warn(...) proto_log_write(PROTO_LOG_WARN, __FILE__, __LINE__, __VA_ARGS__)
#define log_error(...) proto_log_write(PROTO_LOG_ERROR, __FILE__, __LINE__, __VA_ARGS__)

#endif
