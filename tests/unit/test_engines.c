/*
 * Unit tests for the engine API end to end: malware (EICAR, libclamav with
 * a signature set written here, the SHA-256 blocklist and their reloads),
 * true file types and type blocking, archives and their limits. Archives
 * are built with libarchive at test time.
 */
#include "config.h"

#include <archive.h>
#include <archive_entry.h>
#include <check.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"
#include "engine_test.h"
#include "malware.h"

struct blob {
	unsigned char	*p;
	size_t		 n;
};

struct member {
	const char	*name;
	struct blob	 data;
};

static struct engine_set	*set;
static struct engine_config	 cfg;
static void			*owned[256];	/* freed by teardown */
static size_t			 nowned;
static char			 top[] = "/tmp/test_engines.XXXXXX";
static char			 dir[128];
static char			 path_db[300], path_hashes[300], path_tmp[300];

static void
put_file(const char *path, const void *p, size_t n)
{
	FILE	*f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(p, 1, n, f), n);
	fclose(f);
}

static void
rm_tree(const char *path)
{
	char	cmd[400];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", path);
}

/* Every buffer a test makes is freed by teardown. */
static void *
own(void *p)
{
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_lt(nowned, sizeof owned / sizeof owned[0]);
	owned[nowned++] = p;
	return p;
}

static struct blob
text(const char *s)
{
	struct blob	b = { own(strdup(s)), strlen(s) };

	return b;
}

static struct blob
eicar(void)
{
	char	e[MALWARE_EICAR_LEN + 1];

	malware_eicar_string(e);
	return text(e);
}

/* Deterministic bytes that no table entry and no text check matches. */
static struct blob
noise(size_t n, unsigned seed)
{
	struct blob	b = { own(malloc(n)), n };
	uint32_t	x = seed * 2654435761u + 1;
	size_t		i;

	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		b.p[i] = (unsigned char)x;
	}
	b.p[0] = 0x01;
	b.p[1] = 0x00;
	return b;
}

/* An archive of the members: format "zip", "ustar" or "raw" (one member). */
static struct blob
pack(const char *format, const char *filter, const char *password,
    const struct member *m, size_t nm)
{
	struct archive		*a = archive_write_new();
	struct archive_entry	*e;
	struct blob		 b;
	size_t			 i, cap = 1024 * 1024, used = 0;

	for (i = 0; i < nm; i++)
		cap += m[i].data.n + 1024;
	b.p = own(malloc(cap));
	ck_assert_int_eq(archive_write_set_format_by_name(a, format),
	    ARCHIVE_OK);
	if (filter != NULL)
		ck_assert_int_eq(archive_write_add_filter_by_name(a, filter),
		    ARCHIVE_OK);
	if (password != NULL) {
		ck_assert_int_eq(archive_write_set_options(a,
		    "zip:encryption=zipcrypt"), ARCHIVE_OK);
		ck_assert_int_eq(archive_write_set_passphrase(a, password),
		    ARCHIVE_OK);
	}
	ck_assert_int_eq(archive_write_open_memory(a, b.p, cap, &used),
	    ARCHIVE_OK);
	for (i = 0; i < nm; i++) {
		e = archive_entry_new();
		archive_entry_set_pathname(e, m[i].name);
		archive_entry_set_size(e, (la_int64_t)m[i].data.n);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		ck_assert_int_eq(archive_write_header(a, e), ARCHIVE_OK);
		ck_assert_int_eq(archive_write_data(a, m[i].data.p,
		    m[i].data.n), (la_ssize_t)m[i].data.n);
		archive_entry_free(e);
	}
	ck_assert_int_eq(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	b.n = used;
	return b;
}

static struct blob
zip1(const char *name, struct blob data)
{
	struct member	m = { name, data };

	return pack("zip", NULL, NULL, &m, 1);
}

static void
hex_digest(const char *md, const struct blob *b, char *out)
{
	unsigned char	d[EVP_MAX_MD_SIZE];
	unsigned	n = 0, i;

	ck_assert_int_eq(EVP_Digest(b->p, b->n, d, &n, EVP_get_digestbyname(md),
	    NULL), 1);
	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

static void
load(void)
{
	char	*cause = NULL;

	engine_set_free(set);
	set = engine_set_load(&cfg, &cause);
	ck_assert_msg(set != NULL, "load: %s", cause);
}

/* Once, in the parent: every test's directory goes under top. */
static void
setup_top(void)
{
	if (mkdtemp(top) == NULL)
		abort();
}

static void
teardown_top(void)
{
	rm_tree(top);
}

static void
setup(void)
{
	snprintf(dir, sizeof dir, "%s/t.XXXXXX", top);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path_db, sizeof path_db, "%s/db", dir);
	snprintf(path_hashes, sizeof path_hashes, "%s/sha256.list", dir);
	snprintf(path_tmp, sizeof path_tmp, "%s/tmp", dir);
	ck_assert_int_eq(mkdir(path_db, 0700), 0);
	ck_assert_int_eq(mkdir(path_tmp, 0700), 0);
	engine_config_defaults(&cfg);
	cfg.clamav_db_dir = path_db;
	cfg.tmpdir = path_tmp;
	set = NULL;
	load();
}

static void
teardown(void)
{
	engine_set_free(set);
	set = NULL;
	while (nowned > 0)
		free(owned[--nowned]);
	rm_tree(dir);
}

static struct engine_result
scan_prof(const struct engine_profile *p, enum engine_direction d,
    struct blob b, size_t step)
{
	return engine_test_scan(set, p, d, b.p, b.n, step);
}

/* Scan as an upload with the default profile, in c-icap sized pieces. */
static struct engine_result
scan(struct blob b)
{
	struct engine_profile	p;

	engine_profile_defaults(&p, ENGINE_UPLOAD);
	return scan_prof(&p, ENGINE_UPLOAD, b, 4064);
}

static const struct engine_finding *
finding(const struct engine_result *r, const char *engine)
{
	size_t	i;

	for (i = 0; i < r->nfindings; i++) {
		if (strcmp(r->findings[i].engine, engine) == 0)
			return &r->findings[i];
	}
	return NULL;
}

static void
assert_eicar(struct engine_result r)
{
	const struct engine_finding	*f = finding(&r, "malware");

	ck_assert_int_eq(r.verdict, ENGINE_FOUND);
	ck_assert_ptr_nonnull(f);
	ck_assert_str_eq(f->type, "Eicar-Test-Signature");
}

START_TEST(eicar_plain_zip_nested_gzip)
{
	struct member	tm[2] = { { "readme.txt", text("hello") },
			    { "sub/eicar.com", eicar() } };
	struct blob	e = eicar(), z, zz, zzz, gz, tgz;

	assert_eicar(scan(e));
	z = zip1("eicar.com", e);
	assert_eicar(scan(z));
	zz = zip1("inner.zip", z);
	zzz = zip1("middle.zip", zz);
	assert_eicar(scan(zz));
	assert_eicar(scan(zzz));
	gz = pack("raw", "gzip", NULL, (struct member[]) { { "eicar", e } }, 1);
	ck_assert_uint_eq(gz.p[0], 0x1f);
	assert_eicar(scan(gz));
	tgz = pack("ustar", "gzip", NULL, tm, 2);
	assert_eicar(scan(tgz));
}
END_TEST

START_TEST(eicar_deep_in_large_upload)
{
	struct blob		big = noise(5 * 1000 * 1000, 7), e = eicar();
	struct engine_result	r;
	struct engine_profile	p;

	memcpy(big.p + 3 * 1000 * 1000 - 30, e.p, e.n);
	assert_eicar(scan(big));
	engine_profile_defaults(&p, ENGINE_DOWNLOAD);
	r = scan_prof(&p, ENGINE_DOWNLOAD, big, 65536);
	assert_eicar(r);
	ck_assert_str_eq(r.true_type, "binary");
	p.malware = false;
	r = scan_prof(&p, ENGINE_DOWNLOAD, big, 65536);
	ck_assert_int_eq(r.verdict, ENGINE_CLEAN);
}
END_TEST

/*
 * EICAR at every offset around a piece boundary, for piece sizes below,
 * at and above its length, after decoys that start like it; one changed
 * byte (first, middle, last) is no longer EICAR.
 */
START_TEST(eicar_across_pieces)
{
	static const size_t	steps[] = { 1, 7, 67, 68, 69, 128, 4064 };
	struct blob		e = eicar(), b = { own(malloc(400)), 0 };
	struct engine_profile	p;
	struct engine_result	r;
	size_t			i, off, k, flip[3] = { 0, e.n / 2, e.n - 1 };

	engine_profile_defaults(&p, ENGINE_DOWNLOAD);
	for (i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		for (off = 100; off < 240; off += 13) {
			memset(b.p, 'x', 400);
			/* a decoy: the head only */
			memcpy(b.p + 20, e.p, 30);
			memcpy(b.p + 60, "X5O", 3);
			memcpy(b.p + off, e.p, e.n);
			b.n = off + e.n + (off % 2);
			assert_eicar(scan_prof(&p, ENGINE_DOWNLOAD, b,
			    steps[i]));
			for (k = 0; k < 3; k++) {
				b.p[off + flip[k]] ^= 0x20;
				r = scan_prof(&p, ENGINE_DOWNLOAD, b, steps[i]);
				ck_assert_ptr_null(finding(&r, "malware"));
				b.p[off + flip[k]] ^= 0x20;
			}
		}
	}
}
END_TEST

START_TEST(dlp_inside_archives)
{
	struct member		 m[2] = {
		{ "[Content_Types].xml", text("<Types/>") },
		{ "word/document.xml",
		  text("<w:t>card 4111 1111 1111 1111</w:t>") },
	};
	struct blob		 docx = pack("zip", NULL, NULL, m, 2);
	struct engine_result	 r = scan(docx);

	ck_assert_str_eq(r.true_type, "ooxml");
	ck_assert_int_eq(r.verdict, ENGINE_FOUND);
	ck_assert_str_eq(r.findings[0].type, "credit_card");
	ck_assert_str_eq(r.findings[0].sample, "************1111");
}
END_TEST

START_TEST(archive_limits)
{
	struct member		 five[5];
	struct blob		 enc, zeros, bomb, z1, z2, z3, trunc, many, big;
	struct engine_result	 r;
	size_t			 i;

	enc = pack("zip", NULL, "secret",
	    (struct member[]) { { "a.txt", text("just text") } }, 1);
	r = scan(enc);
	ck_assert_int_eq(r.verdict, ENGINE_UNINSPECTABLE);
	ck_assert_ptr_nonnull(strstr(r.reason, "encrypted"));
	/* A hostile member name does not reach the reason raw. */
	z1 = zip1("x\nForged: line\r.zip", zip1("in.txt", text("x")));
	ck_assert_int_eq(scan(z1).verdict, ENGINE_CLEAN);
	z1 = zip1("x\nForged: line\r.zip",
	    pack("zip", NULL, "pw", (struct member[]) { { "a", text("b") } },
	    1));
	r = scan(z1);
	ck_assert_int_eq(r.verdict, ENGINE_UNINSPECTABLE);
	ck_assert_str_eq(r.reason, "x?Forged:?line?.zip: encrypted archive");

	/*
	 * 8 MiB of zeros is cheap to scan whatever the ratio; with a 16 MiB
	 * size limit the ratio counts from 4 MiB on.
	 */
	zeros.n = 8 * 1024 * 1024;
	zeros.p = own(calloc(1, zeros.n));
	bomb = zip1("zeros.bin", zeros);
	ck_assert_int_eq(scan(bomb).verdict, ENGINE_CLEAN);
	cfg.archive_max_bytes = 16 * 1024 * 1024;
	load();
	r = scan(bomb);
	ck_assert_int_eq(r.verdict, ENGINE_UNINSPECTABLE);
	ck_assert_ptr_nonnull(strstr(r.reason, "ratio"));
	engine_config_defaults(&cfg);
	cfg.clamav_db_dir = path_db;
	cfg.tmpdir = path_tmp;

	z1 = zip1("a.txt", text("hello"));
	z2 = zip1("b.zip", z1);
	z3 = zip1("c.zip", z2);
	cfg.archive_max_depth = 2;
	load();
	ck_assert_int_eq(scan(z2).verdict, ENGINE_CLEAN);
	r = scan(z3);
	ck_assert_int_eq(r.verdict, ENGINE_UNINSPECTABLE);
	ck_assert_ptr_nonnull(strstr(r.reason, "nested"));

	for (i = 0; i < 5; i++) {
		five[i].name = "f.txt";
		five[i].data = text("x");
	}
	many = pack("zip", NULL, NULL, five, 5);
	cfg.archive_max_entries = 4;
	load();
	r = scan(many);
	ck_assert_int_eq(r.verdict, ENGINE_UNINSPECTABLE);
	ck_assert_ptr_nonnull(strstr(r.reason, "members"));

	big = zip1("n.bin", noise(300 * 1024, 3));
	cfg.archive_max_bytes = 200 * 1024;
	load();
	r = scan(big);
	ck_assert_int_eq(r.verdict, ENGINE_UNINSPECTABLE);

	trunc = z1;
	trunc.n = 30;
	ck_assert_int_eq(scan(trunc).verdict, ENGINE_UNINSPECTABLE);
}
END_TEST

START_TEST(archive_findings_win_over_limits)
{
	struct member		 m[2] = { { "e.com", eicar() },
			    { "a.txt", { own(calloc(1, 300 * 1024)),
			    300 * 1024 } } };
	struct blob		 z = pack("zip", NULL, NULL, m, 2);
	struct engine_result	 r;

	/* Unpacked size over the limit only after the EICAR member. */
	cfg.archive_max_bytes = 200 * 1024;
	load();
	r = scan(z);
	assert_eicar(r);
}
END_TEST

START_TEST(true_types)
{
	static const struct {
		const char	*data;
		size_t		 n;
		const char	*type;
	} t[] = {
		{ "\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16, "png" },
		{ "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", 16, "pdf" },
		{ "MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0", 16, "pe" },
		{ "MZ is a text that starts like a PE", 34, "text" },
		{ "\x7f" "ELF\x02\x01\x01\0\0\0\0\0\0\0\0\0", 16, "elf" },
		{ "  {\"a\": 1}", 10, "json" },
		{ "<!DOCTYPE html><html>", 21, "html" },
		{ "<?xml version=\"1.0\"?><svg>", 26, "svg" },
		{ "\x1f\x8b\x08\0\0\0\0\0\0\x03", 10, "gzip" },
		{ "", 0, "empty" },
	};
	struct engine_result	r;
	struct blob		b;
	size_t			i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		b.p = (unsigned char *)t[i].data;
		b.n = t[i].n;
		r = scan(b);
		ck_assert_msg(strcmp(r.true_type, t[i].type) == 0,
		    "%zu: want %s got %s", i, t[i].type, r.true_type);
	}
}
END_TEST

/*
 * A random body that happens to start with a two-byte archive magic (one
 * in 65,536 for each) is a binary, scanned and allowed, not a "corrupt
 * archive" blocked as uninspectable; with the header fields the format
 * requires it is that archive type.
 */
START_TEST(weak_magics)
{
	static const char	*magic[] = { "\x71\xc7", "\xc7\x71", "\x1f\x8b",
	    "\x1f\x9d" };
	static const struct {
		const char	*data;
		size_t		 n;
		const char	*type;
	} real[] = {
		{ "\x1f\x8b\x08\0", 4, "gzip" },
		{ "\x1f\x9d\x90", 3, "compress" },
		/* binary cpio, big- and little-endian: a file, name "a" */
		{ "\x71\xc7\0\0\0\0\x81\xa4\0\0\0\0\0\x01\0\0"
		  "\0\0\0\0\0\x02\0\0\0\0a\0", 28, "cpio" },
		{ "\xc7\x71\0\0\0\0\xa4\x81\0\0\0\0\x01\0\0\0"
		  "\0\0\0\0\x02\0\0\0\0\0a\0", 28, "cpio" },
	};
	struct engine_result	r;
	struct blob		b;
	size_t			i;

	for (i = 0; i < sizeof magic / sizeof magic[0]; i++) {
		b = noise(4000, (unsigned)i + 7);
		memcpy(b.p, magic[i], 2);
		b.p[2] = 0x07;	/* not deflate, not 9-16 bits */
		b.p[3] = 0xff;	/* reserved gzip flags */
		b.p[6] = b.p[7] = 0;	/* no file type in a cpio mode */
		r = scan(b);
		ck_assert_msg(r.verdict == ENGINE_CLEAN, "%zu: verdict %d", i,
		    r.verdict);
		ck_assert_str_eq(r.true_type, "binary");
	}
	for (i = 0; i < sizeof real / sizeof real[0]; i++) {
		b.p = (unsigned char *)real[i].data;
		b.n = real[i].n;
		r = scan(b);
		ck_assert_msg(strcmp(r.true_type, real[i].type) == 0,
		    "%zu: want %s got %s", i, real[i].type, r.true_type);
	}
}
END_TEST

START_TEST(blocked_types)
{
	static const char *const exe[] = { "executable", "pdf", NULL };
	struct engine_profile	 p;
	struct engine_result	 r;
	struct blob		 pe = { (unsigned char *)"MZ\x90\0\x03\0\0\0",
	    8 };
	struct blob		 z = zip1("setup.exe", pe),
	    txt = text("MZ hello");
	const struct engine_finding	*f;

	engine_profile_defaults(&p, ENGINE_DOWNLOAD);
	ck_assert_int_eq(scan_prof(&p, ENGINE_DOWNLOAD, pe, 3).verdict,
	    ENGINE_CLEAN);
	p.blocked_types = exe;
	r = scan_prof(&p, ENGINE_DOWNLOAD, pe, 3);
	ck_assert_int_eq(r.verdict, ENGINE_FOUND);
	f = finding(&r, "filetype");
	ck_assert_ptr_nonnull(f);
	ck_assert_str_eq(f->type, "pe");
	r = scan_prof(&p, ENGINE_DOWNLOAD, z, 100);
	ck_assert_int_eq(r.verdict, ENGINE_FOUND);
	ck_assert_str_eq(r.true_type, "zip");
	ck_assert_str_eq(finding(&r, "filetype")->type, "pe");
	ck_assert_int_eq(scan_prof(&p, ENGINE_DOWNLOAD, txt, 3).verdict,
	    ENGINE_CLEAN);
	p.filetype = false;
	ck_assert_int_eq(scan_prof(&p, ENGINE_DOWNLOAD, pe, 3).verdict,
	    ENGINE_CLEAN);
}
END_TEST

START_TEST(hash_blocklist_reload)
{
	struct blob		 a = noise(5000, 1), b = noise(7000, 2);
	char			 ha[65], hb[65], line[200], *cause = NULL;
	struct engine_result	 r;
	struct timespec		 ts[2];

	hex_digest("SHA256", &a, ha);
	hex_digest("SHA256", &b, hb);
	snprintf(line, sizeof line, "# test list\n%s  sample-a\n", ha);
	put_file(path_hashes, line, strlen(line));
	cfg.hash_blocklist = path_hashes;
	load();
	r = scan(a);
	ck_assert_int_eq(r.verdict, ENGINE_FOUND);
	ck_assert_str_eq(finding(&r, "hash")->sample, "sample-a");
	ck_assert_int_eq(scan(b).verdict, ENGINE_CLEAN);

	snprintf(line, sizeof line, "%s\n", hb);
	put_file(path_hashes, line, strlen(line));
	ck_assert_int_eq(engine_set_reload(set, &cause), 0);
	ck_assert_int_eq(scan(a).verdict, ENGINE_CLEAN);
	r = scan(b);
	ck_assert_int_eq(r.verdict, ENGINE_FOUND);
	ck_assert_int_eq(strncmp(finding(&r, "hash")->sample, hb, 16), 0);
	ck_assert_uint_eq(strlen(finding(&r, "hash")->sample), 16);

	/* No explicit reload: a scan two seconds later notices the change. */
	snprintf(line, sizeof line, "%s x\n%s y\n", ha, hb);
	put_file(path_hashes, line, strlen(line));
	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[1] = ts[0];
	ts[1].tv_sec += 5;
	ck_assert_int_eq(utimensat(AT_FDCWD, path_hashes, ts, 0), 0);
	sleep(2);
	scan(a);
	ck_assert_int_eq(scan(a).verdict, ENGINE_FOUND);

	put_file(path_hashes, "not a digest\n", 13);
	ck_assert_int_eq(engine_set_reload(set, &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "line 1"));
	free(cause);
	ck_assert_int_eq(scan(b).verdict, ENGINE_FOUND);
}
END_TEST

/* Signatures of our own: an MD5 (.hdb) and a body pattern (.ndb). */
static void
write_sigs(const struct blob *sample, const char *body_hex, const char *file)
{
	char	md5[33], line[400], path[400];

	hex_digest("MD5", sample, md5);
	snprintf(path, sizeof path, "%s/%s.hdb", path_db, file);
	snprintf(line, sizeof line, "%s:%zu:Sslinspect.Test.Md5\n", md5,
	    sample->n);
	put_file(path, line, strlen(line));
	snprintf(path, sizeof path, "%s/%s.ndb", path_db, file);
	snprintf(line, sizeof line, "Sslinspect.Test.Body:0:*:%s\n", body_hex);
	put_file(path, line, strlen(line));
}

START_TEST(clamav_signatures_gating_reload)
{
	static const char	 marker[] = "sslinspect-clamav-test-marker";
	struct blob		 sample = noise(4000, 11), big = noise(600000,
	    12), mp = noise(3000, 13), gz = noise(3000, 14);
	struct blob		 txt =
	    text("plain text with sslinspect-clamav-test-marker in it");
	struct blob		 z;
	char			 hex[sizeof marker * 2 + 1], *cause = NULL;
	struct engine_result	 r;
	const struct engine_finding	*f;
	size_t			 i;

	for (i = 0; i < sizeof marker - 1; i++)
		sprintf(hex + 2 * i, "%02x", (unsigned char)marker[i]);
	/* No signature files yet: ClamAV is idle, EICAR still found. */
	ck_assert_int_eq(scan(sample).verdict, ENGINE_CLEAN);
	assert_eicar(scan(eicar()));

	write_sigs(&sample, hex, "a");
	/*
	 * libmagic takes a body that starts with an MPEG audio frame header
	 * (two bytes: one random body in a few thousand) for audio/mpeg. The
	 * guess names the type; it does not take the body from ClamAV.
	 */
	memcpy(mp.p, "\xff\xf3\x92\xb0", 4);
	write_sigs(&mp, hex, "b");
	memcpy(gz.p, "\x1f\x8b\x08\x00", 4);
	write_sigs(&gz, hex, "c");
	ck_assert_int_eq(engine_set_reload(set, &cause), 0);
	r = scan(sample);
	ck_assert_int_eq(r.verdict, ENGINE_FOUND);
	f = finding(&r, "malware");
	ck_assert_str_eq(f->type, "Sslinspect.Test.Md5.UNOFFICIAL");
	/* One typed an archive by its header that does not open is held
	 * uninspectable: it does not pass for want of ClamAV either. */
	r = scan(gz);
	ck_assert_str_eq(r.true_type, "gzip");
	ck_assert_int_eq(r.verdict, ENGINE_UNINSPECTABLE);
	r = scan(mp);
	ck_assert_str_eq(r.true_type, "mpeg");
	ck_assert_int_eq(r.verdict, ENGINE_FOUND);
	ck_assert_str_eq(finding(&r, "malware")->type,
	    "Sslinspect.Test.Md5.UNOFFICIAL");

	/* Body signature, past the in-memory spool (file path). */
	memcpy(big.p + 500000, marker, sizeof marker - 1);
	r = scan(big);
	ck_assert_int_eq(r.verdict, ENGINE_FOUND);
	ck_assert_str_eq(finding(&r, "malware")->type,
	    "Sslinspect.Test.Body.UNOFFICIAL");
	/* Inside a zip, and two archives deep: every member goes to ClamAV. */
	z = zip1("sample.bin", sample);
	ck_assert_int_eq(scan(z).verdict, ENGINE_FOUND);
	z = pack("ustar", "gzip", NULL, (struct member[]) { { "in.zip", z } },
	    1);
	r = scan(z);
	ck_assert_int_eq(r.verdict, ENGINE_FOUND);
	ck_assert_str_eq(finding(&r, "malware")->type,
	    "Sslinspect.Test.Md5.UNOFFICIAL");
	ck_assert_uint_eq(r.nskips, 0);
	/* Plain text at the top is not sent to ClamAV (it says so nowhere:
	 * nothing was skipped); inside an archive, text is: scripts travel
	 * zipped. Scripts and HTML are sent at the top too. */
	r = scan(txt);
	ck_assert_int_eq(r.verdict, ENGINE_CLEAN);
	ck_assert_uint_eq(r.nskips, 0);
	/* Named as a script host's program, it is sent at the top too,
	 * also when its bytes look like an image. */
	{
		static const char	 jh[] = "\xff\xd8\xff\xe0\0\x10JFIF\0"
		    "\x01\x01\0\0\x01\0\x01\0\0\r\n"
		    "echo sslinspect-clamav-test-marker\r\n";
		struct engine_profile	 p;
		struct blob		 jpg = { own(malloc(sizeof jh)),
		    sizeof jh - 1 };

		memcpy(jpg.p, jh, sizeof jh);

		engine_profile_defaults(&p, ENGINE_DOWNLOAD);
		p.script_name = true;
		r = scan_prof(&p, ENGINE_DOWNLOAD, txt, 4064);
		ck_assert_int_eq(r.verdict, ENGINE_FOUND);
		r = scan_prof(&p, ENGINE_DOWNLOAD, jpg, 4064);
		ck_assert_str_eq(r.true_type, "jpeg");
		ck_assert_int_eq(r.verdict, ENGINE_FOUND);
		p.script_name = false;
		ck_assert_int_eq(scan_prof(&p, ENGINE_DOWNLOAD, jpg,
		    4064).verdict, ENGINE_CLEAN);
	}
	/* ClamAVScanAll: plain text at the top goes too, named or not. */
	cfg.clamav_all = true;
	load();
	ck_assert_int_eq(scan(txt).verdict, ENGINE_FOUND);
	cfg.clamav_all = false;
	load();
	ck_assert_int_eq(scan(txt).verdict, ENGINE_CLEAN);
	r = scan(zip1("run.js", txt));
	ck_assert_int_eq(r.verdict, ENGINE_FOUND);
	ck_assert_str_eq(finding(&r, "malware")->type,
	    "Sslinspect.Test.Body.UNOFFICIAL");
	ck_assert_int_eq(scan(text("#!/bin/sh\n# sslinspect-clamav-test-marker"
	    "\n")).verdict, ENGINE_FOUND);
	ck_assert_int_eq(scan(text("<html><body>sslinspect-clamav-test-marker"
	    "</body></html>")).verdict, ENGINE_FOUND);
	/* Over the size gate: not sent, and the result says so. */
	cfg.clamav_max_bytes = 100000;
	load();
	r = scan(big);
	ck_assert_int_eq(r.verdict, ENGINE_CLEAN);
	ck_assert_uint_eq(r.nskips, 1);
	ck_assert_str_eq(r.skips[0].engine, "clamav");
	ck_assert_str_eq(r.skips[0].why, "larger than ClamAVMaxSize");
	ck_assert_str_eq(r.skips[0].what, "test");	/* the name given */
	/* Two members over it: one skip, counted twice, named by the first. */
	r = scan(pack("zip", NULL, NULL, (struct member[]) { { "a.bin", big },
	    { "b.bin", big } }, 2));
	ck_assert_uint_eq(r.nskips, 1);
	ck_assert_uint_eq(r.skips[0].count, 2);
	ck_assert_str_eq(r.skips[0].what, "a.bin");
	ck_assert_int_eq(scan(sample).verdict, ENGINE_FOUND);
	cfg.clamav = false;
	load();
	r = scan(sample);
	ck_assert_int_eq(r.verdict, ENGINE_CLEAN);
	ck_assert_uint_eq(r.nskips, 0);
}
END_TEST

/* A ClamAV without signatures: said at start, in the result, to tools. */
START_TEST(clamav_without_signatures)
{
	struct engine_health	 h;
	struct engine_result	 r;
	struct blob		 one;
	char			 warn[256], *cause = NULL;
	unsigned		 sigs = 99;

	engine_set_health(set, &h);
	ck_assert(h.clamav_on);
	ck_assert_uint_eq(h.clamav_signatures, 0);
	ck_assert(engine_health_warning(&h, warn, sizeof warn));
	ck_assert_ptr_nonnull(strstr(warn, "no signatures"));
	r = scan(noise(4000, 3));
	ck_assert_int_eq(r.verdict, ENGINE_CLEAN);
	ck_assert_uint_eq(r.nskips, 1);
	ck_assert_str_eq(r.skips[0].why, "no signatures loaded");
	/* Text is no ClamAV type: nothing to say. */
	ck_assert_uint_eq(scan(text("hello")).nskips, 0);
	ck_assert_int_eq(engine_clamav_count(path_db, &sigs, &cause), 0);
	ck_assert_uint_eq(sigs, 0);
	ck_assert_int_eq(engine_clamav_count("/nonexistent", &sigs, &cause), 0);
	ck_assert_uint_eq(sigs, 0);

	one = text("x");
	write_sigs(&one, "00112233445566778899", "s");
	ck_assert_int_eq(engine_clamav_count(path_db, &sigs, &cause), 0);
	ck_assert_uint_eq(sigs, 2);
	ck_assert_int_eq(engine_set_reload(set, &cause), 0);
	engine_set_health(set, &h);
	ck_assert_uint_eq(h.clamav_signatures, 2);
	ck_assert(!engine_health_warning(&h, warn, sizeof warn));
	ck_assert_uint_eq(scan(noise(4000, 3)).nskips, 0);
	/* ClamAV off: no warning, nothing skipped. */
	cfg.clamav = false;
	load();
	engine_set_health(set, &h);
	ck_assert(!engine_health_warning(&h, warn, sizeof warn));
}
END_TEST

/* Containers the service once did not open (issue 12), with EICAR. */
START_TEST(containers_eicar)
{
	struct engine_profile	 p;
	struct engine_result	 r;
	struct blob		 e = eicar(), inner, img, padded, big;
	struct member		 two[2];
	static const char *const filters[] = { "lz4", "lzma", "xz", "bzip2",
	    "zstd", "lzip", "compress", "gzip" };
	size_t			 i;

	engine_profile_defaults(&p, ENGINE_DOWNLOAD);
	two[0].name = "readme.txt";
	two[0].data = text("read me");
	two[1].name = "bin/eicar.com";
	two[1].data = e;
	for (i = 0; i < sizeof filters / sizeof filters[0]; i++) {
		r = scan_prof(&p, ENGINE_DOWNLOAD, pack("ustar", filters[i],
		    NULL, two, 2), 4064);
		ck_assert_msg(r.verdict == ENGINE_FOUND, "tar.%s: %d %s",
		    filters[i], r.verdict, r.reason);
	}
	/* ar, as a .deb holds its tarballs; cpio; a zip inside a tar. */
	assert_eicar(scan_prof(&p, ENGINE_DOWNLOAD, pack("ar", NULL, NULL,
	    two, 2), 4064));
	assert_eicar(scan_prof(&p, ENGINE_DOWNLOAD, pack("cpio", NULL, NULL,
	    two, 2), 4064));
	inner = pack("zip", NULL, NULL, two, 2);
	assert_eicar(scan_prof(&p, ENGINE_DOWNLOAD, pack("ustar", NULL, NULL,
	    (struct member[]) { { "x.zip", inner } }, 1), 4064));
	/* A zip after an image, after an executable stub, after a tar. */
	img.n = 5000 + inner.n;
	img.p = own(malloc(img.n));
	memcpy(img.p, "\x89PNG\r\n\x1a\n", 8);
	memcpy(img.p + 8, noise(4992, 9).p, 4992);
	memcpy(img.p + 5000, inner.p, inner.n);
	r = scan_prof(&p, ENGINE_DOWNLOAD, img, 4064);
	assert_eicar(r);
	ck_assert_str_eq(r.true_type, "png");
	memcpy(img.p, "MZ\x90\0\x03\0\0\0", 8);
	r = scan_prof(&p, ENGINE_DOWNLOAD, img, 1000);
	assert_eicar(r);
	ck_assert_str_eq(r.true_type, "pe");
	/*
	 * The signature inside the first 4 KiB of a longer body (the type is
	 * decided on a chunk that also holds it), at every chunking.
	 */
	{
		static const size_t	steps[] = { 1, 100, 4064, 5000, 65536 };
		struct blob		early, gz;
		size_t			k;

		gz = pack("raw", "gzip", NULL, (struct member[]) { { "e", e } },
		    1);
		early.n = 1000 + gz.n + 9000;
		early.p = own(malloc(early.n));
		memcpy(early.p, noise(1000, 4).p, 1000);
		memcpy(early.p + 1000, gz.p, gz.n);
		memset(early.p + 1000 + gz.n, 'x', 9000);
		for (k = 0; k < sizeof steps / sizeof steps[0]; k++)
			assert_eicar(scan_prof(&p, ENGINE_DOWNLOAD, early,
			    steps[k]));
	}
	/* Compressed streams after padding: not typed, found inside. */
	inner = pack("raw", "xz", NULL, (struct member[]) { { "e", e } }, 1);
	padded.n = 8192 + inner.n;
	padded.p = own(calloc(1, padded.n));
	memcpy(padded.p + 8192, inner.p, inner.n);
	assert_eicar(scan_prof(&p, ENGINE_DOWNLOAD, padded, 4064));
	/* A compressed disk image: zeros first, then the payload. */
	big.n = 64 * 1024 + e.n;
	big.p = own(calloc(1, big.n));
	memcpy(big.p + 64 * 1024, e.p, e.n);
	r = scan_prof(&p, ENGINE_DOWNLOAD, pack("raw", "gzip", NULL,
	    (struct member[]) { { "disk.img", big } }, 1), 4064);
	assert_eicar(r);
	ck_assert_str_eq(r.true_type, "gzip");
	/* A stored EICAR is seen raw as well as inside: found once. */
	r = scan_prof(&p, ENGINE_DOWNLOAD, zip1("e.com", e), 4064);
	assert_eicar(r);
}
END_TEST

/*
 * What a zip bomb costs is its unpacked size and the time to scan it, not
 * its ratio: a 10 MB repetitive log zipped is clean, a gzip of 1 GB of
 * zeros served as a file is uninspectable (its ratio counts once a
 * quarter of the size limit is unpacked).
 */
START_TEST(archive_size_not_ratio)
{
	static const char	 line[] =
	    "2026-12-04T10:00:00Z INFO worker[42]: "
	    "heartbeat ok, queue empty\n";
	struct blob		 log, z;
	struct engine_result	 r;
	struct engine_profile	 p;
	struct archive		*a;
	struct archive_entry	*ent;
	size_t			 i, cap = 4 * 1024 * 1024, used = 0;
	static char		 zeros[1024 * 1024];
	struct timespec		 t0, t1;

	log.n = 10 * 1000 * 1000 / (sizeof line - 1) * (sizeof line - 1);
	log.p = own(malloc(log.n));
	for (i = 0; i < log.n; i += sizeof line - 1)
		memcpy(log.p + i, line, sizeof line - 1);
	z = zip1("app.log", log);
	ck_assert_uint_gt(log.n / z.n, 200);
	r = scan(z);
	ck_assert_msg(r.verdict == ENGINE_CLEAN, "%s", r.reason);

	/* 1 GB of zeros, gzipped (1 MB), as a download. */
	z.p = own(malloc(cap));
	a = archive_write_new();
	archive_write_set_format_raw(a);
	archive_write_add_filter_gzip(a);
	ck_assert_int_eq(archive_write_open_memory(a, z.p, cap, &used),
	    ARCHIVE_OK);
	ent = archive_entry_new();
	archive_entry_set_pathname(ent, "disk.img");
	archive_entry_set_filetype(ent, AE_IFREG);
	ck_assert_int_eq(archive_write_header(a, ent), ARCHIVE_OK);
	for (i = 0; i < 1024; i++)
		archive_write_data(a, zeros, sizeof zeros);
	archive_entry_free(ent);
	archive_write_close(a);
	archive_write_free(a);
	z.n = used;
	engine_profile_defaults(&p, ENGINE_DOWNLOAD);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = scan_prof(&p, ENGINE_DOWNLOAD, z, 4064);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ck_assert_int_eq(r.verdict, ENGINE_UNINSPECTABLE);
	fprintf(stderr, "1 GB gzip bomb: %s after %.2f s\n", r.reason,
	    (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);

	/* A CPU limit stops a tree that takes too long. */
	cfg.archive_max_cpu_ms = 1;
	cfg.archive_max_bytes = 2000 * 1000 * 1000;
	load();
	r = scan_prof(&p, ENGINE_DOWNLOAD, z, 4064);
	ck_assert_int_eq(r.verdict, ENGINE_UNINSPECTABLE);
	ck_assert_msg(strstr(r.reason, "CPU") != NULL, "%s", r.reason);
}
END_TEST

struct racer {
	struct blob	listed;
	unsigned	found;
};

static void *
race_scan(void *arg)
{
	struct racer		*r = arg;
	struct engine_profile	 p;
	struct engine_result	 res;
	int			 i;

	engine_profile_defaults(&p, ENGINE_UPLOAD);
	for (i = 0; i < 300; i++) {
		res = engine_test_scan(set, &p, ENGINE_UPLOAD, r->listed.p,
		    r->listed.n, 1000);
		if (res.verdict == ENGINE_FOUND)
			r->found++;
	}
	return NULL;
}

/* Scans on four threads while the blocklist is swapped under them. */
START_TEST(reload_while_scanning)
{
	struct racer	 r[4];
	pthread_t	 th[4];
	char		 hex[65], line[100], *cause = NULL;
	size_t		 i;
	int		 k;

	r[0].listed = noise(20000, 5);
	hex_digest("SHA256", &r[0].listed, hex);
	snprintf(line, sizeof line, "%s\n", hex);
	put_file(path_hashes, line, strlen(line));
	cfg.hash_blocklist = path_hashes;
	load();
	for (i = 0; i < 4; i++) {
		r[i].listed = r[0].listed;
		r[i].found = 0;
		ck_assert_int_eq(pthread_create(&th[i], NULL, race_scan,
		    &r[i]), 0);
	}
	for (k = 0; k < 50; k++) {
		snprintf(line, sizeof line, "# %d\n%s\n", k, hex);
		put_file(path_hashes, line, strlen(line));
		ck_assert_int_eq(engine_set_reload(set, &cause), 0);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		ck_assert_uint_eq(r[i].found, 300);
	}
}
END_TEST

START_TEST(bad_config_fails_load)
{
	struct engine_set	*s;
	char			*cause = NULL;

	cfg.hash_blocklist = "/nonexistent/sha256.list";
	s = engine_set_load(&cfg, &cause);
	ck_assert_ptr_null(s);
	ck_assert_ptr_nonnull(strstr(cause, "/nonexistent"));
	free(cause);
}
END_TEST

static Suite *
engines_suite(void)
{
	Suite	*s = suite_create("engines");
	TCase	*tc = tcase_create("api");

	tcase_set_timeout(tc, 60);
	tcase_add_unchecked_fixture(tc, setup_top, teardown_top);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, eicar_plain_zip_nested_gzip);
	tcase_add_test(tc, eicar_deep_in_large_upload);
	tcase_add_test(tc, eicar_across_pieces);
	tcase_add_test(tc, dlp_inside_archives);
	tcase_add_test(tc, archive_limits);
	tcase_add_test(tc, archive_findings_win_over_limits);
	tcase_add_test(tc, true_types);
	tcase_add_test(tc, weak_magics);
	tcase_add_test(tc, blocked_types);
	tcase_add_test(tc, hash_blocklist_reload);
	tcase_add_test(tc, clamav_signatures_gating_reload);
	tcase_add_test(tc, clamav_without_signatures);
	tcase_add_test(tc, containers_eicar);
	tcase_add_test(tc, archive_size_not_ratio);
	tcase_add_test(tc, reload_while_scanning);
	tcase_add_test(tc, bad_config_fails_load);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return engine_test_run(engines_suite());
}
