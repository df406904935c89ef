/*
 * File type detection; see filetype.h. The table is ordered so that the
 * more specific signature comes first (an Office document before the zip
 * it is made of).
 */
#include "config.h"

#include <magic.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cause.h"
#include "filetype.h"

#define EXE	"executable"
#define ARC	"archive"
#define OFF	"office"
#define DOC	"document"
#define IMG	"image"
#define MED	"media"
#define TXT	"text"
#define DAT	"data"

static const struct filetype filetype_types[] = {
	{ "pe", EXE, FT_CLAMAV },
	{ "elf", EXE, FT_CLAMAV },
	{ "macho", EXE, FT_CLAMAV },
	{ "java-class", EXE, FT_CLAMAV },
	{ "dex", EXE, FT_CLAMAV },
	{ "wasm", EXE, FT_CLAMAV },
	{ "zip", ARC, FT_CLAMAV | FT_UNPACK },
	{ "jar", ARC, FT_CLAMAV | FT_UNPACK },
	{ "apk", ARC, FT_CLAMAV | FT_UNPACK },
	{ "gzip", ARC, FT_UNPACK | FT_FILTER },
	{ "bzip2", ARC, FT_UNPACK | FT_FILTER },
	{ "xz", ARC, FT_UNPACK | FT_FILTER },
	{ "zstd", ARC, FT_UNPACK | FT_FILTER },
	{ "7z", ARC, FT_CLAMAV | FT_UNPACK },
	{ "rar", ARC, FT_CLAMAV | FT_UNPACK },
	{ "tar", ARC, FT_CLAMAV | FT_UNPACK },
	{ "cab", ARC, FT_CLAMAV | FT_UNPACK },
	{ "lz4", ARC, FT_UNPACK | FT_FILTER },
	{ "lzma", ARC, FT_UNPACK | FT_FILTER },
	{ "lzip", ARC, FT_UNPACK | FT_FILTER },
	{ "compress", ARC, FT_UNPACK | FT_FILTER },
	{ "ar", ARC, FT_CLAMAV | FT_UNPACK },
	{ "deb", ARC, FT_UNPACK },
	{ "cpio", ARC, FT_CLAMAV | FT_UNPACK },
	{ "xar", ARC, FT_CLAMAV | FT_UNPACK },
	{ "ole", OFF, FT_CLAMAV },
	{ "ooxml", OFF, FT_CLAMAV | FT_UNPACK },
	{ "odf", OFF, FT_CLAMAV | FT_UNPACK },
	{ "rtf", OFF, FT_CLAMAV },
	{ "pdf", DOC, FT_CLAMAV | FT_PDFTEXT },
	{ "postscript", DOC, FT_CLAMAV },
	{ "swf", DOC, FT_CLAMAV },
	{ "lnk", EXE, FT_CLAMAV },
	{ "png", IMG, 0 },
	{ "jpeg", IMG, 0 },
	{ "gif", IMG, 0 },
	{ "webp", IMG, 0 },
	{ "bmp", IMG, 0 },
	{ "ico", IMG, 0 },
	{ "tiff", IMG, 0 },
	{ "svg", IMG, FT_SCRIPT },
	{ "mp4", MED, 0 },
	{ "mp3", MED, 0 },
	{ "ogg", MED, 0 },
	{ "wav", MED, 0 },
	{ "avi", MED, 0 },
	{ "matroska", MED, 0 },
	{ "flac", MED, 0 },
	{ "woff", "font", 0 },
	{ "woff2", "font", 0 },
	{ "ttf", "font", 0 },
	{ "otf", "font", 0 },
	{ "sqlite", DAT, FT_CLAMAV },
	{ "text", TXT, 0 },
	{ "html", TXT, FT_SCRIPT },
	{ "xml", TXT, 0 },
	{ "json", TXT, 0 },
	{ "script", TXT, FT_SCRIPT },
	{ "email", TXT, FT_MIME },
	{ "empty", DAT, 0 },
	{ "binary", DAT, FT_CLAMAV },
};

enum {
	T_PE, T_ELF, T_MACHO, T_CLASS, T_DEX, T_WASM, T_ZIP, T_JAR, T_APK,
	T_GZIP, T_BZIP2, T_XZ, T_ZSTD, T_7Z, T_RAR, T_TAR, T_CAB, T_LZ4,
	T_LZMA, T_LZIP, T_COMPRESS, T_AR, T_DEB, T_CPIO, T_XAR, T_OLE,
	T_OOXML, T_ODF, T_RTF, T_PDF, T_PS, T_SWF, T_LNK, T_PNG, T_JPEG,
	T_GIF, T_WEBP, T_BMP, T_ICO, T_TIFF, T_SVG, T_MP4, T_MP3, T_OGG,
	T_WAV, T_AVI, T_MKV, T_FLAC, T_WOFF, T_WOFF2, T_TTF, T_OTF, T_SQLITE,
	T_TEXT, T_HTML, T_XML, T_JSON, T_SCRIPT, T_EMAIL, T_EMPTY, T_BINARY
};

/* Signatures: bytes at an offset. */
static const struct {
	unsigned short	 off;
	unsigned char	 len;
	const char	*sig;
	unsigned char	 type;
} filetype_magic_table[] = {
	{ 0, 2, "MZ", T_PE },
	{ 0, 4, "\x7f" "ELF", T_ELF },
	{ 0, 4, "\xcf\xfa\xed\xfe", T_MACHO },
	{ 0, 4, "\xce\xfa\xed\xfe", T_MACHO },
	{ 0, 4, "\xfe\xed\xfa\xcf", T_MACHO },
	{ 0, 4, "\xca\xfe\xba\xbe", T_CLASS },
	{ 0, 4, "dex\n", T_DEX },
	{ 0, 4, "\0asm", T_WASM },
	{ 0, 4, "PK\x03\x04", T_ZIP },
	{ 0, 4, "PK\x05\x06", T_ZIP },
	{ 0, 4, "PK\x07\x08", T_ZIP },
	{ 0, 2, "\x1f\x8b", T_GZIP },
	{ 0, 3, "BZh", T_BZIP2 },
	{ 0, 6, "\xfd" "7zXZ\0", T_XZ },
	{ 0, 4, "\x28\xb5\x2f\xfd", T_ZSTD },
	{ 0, 6, "7z\xbc\xaf\x27\x1c", T_7Z },
	{ 0, 6, "Rar!\x1a\x07", T_RAR },
	{ 257, 5, "ustar", T_TAR },
	{ 0, 4, "MSCF", T_CAB },
	{ 0, 4, "\x04\x22\x4d\x18", T_LZ4 },
	{ 0, 5, "LZIP\x01", T_LZIP },
	{ 0, 2, "\x1f\x9d", T_COMPRESS },
	{ 0, 8, "!<arch>\n", T_AR },
	{ 0, 2, "\xc7\x71", T_CPIO },
	{ 0, 2, "\x71\xc7", T_CPIO },
	{ 0, 4, "xar!", T_XAR },
	{ 0, 8, "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", T_OLE },
	{ 0, 5, "{\\rtf", T_RTF },
	{ 0, 5, "%PDF-", T_PDF },
	{ 0, 4, "%!PS", T_PS },
	{ 0, 3, "FWS", T_SWF },
	{ 0, 3, "CWS", T_SWF },
	{ 0, 3, "ZWS", T_SWF },
	{ 0, 8, "L\0\0\0\x01\x14\x02\0", T_LNK },
	{ 0, 8, "\x89PNG\r\n\x1a\n", T_PNG },
	{ 0, 3, "\xff\xd8\xff", T_JPEG },
	{ 0, 4, "GIF8", T_GIF },
	{ 8, 4, "WEBP", T_WEBP },
	{ 8, 4, "WAVE", T_WAV },
	{ 8, 4, "AVI ", T_AVI },
	{ 0, 2, "BM", T_BMP },
	{ 0, 4, "\0\0\x01\0", T_ICO },
	{ 0, 4, "II*\0", T_TIFF },
	{ 0, 4, "MM\0*", T_TIFF },
	{ 4, 4, "ftyp", T_MP4 },
	{ 0, 3, "ID3", T_MP3 },
	{ 0, 2, "\xff\xfb", T_MP3 },
	{ 0, 4, "OggS", T_OGG },
	{ 0, 4, "\x1a\x45\xdf\xa3", T_MKV },
	{ 0, 4, "fLaC", T_FLAC },
	{ 0, 4, "wOFF", T_WOFF },
	{ 0, 4, "wOF2", T_WOFF2 },
	{ 0, 5, "\0\x01\0\0\0", T_TTF },
	{ 0, 4, "OTTO", T_OTF },
	{ 0, 16, "SQLite format 3\0", T_SQLITE },
};

/* Members named at the start of a zip that tell what the zip really is. */
static const struct {
	const char	*prefix;
	unsigned char	 type;
} filetype_zip_names[] = {
	{ "[Content_Types].xml", T_OOXML },
	{ "word/", T_OOXML },
	{ "xl/", T_OOXML },
	{ "ppt/", T_OOXML },
	{ "mimetype", T_ODF },
	{ "META-INF/", T_JAR },
	{ "AndroidManifest.xml", T_APK },
	{ "classes.dex", T_APK },
};

static const struct {
	const char	*start;
	unsigned char	 type;
} filetype_text_starts[] = {
	{ "<!doctype html", T_HTML },
	{ "<html", T_HTML },
	{ "<head", T_HTML },
	{ "<body", T_HTML },
	{ "<svg", T_SVG },
	{ "<?xml", T_XML },
	{ "{", T_JSON },
	{ "[", T_JSON },
	{ "#!", T_SCRIPT },
};

/* The first member name of a zip refines "zip"; ODF needs its mimetype. */
static unsigned
filetype_zip_kind(const unsigned char *p, size_t n)
{
	size_t	namelen, i, pl;

	if (n < 30 || memcmp(p, "PK\x03\x04", 4) != 0)
		return T_ZIP;
	namelen = (size_t)p[26] | (size_t)p[27] << 8;
	if (30 + namelen > n)
		return T_ZIP;
	for (i = 0;
	    i < sizeof filetype_zip_names / sizeof filetype_zip_names[0];
	    i++) {
		pl = strlen(filetype_zip_names[i].prefix);
		if (namelen >= pl &&
		    memcmp(p + 30, filetype_zip_names[i].prefix, pl) == 0)
			return filetype_zip_names[i].type;
	}
	return T_ZIP;
}

/* Text: no NUL, few control bytes. Then what kind of text. */
static const struct filetype *
filetype_text(const unsigned char *p, size_t n)
{
	const char	*s;
	size_t		 i, ctl = 0, k, sl;
	char		 low[16];

	for (i = 0; i < n; i++) {
		if (p[i] == 0)
			return NULL;
		if (p[i] < 0x20 && p[i] != '\t' && p[i] != '\n' &&
		    p[i] != '\r' && p[i] != '\f' && p[i] != 0x1b)
			ctl++;
	}
	if (ctl * 100 > n)
		return NULL;
	i = n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
	while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' ||
	    p[i] == '\n'))
		i++;
	for (k = 0; k < sizeof low && i + k < n; k++)
		low[k] = (char)(p[i + k] >= 'A' && p[i + k] <= 'Z' ?
		    p[i + k] + 32 : p[i + k]);
	for (i = 0; i < sizeof filetype_text_starts /
	    sizeof filetype_text_starts[0]; i++) {
		s = filetype_text_starts[i].start;
		sl = strlen(s);
		if (k >= sl && memcmp(low, s, sl) == 0) {
			if (filetype_text_starts[i].type == T_XML &&
			    memmem(p, n, "<svg", 4) != NULL)
				return &filetype_types[T_SVG];
			return &filetype_types[filetype_text_starts[i].type];
		}
	}
	return &filetype_types[T_TEXT];
}

/* An ASCII cpio header: its magic and 104 more hexadecimal digits. */
static bool
filetype_cpio_ascii(const unsigned char *p, size_t n)
{
	size_t	i;

	if (n < 110 || memcmp(p, "0707", 4) != 0 ||
	    (p[4] != '0' || (p[5] != '1' && p[5] != '2' && p[5] != '7')))
		return false;
	for (i = 6; i < 110; i++) {
		if (!((p[i] >= '0' && p[i] <= '9') ||
		    (p[i] >= 'a' && p[i] <= 'f') || (p[i] >= 'A' &&
		    p[i] <= 'F')))
			return p[5] == '7' && i >= 76;	/* odc: 76 */
	}
	return true;
}

/*
 * Two-byte magics match one random body in 65,536, and an archive its
 * reader cannot open is blocked as corrupt: so a gzip, compress or binary
 * cpio signature counts only with the header fields every reader of the
 * format requires. A body that fails them is an unknown binary, which
 * every engine still scans whole.
 */
static bool
filetype_header_ok(unsigned char type, const unsigned char *p, size_t n)
{
	unsigned	mode, namesize;
	bool		le;

	switch (type) {
	case T_GZIP:
		/* deflate, the only method; no reserved flag bit */
		return n >= 4 && p[2] == 8 && (p[3] & 0xe0) == 0;
	case T_COMPRESS:
		/* 9 to 16 bits per code; no reserved bit */
		return n >= 3 && (p[2] & 0x60) == 0 && (p[2] & 0x1f) >= 9 &&
		    (p[2] & 0x1f) <= 16;
	case T_CPIO:
		/* a file type in the mode, a name up to PATH_MAX, NUL-ended */
		if (n < 2 || (p[0] != 0xc7 && p[0] != 0x71))
			return true;	/* ASCII cpio: checked by its digits */
		if (n < 26)
			return false;
		le = p[0] == 0xc7;
		mode = le ? p[6] | p[7] << 8 : p[6] << 8 | p[7];
		namesize = le ? p[20] | p[21] << 8 : p[20] << 8 | p[21];
		switch (mode & 0170000) {
		case 0100000: case 0040000: case 0120000: case 0020000:
		case 0060000: case 0010000: case 0140000:
			break;
		default:
			return false;
		}
		return namesize > 0 && namesize <= 4096 &&
		    (26 + namesize > n || p[26 + namesize - 1] == '\0');
	default:
		return true;
	}
}

/*
 * A tar header without the ustar magic (v7 and some writers): a name, and
 * the header checksum (octal, at 148) matching its bytes, as tar readers
 * decide.
 */
static bool
filetype_tar_v7(const unsigned char *p, size_t n)
{
	unsigned long	sum = 0, want = 0;
	size_t		i;
	bool		digits = false;

	if (n < 512 || p[0] == '\0')
		return false;
	for (i = 0; i < 512; i++)
		sum += (i >= 148 && i < 156) ? ' ' : p[i];
	for (i = 148; i < 156 && (p[i] == ' ' || p[i] == '\0'); i++)
		;
	for (; i < 156 && p[i] >= '0' && p[i] <= '7'; i++) {
		want = want * 8 + (unsigned long)(p[i] - '0');
		digits = true;
	}
	return digits && want == sum;
}

/*
 * An "lzma" (LZMA_Alone) stream has no magic: properties 0x5d (the usual
 * lc/lp/pb) and a power of two as dictionary size, as xz-utils writes.
 */
static bool
filetype_lzma(const unsigned char *p, size_t n)
{
	uint32_t	dict;

	if (n < 13 || p[0] != 0x5d)
		return false;
	dict = (uint32_t)p[1] | (uint32_t)p[2] << 8 | (uint32_t)p[3] << 16 |
	    (uint32_t)p[4] << 24;
	return dict >= 4096 && (dict & (dict - 1)) == 0;
}

/* Header names that make a text a mail message (RFC 5322, MIME). */
static const char *const filetype_mail_headers[] = {
	"from:", "to:", "cc:", "subject:", "date:", "message-id:",
	"mime-version:", "received:", "return-path:", "content-type:",
	"reply-to:", "delivered-to:", "x-mailer:", "user-agent:",
};

/*
 * A mail message: it starts with header lines ("Name: value", continued
 * lines indented, an mbox "From " line allowed first), two or more of them
 * names a message has, MIME-Version or Content-Type among them or a
 * blank line ending them within the prefix.
 */
static bool
filetype_email(const unsigned char *p, size_t n)
{
	size_t		 i = 0, e, j, k, known = 0, lines = 0;
	bool		 mime = false, ended = false;
	char		 name[20];

	if (n >= 5 && memcmp(p, "From ", 5) == 0) {
		while (i < n && p[i] != '\n')
			i++;
		i++;
	}
	while (i < n && lines < 200) {
		for (e = i; e < n && p[e] != '\n'; e++)
			;
		if (e == n)
			break;
		if (e == i || (e == i + 1 && p[i] == '\r')) {
			ended = true;
			break;
		}
		lines++;
		if (p[i] == ' ' || p[i] == '\t') {
			if (lines == 1)
				return false;
			i = e + 1;
			continue;
		}
		for (k = i; k < e && p[k] != ':' && p[k] > ' ' && p[k] < 0x7f;
		    k++)
			;
		if (k == i || k == e || p[k] != ':')
			return false;
		if (k - i + 1 < sizeof name) {
			for (j = 0; j <= k - i; j++)
				name[j] = (char)(p[i + j] >= 'A' &&
				    p[i + j] <= 'Z' ? p[i + j] + 32 : p[i + j]);
			name[k - i + 1] = '\0';
			for (j = 0; j < sizeof filetype_mail_headers /
			    sizeof filetype_mail_headers[0]; j++) {
				if (strcmp(name,
				    filetype_mail_headers[j]) == 0) {
					known++;
					mime = mime || j == 6 || j == 9;
				}
			}
		}
		i = e + 1;
	}
	return known >= 2 && (mime || ended);
}

/*
 * Text in UTF-16: a byte order mark, or most of the first bytes ASCII
 * with a zero byte beside each. Returns 1 (little endian), 2 (big
 * endian) or 0.
 */
int
filetype_utf16(const void *buf, size_t n)
{
	const unsigned char	*p = buf;
	size_t			 i, le = 0, be = 0, pairs;

	if (n >= 2 && p[0] == 0xff && p[1] == 0xfe)
		return 1;
	if (n >= 2 && p[0] == 0xfe && p[1] == 0xff)
		return 2;
	pairs = (n < 512 ? n : 512) / 2;
	if (pairs < 8)
		return 0;
	for (i = 0; i < pairs; i++) {
		if (p[2 * i + 1] == 0 && p[2 * i] >= 0x09 && p[2 * i] < 0x7f)
			le++;
		else if (p[2 * i] == 0 && p[2 * i + 1] >= 0x09 &&
		    p[2 * i + 1] < 0x7f)
			be++;
	}
	if (le * 10 >= pairs * 9)
		return 1;
	if (be * 10 >= pairs * 9)
		return 2;
	return 0;
}

/*
 * The type of a body from its first bytes (up to FILETYPE_PREFIX).
 * Returns a static entry, or NULL for a binary the table does not know.
 */
const struct filetype *
filetype_sniff(const void *buf, size_t n)
{
	const unsigned char	*p = buf;
	const struct filetype	*t;
	size_t			 i, o, l;

	if (n == 0)
		return &filetype_types[T_EMPTY];
	for (i = 0; i < sizeof filetype_magic_table /
	    sizeof filetype_magic_table[0]; i++) {
		o = filetype_magic_table[i].off;
		l = filetype_magic_table[i].len;
		if (n < o + l || memcmp(p + o, filetype_magic_table[i].sig, l))
			continue;
		/* Two or three printable bytes ("MZ", "BM") also start text. */
		if (l <= 3 && filetype_text(p, n) != NULL)
			continue;
		if (!filetype_header_ok(filetype_magic_table[i].type, p, n))
			continue;
		if (filetype_magic_table[i].type == T_ZIP)
			return &filetype_types[filetype_zip_kind(p, n)];
		if (filetype_magic_table[i].type == T_AR && n >= 21 &&
		    memcmp(p + 8, "debian-binary", 13) == 0)
			return &filetype_types[T_DEB];
		return &filetype_types[filetype_magic_table[i].type];
	}
	if (memmem(p, n < 1024 ? n : 1024, "%PDF-", 5) != NULL)
		return &filetype_types[T_PDF];
	if (filetype_cpio_ascii(p, n))
		return &filetype_types[T_CPIO];
	if (filetype_tar_v7(p, n))
		return &filetype_types[T_TAR];
	if ((t = filetype_text(p, n)) != NULL) {
		if (t == &filetype_types[T_TEXT] && filetype_email(p, n))
			return &filetype_types[T_EMAIL];
		return t;
	}
	if (filetype_lzma(p, n))
		return &filetype_types[T_LZMA];
	return NULL;
}

/* The i-th known type (for documentation checks), or NULL past the end. */
const struct filetype *
filetype_at(size_t i)
{
	if (i >= sizeof filetype_types / sizeof filetype_types[0])
		return NULL;
	return &filetype_types[i];
}

/* The table entry for a type name, or NULL. */
const struct filetype *
filetype_lookup(const char *name)
{
	size_t	i;

	for (i = 0; i < sizeof filetype_types / sizeof filetype_types[0]; i++) {
		if (strcmp(filetype_types[i].name, name) == 0)
			return &filetype_types[i];
	}
	return NULL;
}

/* True when list (NULL-ended, may be NULL) names the type or its group. */
bool
filetype_listed(const char *const *list, const char *name, const char *group)
{
	for (; list != NULL && *list != NULL; list++) {
		if (strcmp(*list, name) == 0 || strcmp(*list, group) == 0)
			return true;
	}
	return false;
}

/* libmagic: a magic_t is not thread-safe, and unknowns are rare: one lock. */
struct filetype_magic {
	magic_t		 m;
	pthread_mutex_t	 lock;
};

static const struct {
	const char	*mime;
	unsigned char	 type;
} filetype_mimes[] = {
	{ "application/x-dosexec", T_PE },
	{ "application/vnd.microsoft.portable-executable", T_PE },
	{ "application/x-executable", T_ELF },
	{ "application/x-sharedlib", T_ELF },
	{ "application/x-mach-binary", T_MACHO },
	{ "application/x-msi", T_OLE },
	{ "application/x-ole-storage", T_OLE },
	{ "application/vnd.ms-cab-compressed", T_CAB },
	{ "application/x-tar", T_TAR },
	{ "application/x-cpio", T_CPIO },
	{ "application/x-archive", T_AR },
	{ "application/x-lzma", T_LZMA },
	{ "application/x-lz4", T_LZ4 },
	{ "application/x-lzip", T_LZIP },
	{ "application/x-compress", T_COMPRESS },
	{ "application/gzip", T_GZIP },
	{ "application/octet-stream", T_BINARY },
};

/* Open and load libmagic's database. Returns NULL with *cause on failure. */
struct filetype_magic *
filetype_magic_open(char **cause)
{
	struct filetype_magic	*fm;

	if ((fm = calloc(1, sizeof *fm)) == NULL) {
		cause_set(cause, "out of memory");
		return NULL;
	}
	if ((fm->m = magic_open(MAGIC_MIME_TYPE | MAGIC_ERROR)) == NULL ||
	    magic_load(fm->m, NULL) != 0) {
		cause_set(cause, "libmagic: %s",
		    fm->m != NULL ? magic_error(fm->m) : "cannot open");
		if (fm->m != NULL)
			magic_close(fm->m);
		free(fm);
		return NULL;
	}
	pthread_mutex_init(&fm->lock, NULL);
	return fm;
}

void
filetype_magic_close(struct filetype_magic *fm)
{
	if (fm == NULL)
		return;
	magic_close(fm->m);
	pthread_mutex_destroy(&fm->lock);
	free(fm);
}

/*
 * Ask libmagic about an unknown binary prefix. Fills *out: a table entry's
 * fields when the MIME type maps to one, else a name made from the MIME
 * subtype (stored in name) in group "data" (or image/media/text).
 */
void
filetype_magic_guess(struct filetype_magic *fm, const void *buf, size_t n,
    char *name, size_t namelen, struct filetype *out)
{
	const char	*mime = NULL, *sub;
	char		 copy[128];
	size_t		 i;

	*out = filetype_types[T_BINARY];
	if (fm == NULL)
		return;
	pthread_mutex_lock(&fm->lock);
	mime = magic_buffer(fm->m, buf, n);
	snprintf(copy, sizeof copy, "%s", mime != NULL ? mime : "");
	pthread_mutex_unlock(&fm->lock);
	for (i = 0; i < sizeof filetype_mimes / sizeof filetype_mimes[0]; i++) {
		if (strcmp(copy, filetype_mimes[i].mime) == 0) {
			/* libmagic names cpio and compress by magic alone */
			if (filetype_header_ok(filetype_mimes[i].type, buf, n))
				*out = filetype_types[filetype_mimes[i].type];
			return;
		}
	}
	if ((sub = strchr(copy, '/')) == NULL)
		return;
	sub++;
	if (strncmp(sub, "x-", 2) == 0)
		sub += 2;
	snprintf(name, namelen, "%s", sub);
	out->name = name;
	if (strncmp(copy, "image/", 6) == 0)
		out->group = IMG;
	else if (strncmp(copy, "audio/", 6) == 0 ||
	    strncmp(copy, "video/", 6) == 0)
		out->group = MED;
	else if (strncmp(copy, "text/", 5) == 0)
		out->group = TXT;
	/*
	 * The flags stay an unknown binary's: a guess of libmagic's may rest
	 * on two bytes (an MPEG audio frame header starts one random body in
	 * a few thousand), so it names the type but takes nothing from
	 * ClamAV. Only the table above, checked as readers check, does.
	 */
}
