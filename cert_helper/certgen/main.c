/*
 * sslinspect-certgen: the request loop. Squid gives the helper one UNIX
 * socket as stdin and stdout; requests are read by length, answered, and
 * all replies of a batch go out in one write. This is the only file that
 * exits. It also watches the issuing CA of the CA directory's Squid
 * bundle and says in cache.log when it nears its end (cahealth.h), at
 * start and then at most once an hour.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "cahealth.h"
#include "certgen.h"

#define MAIN_BUF_MAX	(CERTGEN_BODY_MAX + 256)
#define MAIN_OPTS_MAX	32
#define MAIN_CA_CHECK	3600	/* seconds between looks at the issuing CA */
/* bytes read for the bundle's first certificate */
#define MAIN_PEM_MAX	16384

/* A fatal start-up error: cache.log says FATAL, Squid sees the exit. */
static void __attribute__((noreturn))
main_fatal(const char *what, const char *cause)
{
	log_info("FATAL: %s%s%s", what, *what != '\0' ? ": " : "",
	    cause != NULL ? cause : "out of memory");
	exit(1);
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
			exit(2);
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
	main_fatal("", cause != NULL ? cause : "bad options");
}

/*
 * The first certificate of the CA directory's Squid bundle: the issuing CA
 * Squid signs with. Only the bytes up to its end are read (the key follows
 * it) and they are wiped. NULL when there is none.
 */
static X509 *
main_bundle_cert(const char *dir)
{
	char	 path[4096], buf[MAIN_PEM_MAX + 1], *end;
	size_t	 len = 0;
	ssize_t	 n;
	X509	*x = NULL;
	BIO	*bio;
	int	 fd;

	snprintf(path, sizeof path, "%s/squid-bundle.pem", dir);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	while (len < MAIN_PEM_MAX &&
	    (n = read(fd, buf + len, MAIN_PEM_MAX - len)) > 0) {
		len += (size_t)n;
		buf[len] = '\0';
		if (strstr(buf, "-----END CERTIFICATE-----") != NULL)
			break;
	}
	close(fd);
	buf[len] = '\0';
	if ((end = strstr(buf, "-----END CERTIFICATE-----")) != NULL &&
	    (bio = BIO_new_mem_buf(buf, (int)(end - buf) + 25)) != NULL) {
		x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		BIO_free(bio);
	}
	OPENSSL_cleanse(buf, sizeof buf);
	ERR_clear_error();
	return x;
}

static time_t
main_asn1_time(const ASN1_TIME *t)
{
	struct tm	tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return timegm(&tm);
}

/*
 * Say in cache.log when the issuing CA nears its end: Squid cannot bump
 * once it has expired, and rotation is what keeps that from happening.
 */
static void
main_ca_check(const struct opts *o, time_t now)
{
	X509		*x;
	time_t		 nb, na;
	long		 h;

	if (o->ca_dir == NULL || (x = main_bundle_cert(o->ca_dir)) == NULL)
		return;
	nb = main_asn1_time(X509_get0_notBefore(x));
	na = main_asn1_time(X509_get0_notAfter(x));
	X509_free(x);
	if (na == 0)
		return;
	h = (long)((na - now) / 3600);
	if (na <= now)
		log_info("ERROR: the issuing CA in %s/squid-bundle.pem has "
		    "expired: bumped connections fail; run sslinspect-ca "
		    "rotate", o->ca_dir);
	else if (cahealth_issuing(nb, na, now, -1, -1) != CAHEALTH_OK)
		log_warnx("the issuing CA in %s/squid-bundle.pem expires in "
		    "%ld hours and was not rotated; is sslinspect-rotate.timer "
		    "(or its cron job) running? See sslinspect-ca status",
		    o->ca_dir, h);
}

int
main(int argc, char **argv)
{
	struct opts	 o;
	struct certgen	*cg;
	struct cbuf	 out = { NULL, 0, 0 };
	struct cbuf	 in = { NULL, 0, 0 };
	char		*cause = NULL, *note = NULL;
	size_t		 used;
	time_t		 checked, now;

	log_init("sslinspect-certgen");
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
	if (opts_ca_dir(&o, &note, &cause) == -1)
		main_fatal("ca-dir", cause);
	if (note != NULL) {
		log_warnx("%s", note);
		free(note);
	}
	main_ca_check(&o, checked = now = time(NULL));
	if ((cg = certgen_new(&o, now, &cause)) == NULL)
		main_fatal("cannot start", cause);
	while (cbuf_read(&in, STDIN_FILENO, MAIN_BUF_MAX) > 0) {
		now = time(NULL);
		used = certgen_handle(cg, in.data, in.len, now, &out);
		if (cbuf_write(&out, STDOUT_FILENO) == -1)
			break;
		certgen_flush(cg);
		if (now - checked >= MAIN_CA_CHECK)
			main_ca_check(&o, checked = now);
		cbuf_drop(&in, used);
	}
	cbuf_free(&in);
	cbuf_free(&out);
	certgen_free(cg);
	opts_free(&o);
	return 0;
}
