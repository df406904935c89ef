/*
 * Building an engine_result: findings of the same engine and type are
 * merged (counts add up, the first masked sample stays), and the one-line
 * reason names the most severe finding.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "engine_int.h"

/*
 * Count one more finding; the table keeps the first ENGINE_MAX_FINDINGS kinds.
 */
void
engine_result_add(struct engine_result *r, const char *engine,
    const char *type, unsigned count, int severity, const char *sample)
{
	struct engine_finding	*f;
	size_t			 i;

	for (i = 0; i < r->nfindings; i++) {
		f = &r->findings[i];
		if (strcmp(f->engine, engine) == 0 &&
		    strcmp(f->type, type) == 0) {
			f->count += count;
			if (severity > f->severity)
				f->severity = severity;
			if (f->sample[0] == '\0' && sample != NULL)
				snprintf(f->sample, sizeof f->sample, "%s",
				    sample);
			return;
		}
	}
	if (r->nfindings == ENGINE_MAX_FINDINGS)
		return;
	f = &r->findings[r->nfindings++];
	f->engine = engine;
	snprintf(f->type, sizeof f->type, "%s", type);
	f->count = count;
	f->severity = severity;
	snprintf(f->sample, sizeof f->sample, "%s",
	    sample != NULL ? sample : "");
}

/* Note what an engine did not look at; see struct engine_skip. */
void
engine_result_skip(struct engine_result *r, const char *engine,
    const char *what, const char *why, unsigned count)
{
	struct engine_skip	*k;
	size_t			 i;

	for (i = 0; i < r->nskips; i++) {
		k = &r->skips[i];
		if (strcmp(k->engine, engine) == 0 && strcmp(k->why,
		    why) == 0) {
			k->count += count;
			return;
		}
	}
	if (r->nskips == ENGINE_MAX_SKIPS)
		return;
	k = &r->skips[r->nskips++];
	k->engine = engine;
	snprintf(k->what, sizeof k->what, "%s", what != NULL ? what : "");
	for (i = 0; k->what[i] != '\0'; i++) {
		if ((unsigned char)k->what[i] < 0x20 || k->what[i] == 0x7f)
			k->what[i] = '?';
	}
	snprintf(k->why, sizeof k->why, "%s", why);
	k->count = count;
}

/* Reasons go to logs and block pages: no control characters in them. */
static void
engine_result_clean(char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
	}
}

/* Fold a nested (archive member) result into its parent. */
void
engine_result_merge(struct engine_result *r, const struct engine_result *in,
    const char *where)
{
	size_t	i;

	for (i = 0; i < in->nfindings; i++) {
		engine_result_add(r, in->findings[i].engine,
		    in->findings[i].type, in->findings[i].count,
		    in->findings[i].severity, in->findings[i].sample);
	}
	for (i = 0; i < in->nskips; i++)
		engine_result_skip(r, in->skips[i].engine, in->skips[i].what,
		    in->skips[i].why, in->skips[i].count);
	if (in->verdict == ENGINE_UNINSPECTABLE ||
	    in->verdict == ENGINE_ERROR) {
		if (r->verdict == ENGINE_CLEAN ||
		    (r->verdict == ENGINE_UNINSPECTABLE &&
		    in->verdict == ENGINE_ERROR)) {
			r->verdict = in->verdict;
			snprintf(r->reason, sizeof r->reason, "%.40s: %.110s",
			    where,
			    in->reason);
			engine_result_clean(r->reason);
		}
	}
}

/* Mark the body uninspectable, keeping the first reason given. */
void
engine_result_uninspectable(struct engine_result *r, const char *fmt, ...)
{
	va_list	ap;

	if (r->verdict != ENGINE_CLEAN)
		return;
	r->verdict = ENGINE_UNINSPECTABLE;
	va_start(ap, fmt);
	vsnprintf(r->reason, sizeof r->reason, fmt, ap);
	va_end(ap);
	engine_result_clean(r->reason);
}

/* Settle the verdict: any finding wins over uninspectable, not over error. */
void
engine_result_finish(struct engine_result *r)
{
	const struct engine_finding	*f, *worst = NULL;
	size_t				 i;

	if (r->verdict == ENGINE_ERROR || r->nfindings == 0)
		return;
	for (i = 0; i < r->nfindings; i++) {
		f = &r->findings[i];
		if (worst == NULL || f->severity > worst->severity)
			worst = f;
	}
	r->verdict = ENGINE_FOUND;
	if (worst->sample[0] != '\0')
		snprintf(r->reason, sizeof r->reason, "%s: %s x%u (%s)",
		    worst->engine, worst->type, worst->count, worst->sample);
	else
		snprintf(r->reason, sizeof r->reason, "%s: %s x%u",
		    worst->engine, worst->type, worst->count);
}
