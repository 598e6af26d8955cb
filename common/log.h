/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One logging API for every process: lines go to stderr, prefixed with the
 * process name and the calling function. Never log a secret.
 */
#ifndef PARSEC_LOG_H
#define PARSEC_LOG_H

#include <stdarg.h>

enum log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG, LOG_LVL_TRACE };

void log_init(const char *procname, int level, int timestamps);
void log_setlevel(int level);
int log_getlevel(void);
const char *log_procname(void);

void log_do(int level, const char *func, int with_errno, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void fatal_do(const char *func, int with_errno, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));

#define log_warn(...) log_do(LOG_LVL_WARN, __func__, 1, __VA_ARGS__)
#define log_warnx(...) log_do(LOG_LVL_WARN, __func__, 0, __VA_ARGS__)
#define log_error(...) log_do(LOG_LVL_ERROR, __func__, 0, __VA_ARGS__)
#define log_info(...) log_do(LOG_LVL_INFO, __func__, 0, __VA_ARGS__)
#define log_debug(...) log_do(LOG_LVL_DEBUG, __func__, 0, __VA_ARGS__)
#define fatal(...) fatal_do(__func__, 1, __VA_ARGS__)
#define fatalx(...) fatal_do(__func__, 0, __VA_ARGS__)

#endif
