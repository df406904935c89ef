/*
 * Text extraction for DLP: what a reader of a document sees, in reading
 * order, from the XML parts of office documents (libxml2), from PDF
 * (poppler) and from UTF-16. Each extractor hands its text, as UTF-8, to a
 * sink as it goes; the engines scan it as a second DLP stream next to the
 * raw bytes.
 */
#ifndef SSLINSPECT_TEXT_H
#define SSLINSPECT_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Takes n bytes of text; 0, or -1 to stop the extractor. */
typedef int	(*text_sink)(void *arg, const char *, size_t n);

/* text_xml.c: office XML (OOXML, ODF) and any other XML. */
struct text_xml;
void		 text_xml_init(void);
struct text_xml	*text_xml_new(text_sink, void *arg);
int		 text_xml_feed(struct text_xml *, const void *, size_t);
int		 text_xml_end(struct text_xml *);
void		 text_xml_free(struct text_xml *);

/* text_utf16.c: UTF-16 text, or the UTF-16 strings inside a binary. */
enum text_utf16_mode {
	TEXT_UTF16_LE = 1,	/* a text in UTF-16, little endian */
	TEXT_UTF16_BE,		/* big endian */
	TEXT_UTF16_STRINGS	/* runs of UTF-16LE text inside a binary */
};
struct text_utf16 {
	enum text_utf16_mode	 mode;
	unsigned char		 odd;		/* first byte of a split unit */
	bool			 have_odd;
	unsigned		 high;		/* pending high surrogate */
	/* strings: a run not yet long */
	char			 run[8];
	size_t			 nrun;
	/* strings: a run is being sent */
	bool			 in_run;
	char			 out[1024];
	size_t			 nout;
};
void		 text_utf16_init(struct text_utf16 *, enum text_utf16_mode);
int		 text_utf16_feed(struct text_utf16 *, const void *, size_t,
			text_sink, void *arg);
int		 text_utf16_end(struct text_utf16 *, text_sink, void *arg);

/* text_pdf.cc: the text of every page, through poppler. */
struct text_pdf_limits {
	unsigned	 max_pages;
	uint64_t	 max_text;	/* bytes of text */
	unsigned	 max_ms;	/* CPU time, checked between pages */
};
enum text_pdf_status {
	TEXT_PDF_OK = 0,
	/* a limit stopped it: what came out is scanned */
	TEXT_PDF_CUT,
	TEXT_PDF_LOCKED,	/* needs a password */
	TEXT_PDF_UNREADABLE
};
void		 text_pdf_init(void);
enum text_pdf_status text_pdf_extract(const void *, size_t,
			const struct text_pdf_limits *, text_sink, void *arg,
			unsigned *pages);

#ifdef __cplusplus
}
#endif

#endif
