/*
 * sslinspect-certgen: the request loop. Squid gives the helper one UNIX
 * socket as stdin and stdout; requests are read by length, answered, and
 * all replies of a batch go out in one write. This is the only file that
 * exits.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "certgen.h"

#define MAIN_BUF_MAX	(CERTGEN_BODY_MAX + 256)
#define MAIN_OPTS_MAX	32

/* Write all of p; 0 or -1. */
static int
main_write(int fd, const char *p, size_t n)
{
	ssize_t	w;

	while (n > 0) {
		if ((w = write(fd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* getopt_long tables built from opts_table. */
static void
main_getopt_tables(struct option *lo, char *so)
{
	const struct opts_entry	*e;
	size_t			 i = 0;

	for (e = opts_table; e->name != NULL && i < MAIN_OPTS_MAX - 1; e++) {
		lo[i].name = e->name;
		lo[i].has_arg = e->type == OPTS_FLAG ? no_argument :
		    required_argument;
		lo[i].flag = NULL;
		lo[i].val = e->shortopt;
		i++;
		*so++ = (char)e->shortopt;
		if (e->type != OPTS_FLAG)
			*so++ = ':';
	}
	memset(&lo[i], 0, sizeof lo[i]);
	*so = '\0';
}

/* The long name for a short option letter. */
static const char *
main_long_name(int c)
{
	const struct opts_entry	*e;

	for (e = opts_table; e->name != NULL; e++) {
		if (e->shortopt == c)
			return e->name;
	}
	return NULL;
}

/* Parse the command line into o; exits on --help, --version and errors. */
static void
main_options(int argc, char **argv, struct opts *o)
{
	struct option	 lo[MAIN_OPTS_MAX];
	char		 so[2 * MAIN_OPTS_MAX + 1], *cause = NULL;
	const char	*name;
	int		 c, rv;

	main_getopt_tables(lo, so);
	if (opts_defaults(o, &cause) == -1)
		goto fail;
	while ((c = getopt_long(argc, argv, so, lo, NULL)) != -1) {
		if (c == 'h') {
			opts_usage(stdout, "sslinspect-certgen");
			exit(0);
		}
		if (c == 'V') {
			printf("sslinspect-certgen %s\n", PACKAGE_VERSION);
			exit(0);
		}
		if ((name = main_long_name(c)) == NULL) {
			opts_usage(stderr, "sslinspect-certgen");
			exit(1);
		}
		if (c == 'c')
			rv = opts_file(o, optarg, &cause);
		else
			rv = opts_set(o, name, optarg, &cause);
		if (rv == -1)
			goto fail;
	}
	if (optind != argc) {
		cause = strdup("unexpected arguments");
		goto fail;
	}
	return;
fail:
	log_warnx("%s", cause != NULL ? cause : "bad options");
	exit(1);
}

int
main(int argc, char **argv)
{
	struct opts	 o;
	struct certgen	*cg;
	struct cbuf	 out = { NULL, 0, 0 };
	char		*buf, *cause = NULL;
	size_t		 len = 0, cap = 65536, used;
	ssize_t		 n;

	/*
	 * A mint allocates and frees a few hundred KiB; glibc would hand
	 * the heap top back to the kernel after each and fault it in again
	 * on the next (about a tenth of a cold mint here). Keep it.
	 */
	mallopt(M_TRIM_THRESHOLD, 16 * 1024 * 1024);
	mallopt(M_TOP_PAD, 1024 * 1024);
	mallopt(M_MMAP_THRESHOLD, 4 * 1024 * 1024);
	main_options(argc, argv, &o);
	log_debug_enabled = o.debug;
	signal(SIGPIPE, SIG_IGN);
	if ((cg = certgen_new(&o, &cause)) == NULL) {
		log_warnx("cannot start: %s", cause);
		exit(1);
	}
	if ((buf = malloc(cap)) == NULL)
		exit(1);
	for (;;) {
		if (len == cap && cap < MAIN_BUF_MAX) {
			cap = cap * 2 > MAIN_BUF_MAX ? MAIN_BUF_MAX : cap * 2;
			if ((buf = realloc(buf, cap)) == NULL)
				exit(1);
		}
		n = read(STDIN_FILENO, buf + len, cap - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		used = certgen_handle(cg, buf, len, &out);
		if (out.len > 0) {
			if (main_write(STDOUT_FILENO, out.data, out.len) == -1)
				break;
			OPENSSL_cleanse(out.data, out.len);
			out.len = 0;
		}
		certgen_flush(cg);
		OPENSSL_cleanse(buf, used);
		memmove(buf, buf + used, len - used);
		len -= used;
	}
	OPENSSL_cleanse(buf, cap);
	free(buf);
	cbuf_free(&out);
	certgen_free(cg);
	opts_free(&o);
	return 0;
}
