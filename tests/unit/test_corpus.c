/*
 * Accuracy on corpora. Detection: every file in tests/corpus/detect is
 * named "<type>[+<type>...]--<what>.<ext>" and must yield exactly those
 * findings, whatever the chunking. Benign: our look-alikes in
 * tests/corpus/benign, plus real text nobody here wrote (the licences and
 * documentation Debian packages ship, gzip'd ones included), must yield
 * no finding at all.
 */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "engine.h"
#include "engine_test.h"
#include "unit_test.h"

#define CORPUS_FILE_MAX	(16 * 1024 * 1024)

static struct engine_set	*set;
static size_t			 benign_files, benign_bytes, benign_hits;

static void
setup(void)
{
	struct engine_config	 cfg;
	char			*cause = NULL;

	engine_config_defaults(&cfg);
	cfg.clamav = false;
	set = engine_set_load(&cfg, &cause);
	ck_assert_msg(set != NULL, "load: %s", cause);
}

static void
teardown(void)
{
	engine_set_free(set);
	set = NULL;
}

static const char *
srcdir(void)
{
	const char	*s = getenv("top_srcdir");

	return s != NULL ? s : "..";
}

/*
 * Read a file as it would be uploaded (a *.gz stays compressed: the
 * engines open it); NULL when unreadable or too big.
 */
static char *
slurp(const char *path, size_t *len)
{
	FILE	*f;
	char	*buf;
	size_t	 n;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	buf = malloc(CORPUS_FILE_MAX);
	n = fread(buf, 1, CORPUS_FILE_MAX, f);
	fclose(f);
	if (n == CORPUS_FILE_MAX) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

static struct engine_result
scan(const char *buf, size_t len, size_t step)
{
	struct engine_profile	p;

	engine_profile_defaults(&p, ENGINE_UPLOAD);
	return engine_test_scan(set, &p, ENGINE_UPLOAD, buf, len, step);
}

/* The "+"-joined finding types of r, sorted as found. */
static void
types(const struct engine_result *r, char *out, size_t len)
{
	size_t	i, o = 0;

	out[0] = '\0';
	for (i = 0; i < r->nfindings && o < len; i++)
		o += (size_t)snprintf(out + o, len - o, "%s%s", i ? "+" : "",
		    r->findings[i].type);
}

START_TEST(detection_corpus)
{
	static const size_t	 steps[] = { 1, 13, 4064, CORPUS_FILE_MAX };
	struct dirent		*de;
	DIR			*d;
	char			 path[1024], want[128], got[256], *buf, *sep;
	size_t			 len, i, nfiles = 0;
	struct engine_result	 r;

	snprintf(path, sizeof path, "%s/tests/corpus/detect", srcdir());
	ck_assert_msg((d = opendir(path)) != NULL, "%s", path);
	while ((de = readdir(d)) != NULL) {
		if ((sep = strstr(de->d_name, "--")) == NULL)
			continue;
		snprintf(want, sizeof want, "%.*s", (int)(sep - de->d_name),
		    de->d_name);
		snprintf(path, sizeof path, "%s/tests/corpus/detect/%s",
		    srcdir(), de->d_name);
		ck_assert_msg((buf = slurp(path, &len)) != NULL, "%s", path);
		for (i = 0; i < sizeof steps / sizeof steps[0]; i++) {
			r = scan(buf, len, steps[i]);
			types(&r, got, sizeof got);
			ck_assert_msg(strcmp(got, want) == 0,
			    "%s (pieces of %zu): want %s, got %s", de->d_name,
			    steps[i], want, got);
		}
		free(buf);
		nfiles++;
	}
	closedir(d);
	ck_assert_uint_ge(nfiles, 10);
}
END_TEST

static void
benign_file(const char *path)
{
	struct engine_result	 r;
	struct stat		 st;
	char			*buf;
	size_t			 len, i;

	if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (buf = slurp(path, &len)) == NULL)
		return;
	r = scan(buf, len, 4064);
	benign_files++;
	benign_bytes += len;
	if (r.verdict == ENGINE_UNINSPECTABLE || r.verdict == ENGINE_ERROR) {
		fprintf(stderr, "false block: %s: %s\n", path, r.reason);
		benign_hits++;
	}
	for (i = 0; i < r.nfindings; i++) {
		fprintf(stderr, "false positive: %s: %s/%s x%u (%s)\n", path,
		    r.findings[i].engine, r.findings[i].type,
		    r.findings[i].count, r.findings[i].sample);
		benign_hits++;
	}
	free(buf);
}

static void
benign_tree(const char *dir, unsigned depth)
{
	struct dirent	**names;
	char		  path[2048];
	struct stat	  st;
	int		  n, i;

	if (depth > 4 || (n = scandir(dir, &names, NULL, alphasort)) < 0)
		return;
	for (i = 0; i < n; i++) {
		/* Our own documentation carries test cards on purpose. */
		if (names[i]->d_name[0] != '.' &&
		    strcmp(names[i]->d_name, "sslinspect") != 0) {
			snprintf(path, sizeof path, "%s/%s", dir,
			    names[i]->d_name);
			if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
				benign_tree(path, depth + 1);
			else
				benign_file(path);
		}
		free(names[i]);
	}
	free(names);
}

START_TEST(benign_corpus)
{
	char	path[1024];

	snprintf(path, sizeof path, "%s/tests/corpus/benign", srcdir());
	benign_tree(path, 0);
	ck_assert_uint_ge(benign_files, 2);
	benign_tree("/usr/share/common-licenses", 0);
	benign_tree("/usr/share/doc", 0);
	fprintf(stderr, "benign corpus: %zu files, %zu bytes, %zu findings\n",
	    benign_files, benign_bytes, benign_hits);
	ck_assert_uint_ge(benign_bytes, 1000000);
	ck_assert_uint_eq(benign_hits, 0);
}
END_TEST

/*
 * The trial: 200 random 16-digit order ids, each uploaded on its
 * own (bare, as JSON, as a form field, printed in groups of four): about
 * one in ten passes Luhn and a quarter of those fall in an issuer range,
 * so a check-digit rule alone took 6 of 200 for cards. None may count.
 */
START_TEST(order_ids_one_by_one)
{
	static const char *const forms[][2] = { { "", "" },
	    { "{\"order_id\":\"", "\"}" }, { "order=", "&qty=1" } };
	struct engine_result	 r;
	char			 path[1024], *buf, *line, *save = NULL,
	    body[128];
	char			 grouped[24];
	size_t			 len, i, ids = 0, printed = 0;

	snprintf(path, sizeof path, "%s/tests/corpus/benign/order-ids.txt",
	    srcdir());
	ck_assert_ptr_nonnull(buf = slurp(path, &len));
	buf[len] = '\0';
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save), ids++) {
		for (i = 0; i < sizeof forms / sizeof forms[0]; i++) {
			snprintf(body, sizeof body, "%s%s%s", forms[i][0], line,
			    forms[i][1]);
			r = scan(body, strlen(body), 4064);
			ck_assert_msg(r.nfindings == 0, "%s: %s", body,
			    r.reason);
		}
		snprintf(grouped, sizeof grouped, "%.4s %.4s %.4s %.4s", line,
		    line + 4, line + 8, line + 12);
		snprintf(body, sizeof body, "ref %s", grouped);
		r = scan(body, strlen(body), 4064);
		printed += r.nfindings;
	}
	ck_assert_uint_eq(ids, 200);
	/* Printed as cards are, they are no cards without context either. */
	ck_assert_uint_eq(printed, 0);
	free(buf);
}
END_TEST

static Suite *
corpus_suite(void)
{
	Suite	*s = suite_create("corpus");
	TCase	*tc = tcase_create("accuracy");

	tcase_set_timeout(tc, 300);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, detection_corpus);
	tcase_add_test(tc, benign_corpus);
	tcase_add_test(tc, order_ids_one_by_one);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_TEST_MAIN(corpus_suite)
