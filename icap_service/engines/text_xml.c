/*
 * The text of an XML document, for DLP: character data in document order,
 * streamed through libxml2's SAX2 push parser (no tree is built).
 *
 * Word processors cut text into runs wherever formatting, spell checking
 * or editing history changes (<w:r><w:t>4111 11</w:t></w:r><w:r>...), so
 * in the office vocabularies (OOXML, ODF) only elements that end a
 * paragraph, a cell or a line separate text; runs, spans and everything
 * else join up. In any other vocabulary every element boundary is a line
 * break, so values of neighbouring elements never run together.
 *
 * The parser never reads a network or a file (no DTD, no external
 * entities) and does not expand entities.
 */
#include "config.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

#define TEXT_XML_OUT	4096
#define TEXT_XML_CACHE	64

/*
 * What an element puts into the text, by name and namespace. libxml2
 * keeps names in a dictionary for the whole document, so the pointers it
 * hands out identify them and the answer is cached by pointer: comparing
 * strings for every element cost more than parsing.
 */
struct text_xml_seen {
	const xmlChar	*local;
	const xmlChar	*uri;
	char		 at_start, at_end;
};

struct text_xml {
	xmlParserCtxtPtr	 ctx;
	text_sink		 sink;
	void			*arg;
	bool			 stopped;	/* by the sink */
	bool			 failed;	/* not well-formed */
	char			 out[TEXT_XML_OUT];
	size_t			 nout;
	struct text_xml_seen	 seen[TEXT_XML_CACHE];
};

/* Namespaces whose documents cut text into formatted runs. */
static const char *const text_xml_office[] = {
	"http://schemas.openxmlformats.org/",
	"http://purl.oclc.org/ooxml/",
	"http://schemas.microsoft.com/office/",
	"urn:oasis:names:tc:opendocument:",
};

/* What an office element's start or end puts into the text. */
static const struct {
	const char	*name;
	char		 at_start, at_end;
} text_xml_breaks[] = {
	{ "p", 0, '\n' },		/* paragraphs: w:p, a:p, text:p */
	{ "h", 0, '\n' },		/* ODF headings */
	{ "tr", 0, '\n' },		/* table rows */
	{ "row", 0, '\n' },		/* spreadsheet rows */
	{ "table-row", 0, '\n' },
	{ "si", 0, '\n' },		/* shared strings */
	{ "list-item", 0, '\n' },
	{ "tc", 0, '\t' },		/* table cells */
	{ "c", 0, '\t' },		/* spreadsheet cells */
	{ "table-cell", 0, '\t' },
	{ "br", '\n', 0 },
	{ "cr", '\n', 0 },
	{ "line-break", '\n', 0 },
	{ "tab", '\t', 0 },
	{ "s", ' ', 0 },		/* ODF text:s, a space */
};

static pthread_once_t	text_xml_once = PTHREAD_ONCE_INIT;

static void
text_xml_init_once(void)
{
	xmlInitParser();
}

/* libxml2 must be set up once, before threads parse. */
void
text_xml_init(void)
{
	pthread_once(&text_xml_once, text_xml_init_once);
}

static void
text_xml_flush(struct text_xml *x)
{
	if (x->nout > 0 && !x->stopped && x->sink(x->arg, x->out, x->nout) != 0)
		x->stopped = true;
	x->nout = 0;
	if (x->stopped && x->ctx != NULL && !x->failed)
		xmlStopParser(x->ctx);
}

static void
text_xml_put(struct text_xml *x, const char *p, size_t n)
{
	size_t	k;

	while (n > 0 && !x->stopped) {
		if (x->nout == sizeof x->out)
			text_xml_flush(x);
		k = sizeof x->out - x->nout;
		if (k > n)
			k = n;
		memcpy(x->out + x->nout, p, k);
		x->nout += k;
		p += k;
		n -= k;
	}
}

/* One separator; a line break after a line break adds nothing. */
static void
text_xml_sep(struct text_xml *x, char c)
{
	if (c == 0 || (x->nout > 0 && x->out[x->nout - 1] == '\n' && c == '\n'))
		return;
	text_xml_put(x, &c, 1);
}

static bool
text_xml_is_office(const xmlChar *uri)
{
	size_t	i;

	if (uri == NULL)
		return false;
	for (i = 0; i < sizeof text_xml_office / sizeof text_xml_office[0];
	    i++) {
		if (strncmp((const char *)uri, text_xml_office[i],
		    strlen(text_xml_office[i])) == 0)
			return true;
	}
	return false;
}

static const struct text_xml_seen *
text_xml_break(struct text_xml *x, const xmlChar *local, const xmlChar *uri)
{
	struct text_xml_seen	*e;
	size_t			 i;

	e = &x->seen[((uintptr_t)local / 8 ^ (uintptr_t)uri / 64) %
	    TEXT_XML_CACHE];
	if (e->local == local && e->uri == uri)
		return e;
	e->local = local;
	e->uri = uri;
	e->at_start = e->at_end = '\n';
	if (!text_xml_is_office(uri))
		return e;
	e->at_start = e->at_end = 0;
	for (i = 0; i < sizeof text_xml_breaks / sizeof text_xml_breaks[0];
	    i++) {
		if (strcmp((const char *)local, text_xml_breaks[i].name) == 0) {
			e->at_start = text_xml_breaks[i].at_start;
			e->at_end = text_xml_breaks[i].at_end;
			break;
		}
	}
	return e;
}

static void
text_xml_start(void *arg, const xmlChar *local, const xmlChar *prefix,
    const xmlChar *uri, int nns, const xmlChar **ns, int nattr, int ndef,
    const xmlChar **attr)
{
	text_xml_sep(arg, text_xml_break(arg, local, uri)->at_start);
}

static void
text_xml_end_el(void *arg, const xmlChar *local, const xmlChar *prefix,
    const xmlChar *uri)
{
	text_xml_sep(arg, text_xml_break(arg, local, uri)->at_end);
}

static void
text_xml_chars(void *arg, const xmlChar *ch, int len)
{
	if (len > 0)
		text_xml_put(arg, (const char *)ch, (size_t)len);
}

/* Parse errors end the text; the messages are not wanted anywhere. */
static void
text_xml_quiet(void *arg, xmlErrorPtr err)
{
}

static void
text_xml_quiet_generic(void *arg, const char *fmt, ...)
{
}

/* A new extractor sending text to sink. Returns NULL when out of memory. */
struct text_xml *
text_xml_new(text_sink sink, void *arg)
{
	struct text_xml	*x;
	xmlSAXHandler	 sax;

	text_xml_init();
	/* Some messages bypass the parser's handlers; these are per thread. */
	xmlSetGenericErrorFunc(NULL, text_xml_quiet_generic);
	xmlSetStructuredErrorFunc(NULL, text_xml_quiet);
	if ((x = calloc(1, sizeof *x)) == NULL)
		return NULL;
	x->sink = sink;
	x->arg = arg;
	memset(&sax, 0, sizeof sax);
	sax.initialized = XML_SAX2_MAGIC;
	sax.startElementNs = text_xml_start;
	sax.endElementNs = text_xml_end_el;
	sax.characters = text_xml_chars;
	sax.cdataBlock = text_xml_chars;
	sax.serror = text_xml_quiet;
	if ((x->ctx = xmlCreatePushParserCtxt(&sax, x, NULL, 0, NULL)) ==
	    NULL) {
		free(x);
		return NULL;
	}
	xmlCtxtUseOptions(x->ctx, XML_PARSE_NONET | XML_PARSE_NOERROR |
	    XML_PARSE_NOWARNING);
	return x;
}

/*
 * Parse the next bytes. 0, or -1 once the document is not well-formed
 * or the sink stopped (feed no more; the text so far was sent).
 */
int
text_xml_feed(struct text_xml *x, const void *buf, size_t len)
{
	int	n;

	while (len > 0 && !x->stopped && !x->failed) {
		n = len > 65536 ? 65536 : (int)len;
		if (xmlParseChunk(x->ctx, buf, n, 0) != 0 ||
		    x->ctx->wellFormed == 0) {
			x->failed = true;
			text_xml_flush(x);
		}
		buf = (const char *)buf + n;
		len -= (size_t)n;
	}
	return x->stopped || x->failed ? -1 : 0;
}

/* The end of the document: the last text goes to the sink. */
int
text_xml_end(struct text_xml *x)
{
	if (!x->stopped && !x->failed)
		xmlParseChunk(x->ctx, NULL, 0, 1);
	text_xml_flush(x);
	return 0;
}

void
text_xml_free(struct text_xml *x)
{
	if (x == NULL)
		return;
	if (x->ctx != NULL) {
		/* A DTD makes libxml2 keep a document for its declarations. */
		if (x->ctx->myDoc != NULL)
			xmlFreeDoc(x->ctx->myDoc);
		x->ctx->myDoc = NULL;
		xmlFreeParserCtxt(x->ctx);
	}
	free(x);
}
