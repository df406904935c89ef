/*
 * The text of a PDF, for DLP, through poppler's C++ API: poppler decodes
 * the streams (Flate and the rest), maps glyphs to characters through the
 * fonts and orders words by position (so TJ arrays with kerning read as
 * the words a viewer shows). This file only walks the pages, with limits
 * on pages, text and CPU time checked between pages, and turns every C++
 * exception into a status for the C side.
 */
#include "config.h"

#include <memory>
#include <pthread.h>
#include <string>
#include <time.h>

#include <poppler-document.h>
#include <poppler-global.h>
#include <poppler-page.h>

#include "text.h"

static pthread_once_t	text_pdf_once = PTHREAD_ONCE_INIT;

/* poppler's complaints about broken files would go to c-icap's stderr. */
static void
text_pdf_quiet(const std::string &, void *)
{
}

static void
text_pdf_init_once(void)
{
	poppler::set_debug_error_function(text_pdf_quiet, nullptr);
}

/* Once, before threads extract. */
extern "C" void
text_pdf_init(void)
{
	pthread_once(&text_pdf_once, text_pdf_init_once);
}

static unsigned
text_pdf_cpu_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (unsigned)(ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/*
 * Send the text of each page of the PDF in buf (len bytes, which must stay
 * put until this returns) to sink, a line break after each page. *pages
 * says how many pages were read.
 */
extern "C" enum text_pdf_status
text_pdf_extract(const void *buf, size_t len, const struct text_pdf_limits *lim,
    text_sink sink, void *arg, unsigned *pages)
{
	enum text_pdf_status	status = TEXT_PDF_OK;
	uint64_t		sent = 0;
	unsigned		start = text_pdf_cpu_ms();
	int			i, n;

	*pages = 0;
	text_pdf_init();
	if (len > INT32_MAX)
		return TEXT_PDF_UNREADABLE;
	try {
		std::unique_ptr<poppler::document> doc(
		    poppler::document::load_from_raw_data(
		    static_cast<const char *>(buf), static_cast<int>(len)));

		if (!doc)
			return TEXT_PDF_UNREADABLE;
		if (doc->is_locked())
			return TEXT_PDF_LOCKED;
		n = doc->pages();
		for (i = 0; i < n; i++) {
			if (*pages >= lim->max_pages || sent >= lim->max_text ||
			    text_pdf_cpu_ms() - start >= lim->max_ms) {
				status = TEXT_PDF_CUT;
				break;
			}
			std::unique_ptr<poppler::page> p(doc->create_page(i));
			(*pages)++;
			if (!p)
				continue;
			poppler::byte_array u8 = p->text(poppler::rectf(),
			    poppler::page::non_raw_non_physical_layout).to_utf8(
			    );
			u8.push_back('\n');
			sent += u8.size();
			if (sink(arg, u8.data(), u8.size()) != 0)
				break;
		}
	} catch (...) {
		return *pages > 0 ? TEXT_PDF_CUT : TEXT_PDF_UNREADABLE;
	}
	return status;
}
