/*
 * sslinspect-certverify: the request loop. Squid gives the helper one UNIX
 * socket as stdin and stdout; requests are read by length. Those with a
 * channel ID go to the worker pool (cv_pool.c) and are answered as each is
 * ready; the others are answered in order, the answers of a batch in one
 * write. This is the only file that exits.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "certverify.h"

#define MAIN_OPTS_MAX	32
#define MAIN_BUF_MAX	(CV_BODY_MAX + 256)

static void __attribute__((noreturn))
cv_main_fatal(const char *what, const char *cause)
{
	log_info("FATAL: %s: %s", what, cause != NULL ? cause :
	    "out of memory");
	exit(1);
}

/* Parse the command line; exits on --help, --version and errors. */
static void
cv_main_options(int argc, char **argv, struct cv_opts *o)
{
	struct option		 lo[MAIN_OPTS_MAX];
	char			 so[2 * MAIN_OPTS_MAX + 1], *p = so;
	char			*cause = NULL;
	const struct cv_opt	*e;
	int			 c, i = 0, rv;

	for (e = cv_opts_table; e->name != NULL && i < MAIN_OPTS_MAX - 1;
	    e++, i++) {
		lo[i].name = e->name;
		lo[i].has_arg = e->type == CV_OPT_FLAG ? no_argument :
		    required_argument;
		lo[i].flag = NULL;
		lo[i].val = 256 + i;
		if (e->shortopt != 0) {
			*p++ = (char)e->shortopt;
			if (e->type != CV_OPT_FLAG)
				*p++ = ':';
		}
	}
	memset(&lo[i], 0, sizeof lo[i]);
	*p = '\0';
	if (cv_opts_defaults(o, &cause) == -1)
		cv_main_fatal("defaults", cause);
	while ((c = getopt_long(argc, argv, so, lo, NULL)) != -1) {
		e = NULL;
		if (c >= 256 && c < 256 + i)
			e = &cv_opts_table[c - 256];
		else {
			for (e = cv_opts_table; e->name != NULL; e++) {
				if (e->shortopt == c)
					break;
			}
			if (e->name == NULL)
				e = NULL;
		}
		if (e == NULL) {
			cv_opts_usage(stderr);
			exit(2);
		}
		if (strcmp(e->name, "help") == 0) {
			cv_opts_usage(stdout);
			exit(0);
		}
		if (strcmp(e->name, "version") == 0) {
			printf("sslinspect-certverify %s\n", PACKAGE_VERSION);
			exit(0);
		}
		if (strcmp(e->name, "config") == 0)
			rv = cv_opts_file(o, optarg, &cause);
		else
			rv = cv_opts_set(o, e->name, e->type == CV_OPT_FLAG ?
			    "yes" : optarg, &cause);
		if (rv == -1)
			cv_main_fatal("bad options", cause);
	}
	if (optind != argc)
		cv_main_fatal("bad options", "unexpected arguments");
}

int
main(int argc, char **argv)
{
	struct cv_opts	 o;
	struct cv_ctx	 c;
	struct cbuf	 out = { NULL, 0, 0 };
	struct cbuf	 in = { NULL, 0, 0 };
	char		*cause = NULL;
	size_t		 used;
	ssize_t		 n;

	log_init("sslinspect-certverify");
	cv_main_options(argc, argv, &o);
	log_debug_enabled = o.debug;
	signal(SIGPIPE, SIG_IGN);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		cv_main_fatal("cannot start", "libcurl did not initialise");
	memset(&c, 0, sizeof c);
	if ((c.v.store = cv_opts_store(&o, &cause)) == NULL)
		cv_main_fatal("cannot start", cause);
	c.v.min_rsa_bits = (int)o.min_rsa_bits;
	c.v.min_ec_bits = (int)o.min_ec_bits;
	if (o.revocation && (c.v.rev = cv_revoke_new(o.timeout, o.cache_time,
	    (size_t)o.cache_size)) == NULL)
		cv_main_fatal("cannot start", NULL);
	c.pol = o.pol;
	memset(&o.pol, 0, sizeof o.pol);	/* now c's */
	if ((c.pool = cv_pool_new(&c, (size_t)o.workers, STDOUT_FILENO,
	    &cause)) == NULL)
		cv_main_fatal("cannot start", cause);
	while ((n = cbuf_read(&in, STDIN_FILENO, MAIN_BUF_MAX)) > 0) {
		used = cv_handle(&c, in.data, in.len, time(NULL), &out);
		if (cv_pool_write(c.pool, &out, STDOUT_FILENO) == -1)
			break;
		cbuf_drop(&in, used);
	}
	if (n == -1 && errno == ENOBUFS)
		cv_main_fatal("input", "a request larger than the buffer");
	cv_pool_free(c.pool);
	cbuf_free(&in);
	cbuf_free(&out);
	cv_revoke_free(c.v.rev);
	X509_STORE_free(c.v.store);
	cv_policy_free(&c.pol);
	cv_opts_free(&o);
	curl_global_cleanup();
	return 0;
}
