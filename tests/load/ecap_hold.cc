/*
 * A load-run instrument, not part of the product: an eCAP adapter that
 * holds every request and response body whole in a spool file, then
 * releases it unchanged, with an X-Sslinspect-Held header giving the
 * bytes it held. As ecap://sslinspect.test/scan it also shows each body
 * to the inspection core as it comes (tests/load/ecap_scan.c: the body
 * pipeline and the engines of srv_sslinspect, on Squid's thread) and
 * blocks with Squid's own page what the engines find. tests/load/run.sh's
 * "hold" and "ecap" modes load it into the bump-only Squid to measure
 * what holding, and holding with inspection, cost when the body stays
 * inside Squid's process, against what the same cost over ICAP (c-icap's
 * spool on the same file system): the price of the transport apart from
 * the price of the engines.
 *
 * squid.conf:
 *   loadable_modules /path/ecap_hold.so
 *   ecap_enable on
 *   ecap_service NAME respmod_precache uri=ecap://sslinspect.test/hold \
 *       spool=DIR bypass=off
 * (or uri=ecap://sslinspect.test/scan; Squid configures one adapter
 * service per URI, so the two are two services)
 *
 * Squid's body pipe holds 64 KiB: the adapter takes every piece it is
 * offered (vbContentShift), so that Squid keeps reading, writes it to the
 * spool, and once the virgin body has ended answers with a clone of the
 * virgin message whose body it serves from the spool (abContent). All
 * calls come on Squid's thread; nothing here blocks but tmpfs writes.
 */
#define HAVE_CONFIG_H 1
#include <libecap/common/libecap.h>
#include <libecap/adapter/service.h>
#include <libecap/adapter/xaction.h>
#include <libecap/common/area.h>
#include <libecap/common/errors.h>
#include <libecap/common/header.h>
#include <libecap/common/message.h>
#include <libecap/common/name.h>
#include <libecap/common/named_values.h>
#include <libecap/common/options.h>
#include <libecap/common/registry.h>
#include <libecap/host/xaction.h>

#include <fcntl.h>
#include <unistd.h>

#include <libecap/common/names.h>

#include <cerrno>
#include <cstring>
#include <ostream>
#include <string>
#include <vector>

extern "C" {
int	ecap_scan_init(const char *, char *, size_t);
void	*ecap_scan_new(int, const char *, const char *);
void	ecap_scan_feed(void *, const void *, size_t);
int	ecap_scan_end(void *, char *, size_t);
}

namespace {

std::string spool_dir = "/dev/shm";

class Service: public libecap::adapter::Service {
public:
	explicit Service(bool s): scan(s) {}
	std::string uri() const override {
		return scan ? "ecap://sslinspect.test/scan" :
		    "ecap://sslinspect.test/hold";
	}
	std::string tag() const override { return "1"; }
	void describe(std::ostream &os) const override {
		os << "sslinspect load instrument: hold every body whole";
	}
	void configure(const libecap::Options &cfg) override {
		const libecap::Area dir = cfg.option(libecap::Name("spool"));
		if (dir.size)
			spool_dir = dir.toString();
	}
	void reconfigure(const libecap::Options &cfg) override {
		configure(cfg);
	}
	bool wantsUrl(const char *) const override { return true; }
	MadeXactionPointer makeXaction(libecap::host::Xaction *hostx) override;
private:
	const bool scan;
};

class Xaction: public libecap::adapter::Xaction {
public:
	Xaction(libecap::host::Xaction *x, bool s): hostx(x), scan_on(s) {}
	~Xaction() override {
		char why[8];

		if (fd >= 0)
			close(fd);
		if (scan != nullptr)
			ecap_scan_end(scan, why, sizeof why);
	}

	const libecap::Area option(const libecap::Name &) const override {
		return libecap::Area();
	}
	void visitEachOption(libecap::NamedValueVisitor &) const override {}

	void start() override;
	void stop() override { hostx = nullptr; }

	void abDiscard() override {}
	void abMake() override;
	void abMakeMore() override {
		if (out < in)
			hostx->noteAbContentAvailable();
	}
	void abStopMaking() override { making = false; }
	libecap::Area abContent(libecap::size_type off,
	    libecap::size_type size) override;
	void abContentShift(libecap::size_type size) override;

	void noteVbContentAvailable() override;
	void noteVbContentDone(bool atEnd) override;

private:
	void finish();
	void scan_start();

	libecap::host::Xaction	*hostx;
	const bool		 scan_on;
	void			*scan = nullptr;	/* ecap_scan's body */
	int			 fd = -1;
	off_t			 in = 0;	/* bytes spooled */
	off_t			 out = 0;	/* bytes Squid took back */
	/* spool bytes read ahead: len of them from at */
	std::vector<char>	 ra;
	off_t			 ra_at = 0;
	size_t			 ra_len = 0;
	bool			 vb_done = false;
	bool			 making = false;
	bool			 finished = false;
};

void
Xaction::start()
{
	if (!hostx->virgin().body()) {
		libecap::host::Xaction *x = hostx;

		hostx = nullptr;	/* useVirgin may end the transaction */
		x->useVirgin();
		return;
	}
	std::string path = spool_dir + "/ecap-hold.XXXXXX";
	std::vector<char> p(path.begin(), path.end());
	p.push_back('\0');
	if ((fd = mkstemp(p.data())) < 0)
		throw libecap::TextException("ecap_hold: " + spool_dir + ": " +
		    std::strerror(errno));
	unlink(p.data());
	if (scan_on)
		scan_start();
	hostx->vbMake();
}

void
Xaction::scan_start()
{
	libecap::Message	&m = hostx->virgin();
	libecap::Header		&h = m.header();
	bool			 upload;
	std::string		 ctype, cenc;
	char			 err[256];

	/* per Squid kid, at its first body: the coordinator scans nothing */
	if (ecap_scan_init(spool_dir.c_str(), err, sizeof err) != 0)
		throw libecap::TextException(std::string("ecap_hold: ") + err);
	upload = dynamic_cast<const libecap::RequestLine *>(&m.firstLine()) !=
	    nullptr;
	ctype = h.value(libecap::Name("Content-Type")).toString();
	cenc = h.value(libecap::Name("Content-Encoding")).toString();
	scan = ecap_scan_new(upload, ctype.c_str(), cenc.c_str());
	if (scan == nullptr)
		throw libecap::TextException("ecap_hold: out of memory");
}

void
Xaction::noteVbContentAvailable()
{
	libecap::Area		 a = hostx->vbContent(0, libecap::nsize);
	const char		*p = a.start;
	size_t			 n = a.size;

	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			throw libecap::TextException(
			    std::string("ecap_hold: spool write: ") +
			    std::strerror(errno));
		p += w;
		n -= (size_t)w;
	}
	in += (off_t)a.size;
	if (scan != nullptr)
		ecap_scan_feed(scan, a.start, a.size);
	hostx->vbContentShift(a.size);
}

void
Xaction::noteVbContentDone(bool atEnd)
{
	if (!atEnd) {
		/* the virgin body was cut short: nothing whole to release */
		hostx->adaptationAborted();
		return;
	}
	vb_done = true;
	/* Squid ends the transaction only once the adapter stops taking vb */
	hostx->vbStopMaking();
	if (scan != nullptr) {
		char why[200];
		void *b = scan;

		scan = nullptr;
		if (ecap_scan_end(b, why, sizeof why)) {
			hostx->blockVirgin();
			return;
		}
	}
	libecap::shared_ptr<libecap::Message> m = hostx->virgin().clone();
	m->header().add(libecap::Name("X-Sslinspect-Held"),
	    libecap::Area::FromTempString(std::to_string((long long)in)));
	hostx->useAdapted(m);
}

void
Xaction::abMake()
{
	making = true;
	if (out < in)
		hostx->noteAbContentAvailable();
	else
		finish();
}

libecap::Area
Xaction::abContent(libecap::size_type off, libecap::size_type size)
{
	const off_t	pos = out + (off_t)off;

	if (pos >= in)
		return libecap::Area();
	if (pos < ra_at || pos >= ra_at + (off_t)ra_len) {
		ssize_t n;

		ra.resize(64 * 1024);
		if ((n = pread(fd, ra.data(), ra.size(), pos)) <= 0)
			throw libecap::TextException("ecap_hold: spool read");
		ra_at = pos;
		ra_len = (size_t)n;
	}
	size_t k = ra_len - (size_t)(pos - ra_at);
	if (k > size)
		k = size;
	/* Squid copies the area into its pipe before it asks again */
	return libecap::Area(ra.data() + (pos - ra_at), k);
}

void
Xaction::abContentShift(libecap::size_type size)
{
	out += (off_t)size;
	if (vb_done && out >= in && making)
		finish();
}

void
Xaction::finish()
{
	if (finished)
		return;
	finished = true;
	hostx->noteAbContentDone(true);
}

Service::MadeXactionPointer
Service::makeXaction(libecap::host::Xaction *hostx)
{
	return Service::MadeXactionPointer(new Xaction(hostx, scan));
}

const bool registered =
    libecap::RegisterVersionedService(new Service(false)) &&
    libecap::RegisterVersionedService(new Service(true));

} /* namespace */
