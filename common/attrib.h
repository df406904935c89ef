/*
 * Compiler annotations shared by every component (the sslsplit model): they
 * let the compiler check format strings, unused results and NULL arguments.
 */
#ifndef SSLINSPECT_ATTRIB_H
#define SSLINSPECT_ATTRIB_H

#define NONNULL(...)	__attribute__((nonnull(__VA_ARGS__)))
#define WUNRES		__attribute__((warn_unused_result))
#define PRINTF(f, a)	__attribute__((format(printf, f, a)))
#define UNUSED		__attribute__((unused))

#endif
