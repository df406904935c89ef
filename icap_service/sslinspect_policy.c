/*
 * sslinspect-policy: check a policy file, or explain which rule decides a
 * request and why, with the same code the c-icap service runs. The
 * options are the table in policy_opts.c.
 *
 *	sslinspect-policy check FILE
 *	sslinspect-policy explain [-p FILE] URL [--user U] [--ip A] [--group G]
 *	    [--method M] [--upload | --download] [--content-type T]
 *	    [--type TRUE_TYPE] [--size N] [--category-db FILE | --category C]
 */
#include "config.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "categories.h"
#include "filetype.h"
#include "policy_int.h"

#define NOPTS	32

static void
usage(FILE *f)
{
	const struct policy_opt	*o;
	char			 left[64];

	fprintf(f,
	    "usage: sslinspect-policy check FILE\n"
	    "       sslinspect-policy explain [-p FILE] URL [options]\n"
	    "       sslinspect-policy --help | --version\n\n"
	    "check: load FILE as the c-icap service would; print the number "
	    "of\n"
	    "  rules, or the first error as FILE:LINE:COLUMN: message.\n"
	    "explain: which rule decides a request for URL, and why.\n\n"
	    "options of explain:\n");
	for (o = policy_opts; o->name != NULL; o++) {
		if (o->cmd != POLICY_OPT_EXPLAIN)
			continue;
		if (o->shortopt)
			snprintf(left, sizeof left, "-%c, --%s%s%s",
			    o->shortopt,
			    o->name, o->arg ? " " : "", o->arg ? o->arg : "");
		else
			snprintf(left, sizeof left, "    --%s%s%s", o->name,
			    o->arg ? " " : "", o->arg ? o->arg : "");
		fprintf(f, "  %-26s %s", left, o->help);
		if (o->dflt != NULL)
			fprintf(f, " (default %s)", o->dflt);
		fputc('\n', f);
	}
	fprintf(f,
	    "\nExit status: 0 done, 1 the policy does not load, 2 usage.\n"
	    "See sslinspect-policy(1) and srv_sslinspect(5).\n");
}

static int usage_error(const char *, ...) PRINTF(1, 2);

/* A usage error: the message (fmt may be NULL), the usage; returns 2. */
static int
usage_error(const char *fmt, ...)
{
	va_list	ap;

	if (fmt != NULL) {
		fputs("sslinspect-policy: ", stderr);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	usage(stderr);
	return 2;
}

/* getopt_long's table from policy_opts; the index into it is the value. */
static void
build_longopts(struct option *lo, char *so)
{
	const struct policy_opt	*o;
	size_t			 i;

	*so++ = '+';
	for (i = 0, o = policy_opts; o->name != NULL && i + 1 < NOPTS; o++,
	    i++) {
		lo[i].name = o->name;
		lo[i].has_arg = o->arg ? required_argument : no_argument;
		lo[i].flag = NULL;
		lo[i].val = 256 + (int)i;
		if (o->shortopt) {
			*so++ = (char)o->shortopt;
			if (o->arg)
				*so++ = ':';
		}
	}
	memset(&lo[i], 0, sizeof lo[i]);
	*so = '\0';
}

/* The policy_opts entry a getopt_long result stands for, or NULL. */
static const struct policy_opt *
opt_of(int ch)
{
	const struct policy_opt	*o;

	if (ch >= 256)
		return &policy_opts[ch - 256];
	for (o = policy_opts; o->name != NULL; o++)
		if (o->shortopt == ch)
			return o;
	return NULL;
}

static int
cmd_check(int argc, char **argv)
{
	struct policy	*p;
	char		*cause = NULL;

	if (argc != 2)
		return usage_error("check takes one file");
	if ((p = policy_load(argv[1], &cause)) == NULL) {
		fprintf(stderr, "sslinspect-policy: %s\n", cause);
		free(cause);
		return 1;
	}
	printf("%s: OK, %u rules\n", argv[1], policy_nrules(p));
	policy_free(p);
	return 0;
}

static void
print_decision(const char *url, const struct policy_facts *f,
    const struct policy_decision *d)
{
	printf("url:       %s\n", url);
	printf("direction: %s\n",
	    f->direction == ENGINE_UPLOAD ? "upload" : "download");
	if (f->user != NULL)
		printf("user:      %s\n", f->user);
	if (f->groups != NULL)
		printf("groups:    %s (as sent by the proxy)\n", f->groups);
	printf("categories: %s\n", f->categories ? f->categories : "none");
	printf("rule:      %s\n", d->rule);
	printf("action:    %s\n", policy_action_str(d->action));
	if (d->action == POLICY_INSPECT || d->action == POLICY_MONITOR)
		printf("profile:   %s\n",
		    d->profile_name ? d->profile_name : "default");
	if (d->category != NULL)
		printf("category:  %s\n", d->category);
	if (d->reason != NULL)
		printf("reason:    %s\n", d->reason);
	printf("why:       %s\n", d->why);
	if (d->pending)
		printf("note:      an earlier rule needs the true file type or "
		    "size;"
		    " the service decides again after inspecting the body\n");
}

/* Apply one explain option; 0, or the exit status of a usage error. */
static int
explain_opt(const struct policy_opt *o, const char *arg,
    struct policy_facts *f, const char **file, const char **catdb)
{
	const char	*hint;
	uint64_t	 size;

	if (strcmp(o->name, "policy") == 0)
		*file = arg;
	else if (strcmp(o->name, "user") == 0)
		f->user = arg;
	else if (strcmp(o->name, "ip") == 0)
		f->client_ip = arg;
	else if (strcmp(o->name, "group") == 0)
		f->groups = arg;
	else if (strcmp(o->name, "method") == 0)
		f->method = arg;
	else if (strcmp(o->name, "upload") == 0)
		f->direction = ENGINE_UPLOAD;
	else if (strcmp(o->name, "download") == 0)
		f->direction = ENGINE_DOWNLOAD;
	else if (strcmp(o->name, "content-type") == 0)
		f->content_type = arg;
	else if (strcmp(o->name, "category-db") == 0)
		*catdb = arg;
	else if (strcmp(o->name, "category") == 0)
		f->categories = arg;
	else if (strcmp(o->name, "type") == 0) {
		/* A body has one true type, never a group. */
		if (filetype_lookup(arg) == NULL) {
			hint = policy_filetype_hint(arg);
			fprintf(stderr,
			    "sslinspect-policy: --type %s: not a true "
			    "file type%s%s%s (see sslinspect-engines(7))\n",
			    arg,
			    hint ? "; did you mean '" : "", hint ? hint : "",
			    hint ? "'" : "");
			return 2;
		}
		f->true_type = arg;
	} else if (strcmp(o->name, "size") == 0) {
		if (svcconf_parse_size(arg, &size) != 0 || size > INT64_MAX)
			return usage_error("bad size %s", arg);
		f->size = (int64_t)size;
	}
	return 0;
}

/*
 * The request's categories from the category database, as the service
 * looks them up. The default database may be missing (no lists are
 * installed): a note says so. One named with --category-db must open.
 */
static int
explain_categories(const char *named, struct policy_facts *f, char *cats,
    size_t len, char **missing)
{
	const char	*path = named != NULL ? named : SVC_CATEGORYDB;
	struct catdb	*db;
	char		*cause = NULL;

	if (strcmp(path, "none") == 0)
		return 0;
	if ((db = catdb_open(path, &cause)) == NULL) {
		if (named != NULL) {
			fprintf(stderr, "sslinspect-policy: %s\n", cause);
			free(cause);
			return 1;
		}
		*missing = cause;
		return 0;
	}
	if (catdb_request(db, f->host, f->url, cats, len) > 0)
		f->categories = cats;
	catdb_close(db);
	return 0;
}

static int
cmd_explain(int argc, char **argv)
{
	struct option		 lo[NOPTS];
	char			 so[2 * NOPTS + 2], host[256], *cause = NULL;
	char			*missing = NULL;
	const struct policy_opt	*o;
	const char		*file = SVC_POLICYFILE, *path;
	const char		*catdb = NULL;
	char			 cats[CAT_MAXVALUE];
	struct policy_facts	 f;
	struct policy_decision	 d;
	struct policy		*p;
	int			 ch, rc;

	memset(&f, 0, sizeof f);
	f.direction = ENGINE_DOWNLOAD;
	f.size = -1;
	build_longopts(lo, so);
	/* Options may follow the URL. */
	so[0] = '-';
	while ((ch = getopt_long(argc, argv, so, lo, NULL)) != -1) {
		if (ch == 1) {
			if (f.url != NULL)
				return usage_error("more than one URL: %s",
				    optarg);
			f.url = optarg;
			continue;
		}
		if ((o = opt_of(ch)) == NULL || o->cmd != POLICY_OPT_EXPLAIN)
			return usage_error(NULL);
		if ((rc = explain_opt(o, optarg, &f, &file, &catdb)) != 0)
			return rc;
	}
	if (f.url == NULL)
		return usage_error("explain needs a URL");
	if (policy_url_host(f.url, host, sizeof host, &path) != 0 ||
	    host[0] == '\0') {
		fprintf(stderr,
		    "sslinspect-policy: %s is not an absolute URL\n", f.url);
		return 2;
	}
	f.host = host;
	if (f.method == NULL)
		f.method = f.direction == ENGINE_UPLOAD ? "POST" : "GET";
	if ((p = policy_load(file, &cause)) == NULL) {
		fprintf(stderr, "sslinspect-policy: %s\n", cause);
		free(cause);
		return 1;
	}
	if (f.categories == NULL && (rc = explain_categories(catdb, &f, cats,
	    sizeof cats, &missing)) != 0) {
		policy_free(p);
		return rc;
	}
	policy_decide(p, &f, &d);
	print_decision(f.url, &f, &d);
	if (missing != NULL)
		printf("note:      no category database (%s): category: names "
		    "outside lists: match nothing\n", missing);
	free(missing);
	policy_free(p);
	return 0;
}

/* --help and --version anywhere on the line win over everything else. */
static int
global_opts(int argc, char **argv)
{
	int	i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i],
		    "-h") == 0 ||
		    (i == 1 && strcmp(argv[i], "help") == 0)) {
			usage(stdout);
			return 0;
		}
		if (strcmp(argv[i], "--version") == 0 || strcmp(argv[i],
		    "-V") == 0) {
			printf("sslinspect-policy %s\n", PACKAGE_VERSION);
			return 0;
		}
	}
	return -1;
}

int
main(int argc, char **argv)
{
	int	rc;

	if ((rc = global_opts(argc, argv)) >= 0)
		return rc;
	if (argc < 2)
		return usage_error(NULL);
	if (strcmp(argv[1], "check") == 0)
		return cmd_check(argc - 1, argv + 1);
	if (strcmp(argv[1], "explain") == 0)
		return cmd_explain(argc - 1, argv + 1);
	return usage_error("unknown command '%s'", argv[1]);
}
