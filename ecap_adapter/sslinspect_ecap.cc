/*
 * sslinspect_ecap: the eCAP front end, loaded into Squid itself. The same
 * inspection as srv_sslinspect (xact.c, the engines, the policy), without
 * the ICAP round trip: a body is copied out of Squid's pipe, spooled and
 * scanned by worker threads (ecapsvc.c), and released, blocked with our
 * page, or cut off, as the c-icap service would.
 *
 * squid.conf (see sslinspect-ecap(8)):
 *   loadable_modules /usr/lib/<arch>/sslinspect/sslinspect_ecap.so
 *   ecap_enable on
 *   ecap_service sslinspect_req reqmod_precache \
 *       uri=ecap://sslinspect.org/sslinspect bypass=off
 *   ecap_service sslinspect_resp respmod_precache \
 *       uri=ecap://sslinspect.org/sslinspect bypass=off \
 *       PolicyFile=/etc/sslinspect/policy.yaml TmpDir=/dev/shm
 * Options other than Squid's are srv_sslinspect(5)'s directives without
 * "sslinspect.", and TmpDir and Threads.
 *
 * Every libecap call is made here, on Squid's thread; exceptions never
 * cross into the C code. libecap's asynchronous API: Squid asks
 * Service::suspend how long it may sleep and calls Service::resume once
 * per pass of its loop; resume tells the host which transactions have
 * news (host::Xaction::resume), and the host then calls Xaction::resume.
 */
#include "config.h"

#include <libecap/adapter/service.h>
#include <libecap/adapter/xaction.h>
#include <libecap/common/area.h>
#include <libecap/common/errors.h>
#include <libecap/common/header.h>
#include <libecap/common/log.h>
#include <libecap/common/message.h>
#include <libecap/common/name.h>
#include <libecap/common/named_values.h>
#include <libecap/common/names.h>
#include <libecap/common/options.h>
#include <libecap/common/registry.h>
#include <libecap/common/version.h>
#include <libecap/host/host.h>
#include <libecap/host/xaction.h>

#include <sys/time.h>

#include <cstdlib>
#include <cstring>
#include <ctime>
#include <list>
#include <ostream>
#include <string>
#include <vector>

#include "ecapsvc.h"

namespace {

const char	 service_uri[] = "ecap://sslinspect.org/sslinspect";
/* What the adapted body is read ahead from the spool. */
const size_t	 readahead = 64 * 1024;

/*
 * Squid's log, from log lines any thread queued (ecapsvc_log_drain): the
 * service's levels 1 (errors) and 2 (notable) in cache.log as Squid's
 * own warnings and notices are, the rest with debug_options 93,3 or more.
 */
void
host_log(int level, const char *text)
{
	libecap::LogVerbosity	lv(level <= 1 ?
	    libecap::ilCritical | libecap::flApplication : level == 2 ?
	    libecap::ilNormal | libecap::flApplication :
	    libecap::ilDebug | libecap::flXaction);
	std::ostream		*os = libecap::MyHost().openDebug(lv);

	if (os != nullptr) {
		*os << text;
		libecap::MyHost().closeDebug(os);
	}
}

/* The options of an ecap_service line, into the configuration. */
class Cfgtor: public libecap::NamedValueVisitor {
public:
	void visit(const libecap::Name &name,
	    const libecap::Area &value) override {
		char	*cause = nullptr;

		/* Squid's own (bypass, uri, ...) */
		if (name.assignedHostId())
			return;
		if (ecapsvc_option(name.image().c_str(),
		    value.toString().c_str(), &cause) != 0) {
			std::string why = cause != nullptr ? cause : "?";

			std::free(cause);
			throw libecap::TextException("sslinspect_ecap: " +
			    why);
		}
	}
};

class Service: public libecap::adapter::Service {
public:
	std::string uri() const override { return service_uri; }
	std::string tag() const override { return PACKAGE_VERSION; }
	void describe(std::ostream &os) const override {
		os << "sslinspect " PACKAGE_VERSION ": policy enforcement "
		    "on decrypted traffic";
	}
	void configure(const libecap::Options &cfg) override {
		Cfgtor	c;

		ecapsvc_configure_begin();
		try {
			cfg.visitEachOption(c);
		} catch (...) {
			ecapsvc_configure_end();
			throw;
		}
		ecapsvc_configure_end();
	}
	void reconfigure(const libecap::Options &cfg) override {
		configure(cfg);
	}
	bool makesAsyncXactions() const override { return true; }
	void suspend(timeval &timeout) override;
	void resume() override;
	bool wantsUrl(const char *) const override { return true; }
	MadeXactionPointer makeXaction(libecap::host::Xaction *) override;
};

/* A header's lines as "Name: value", for xact.c. */
class Lines: public libecap::NamedValueVisitor {
public:
	void visit(const libecap::Name &name,
	    const libecap::Area &value) override {
		text.push_back(name.image() + ": " + value.toString());
	}
	void collect(const libecap::Header &h) {
		h.visitEach(*this);
		for (const std::string &t: text)
			ptrs.push_back(t.c_str());
	}
	std::vector<std::string>	text;
	std::vector<const char *>	ptrs;
};

class Xaction: public libecap::adapter::Xaction {
public:
	explicit Xaction(libecap::host::Xaction *x): hostx(x) {}
	~Xaction() override;

	const libecap::Area option(const libecap::Name &) const override;
	void visitEachOption(libecap::NamedValueVisitor &) const override;

	void start() override;
	void stop() override;
	void resume() override;

	void abDiscard() override {}
	void abMake() override;
	void abMakeMore() override { more(); }
	void abStopMaking() override;
	libecap::Area abContent(libecap::size_type,
	    libecap::size_type) override;
	void abContentShift(libecap::size_type) override;

	void noteVbContentAvailable() override;
	void noteVbContentDone(bool) override;

	/* ecapsvc_ready: the worker has news */
	void notify() {
		if (hostx != nullptr)
			hostx->resume();
	}
	static void admit_waiting();

private:
	enum class Ab { none, page, spool };

	void begin();
	void head(xact_head &, Lines &, Lines &, std::string &, std::string &);
	void answer_page(int, const char *, char *, size_t, time_t);
	void answer_clone();
	void strip(libecap::Message &);
	void pull();
	void more();
	void cut();
	void stop_vb();

	libecap::host::Xaction	*hostx;
	struct ecx		*ecx = nullptr;
	/* a request waiting for the workers (ecapsvc_admit) */
	bool			 waiting = false;
	bool			 admitted = false;
	std::list<Xaction *>::iterator wait_at;
	bool			 answered = false;
	bool			 vb_made = false;	/* vbMake called */
	bool			 vb_on = false;	/* made, not stopped */
	bool			 vb_end = false;	/* body ended */
	bool			 eof_fed = false;
	Ab			 ab = Ab::none;
	bool			 ab_on = false;	/* made, not stopped */
	bool			 ab_done = false;
	bool			 ended = false;	/* all released */
	std::string		 page;
	uint64_t		 out = 0;	/* adapted bytes Squid took */
	uint64_t		 released = 0;
	std::vector<char>	 ra;
	uint64_t		 ra_at = 0;
	size_t			 ra_len = 0;
	std::string		 incident;
};

/* Requests that wait for the workers to catch up, first come first. */
std::list<Xaction *>	waiters;

Xaction::~Xaction()
{
	if (waiting)
		waiters.erase(wait_at);
	if (ecx != nullptr)
		ecx_release(ecx);
}

/*
 * Once per pass of Squid's loop: the waiting requests go on, in the order
 * they came, while the workers are near enough behind (the host then calls
 * their resume).
 */
void
Xaction::admit_waiting()
{
	while (!waiters.empty() && ecapsvc_admit()) {
		Xaction *x = waiters.front();

		waiters.pop_front();
		x->waiting = false;
		x->admitted = true;
		x->hostx->resume();
	}
}

/* What Squid may log of the transaction (adaptation history). */
const libecap::Area
Xaction::option(const libecap::Name &name) const
{
	if (name == libecap::Name("X-Sslinspect-Incident") &&
	    !incident.empty())
		return libecap::Area(incident.data(), incident.size());
	return libecap::Area();
}

/* Squid keeps these in the adaptation history: %adapt::<last_h logs them. */
void
Xaction::visitEachOption(libecap::NamedValueVisitor &v) const
{
	if (!incident.empty())
		v.visit(libecap::Name("X-Sslinspect-Incident"),
		    libecap::Area(incident.data(), incident.size()));
}

void
Xaction::head(xact_head &h, Lines &rq, Lines &rs, std::string &line,
    std::string &status)
{
	libecap::Message	&v = hostx->virgin();
	const libecap::Message	*req = &v;
	const libecap::RequestLine *rl;
	static const libecap::Name groups("X-Client-Groups"),
	    agroups("X-Authenticated-Groups"),
	    tls("X-Sslinspect-Tls-Block");
	libecap::Area		 a;

	std::memset(&h, 0, sizeof h);
	rl = dynamic_cast<const libecap::RequestLine *>(&v.firstLine());
	h.dir = rl != nullptr ? ENGINE_UPLOAD : ENGINE_DOWNLOAD;
	if (rl == nullptr) {
		req = &hostx->cause();
		rl = dynamic_cast<const libecap::RequestLine *>(
		    &req->firstLine());
		const libecap::StatusLine &sl =
		    dynamic_cast<const libecap::StatusLine &>(v.firstLine());
		status = "HTTP/1.1 " + std::to_string(sl.statusCode());
		h.status_line = status.c_str();
		rs.collect(v.header());
		h.resp_lines = rs.ptrs.data();
		h.nresp = rs.ptrs.size();
	}
	if (rl != nullptr)
		line = rl->method().image() + " " + rl->uri().toString() +
		    " HTTP/1.1";
	h.request_line = line.c_str();
	rq.collect(req->header());
	h.req_lines = rq.ptrs.data();
	h.nreq = rq.ptrs.size();
	h.hasbody = v.body() != nullptr;
	h.clen = -1;
	if (h.hasbody && (a = v.header().value(libecap::headerContentLength))
	    .size > 0)
		h.clen = std::strtoll(a.toString().c_str(), nullptr, 10);
}

/* ecapsvc_start, its failure an exception for Squid. */
int
service_start(bool wait)
{
	char	*cause = nullptr;
	int	 st;

	if ((st = ecapsvc_start(wait, &cause)) < 0) {
		std::string why = cause != nullptr ? cause : "?";

		std::free(cause);
		throw libecap::TextException("sslinspect_ecap: " + why);
	}
	return st;
}

/*
 * A request goes to the origin only once the engines are loaded and
 * while the workers keep up: else it waits (ecapsvc.c says why), and
 * begins from resume once admitted. One with a body never waits there:
 * its sender would fill Squid's request buffer, which Squid 5.7 takes for
 * the client's end (bug 5405); it, and a response, wait here for the
 * engines, if they are still loading.
 */
void
Xaction::start()
{
	int	st = service_start(false);

	if (dynamic_cast<const libecap::RequestLine *>(
	    &hostx->virgin().firstLine()) != nullptr &&
	    hostx->virgin().body() == nullptr &&
	    (st == 0 || !waiters.empty() || !ecapsvc_admit())) {
		waiting = true;
		wait_at = waiters.insert(waiters.end(), this);
		return;
	}
	if (st == 0)
		(void)service_start(true);
	begin();
}

void
Xaction::begin()
{
	xact_head		 h;
	Lines			 rq, rs;
	std::string		 line, status, ip, user, grp, tls;
	const struct xact	*x;
	char			*body;
	const char		*ctype;
	size_t			 len;
	time_t			 mtime;

	head(h, rq, rs, line, status);
	ip = hostx->option(libecap::metaClientIp).toString();
	user = hostx->option(libecap::metaUserName).toString();
	grp = hostx->option(libecap::Name("X-Client-Groups")).toString();
	if (grp.empty())
		grp = hostx->option(
		    libecap::Name("X-Authenticated-Groups")).toString();
	tls = hostx->option(libecap::Name("X-Sslinspect-Tls-Block"))
	    .toString();
	h.client_ip = ip.empty() ? nullptr : ip.c_str();
	h.user = user.empty() ? nullptr : user.c_str();
	h.groups = grp.empty() ? nullptr : grp.c_str();
	h.tls_block = tls.empty() ? nullptr : tls.c_str();
	if ((ecx = ecx_new(&h, this)) == nullptr)
		throw libecap::TextException("sslinspect_ecap: no policy "
		    "runs, or out of memory");
	x = ecx_xact(ecx);
	incident = x->incident;
	switch (x->mode) {
	case XM_BLOCK:
		body = ecx_page(ecx, &ctype, &len);
		answer_page(403, ctype, body, len, 0);
		return;
	case XM_CRL:
		body = ecx_crl(ecx, &ctype, &len, &mtime);
		answer_page(body != nullptr ? 200 : 404, ctype, body, len,
		    mtime);
		return;
	case XM_HOLD:
		if (ecx_begin(ecx) != 0)
			throw libecap::TextException("sslinspect_ecap: "
			    "cannot spool the body");
		vb_on = vb_made = true;
		hostx->vbMake();
		return;
	default:
		break;
	}
	answered = true;
	if (x->edited && !h.hasbody) {
		libecap::shared_ptr<libecap::Message> m =
		    hostx->virgin().clone();

		strip(*m);
		hostx->useAdapted(m);
		return;
	}
	libecap::host::Xaction *hx = hostx;

	hostx = nullptr;	/* useVirgin may end the transaction */
	hx->useVirgin();
}

/* A request whose response is inspected goes without its Range. */
void
Xaction::strip(libecap::Message &m)
{
	const char *const *h;

	if (!ecx_xact(ecx)->edited)
		return;
	for (h = xact_strip_names; *h != nullptr; h++)
		m.header().removeAny(libecap::Name(*h));
}

/*
 * Answer with a page of our own (a block, a CRL): a new response, its
 * body served from memory. The virgin body, if any, is not wanted.
 */
void
Xaction::answer_page(int code, const char *ctype, char *body, size_t len,
    time_t mtime)
{
	libecap::shared_ptr<libecap::Message> m =
	    libecap::MyHost().newResponse();
	libecap::StatusLine &sl =
	    dynamic_cast<libecap::StatusLine &>(m->firstLine());
	libecap::Header	&h = m->header();
	char		 lm[80];
	struct tm	 tm;

	page.assign(body != nullptr ? body : "", body != nullptr ? len : 0);
	std::free(body);
	sl.statusCode(code);
	sl.version(libecap::Version(1, 1));
	h.add(libecap::Name("Content-Type"), libecap::Area::FromTempString(
	    ctype != nullptr ? ctype : "text/html; charset=utf-8"));
	h.add(libecap::headerContentLength,
	    libecap::Area::FromTempString(std::to_string(page.size())));
	if (code == 403) {
		h.add(libecap::Name("Cache-Control"),
		    libecap::Area::FromTempString("no-store"));
		h.add(libecap::Name("X-Sslinspect-Incident"),
		    libecap::Area::FromTempString(incident));
	} else {
		h.add(libecap::Name("Cache-Control"),
		    libecap::Area::FromTempString("public, max-age=300"));
		if (mtime != 0 && gmtime_r(&mtime, &tm) != nullptr &&
		    std::strftime(lm, sizeof lm, "%a, %d %b %Y %H:%M:%S GMT",
		    &tm) > 0)
			h.add(libecap::Name("Last-Modified"),
			    libecap::Area::FromTempString(lm));
	}
	m->addBody();
	ab = Ab::page;
	ended = true;
	released = page.size();
	stop_vb();
	answered = true;
	hostx->useAdapted(m);
}

/* Answer with the virgin message, its body served from the spool. */
void
Xaction::answer_clone()
{
	libecap::shared_ptr<libecap::Message> m = hostx->virgin().clone();

	strip(*m);
	ab = Ab::spool;
	answered = true;
	hostx->useAdapted(m);
}

/* The virgin body is not wanted any more. */
void
Xaction::stop_vb()
{
	if (vb_on) {
		vb_on = false;
		hostx->vbStopMaking();
	} else if (!vb_made && hostx->virgin().body() != nullptr) {
		vb_made = true;
		hostx->vbDiscard();
	}
}

/*
 * Spool all that Squid's pipe holds, at once (ecapsvc.c says why), and
 * at the body's end tell the workers.
 */
void
Xaction::pull()
{
	libecap::Area	a;

	if (!vb_on || hostx == nullptr)
		return;
	if ((a = hostx->vbContent(0, libecap::nsize)).size > 0) {
		ecx_feed(ecx, a.start, a.size, false);
		hostx->vbContentShift(a.size);
	}
	if (vb_end && !eof_fed) {
		eof_fed = true;
		ecx_feed(ecx, nullptr, 0, true);
		vb_on = false;
		hostx->vbStopMaking();
	}
}

void
Xaction::noteVbContentAvailable()
{
	pull();
}

void
Xaction::noteVbContentDone(bool atEnd)
{
	if (!atEnd) {
		/* the sender stopped short: there is no whole body to judge */
		vb_on = false;
		cut();
		return;
	}
	vb_end = true;
	pull();
}

/* The worker has news: act on it. */
void
Xaction::resume()
{
	struct ecx_news	 n;
	const char	*ctype;
	char		*body;
	size_t		 len;

	if (admitted && hostx != nullptr) {
		admitted = false;
		(void)service_start(true);
		begin();
		return;
	}
	if (hostx == nullptr || ecx == nullptr)
		return;
	pull();
	ecx_news(ecx, &n);
	switch (n.step) {
	case XA_BLOCK:
		if (!answered) {
			body = ecx_page(ecx, &ctype, &len);
			answer_page(403, ctype, body, len, 0);
			return;
		}
		/* the worker posts every end as a block (ecx_work) */
		ecx_cut_late(ecx);
		cut();
		return;
	case XA_RELEASE:
		if (!answered)
			answer_clone();
		break;
	default:
		break;
	}
	if (n.ended && !answered)
		answer_clone();
	released = n.released;
	ended = n.ended;
	more();
}

/* Tell Squid what more of the adapted body there is, or that it ended. */
void
Xaction::more()
{
	if (!ab_on || hostx == nullptr || ab_done)
		return;
	if (out < released)
		hostx->noteAbContentAvailable();
	else if (ended) {
		ab_done = true;
		hostx->noteAbContentDone(true);
	}
}

/*
 * End the transfer short: before an answer, the transaction fails (Squid's
 * error page, or the virgin message with bypass=on); after it, the
 * adapted body ends unfinished and Squid cuts the client off.
 */
void
Xaction::cut()
{
	if (ecx != nullptr)
		ecx_cut(ecx);
	if (hostx == nullptr)
		return;
	if (vb_on) {
		vb_on = false;
		hostx->vbStopMaking();
	}
	if (!answered) {
		libecap::host::Xaction *hx = hostx;

		answered = true;
		hostx = nullptr;
		hx->adaptationAborted();
		return;
	}
	if (ab_on && !ab_done) {
		ab_done = true;
		hostx->noteAbContentDone(false);
	}
	ended = false;
	released = out;
}

void
Xaction::abMake()
{
	ab_on = true;
	more();
}

void
Xaction::abStopMaking()
{
	/* the client is gone: nothing more to send or scan */
	ab_on = false;
	if (ecx != nullptr)
		ecx_cut(ecx);
}

libecap::Area
Xaction::abContent(libecap::size_type off, libecap::size_type size)
{
	const uint64_t	pos = out + off;
	ssize_t		n;
	size_t		k;

	if (pos >= released)
		return libecap::Area();
	if (ab == Ab::page) {
		k = (size_t)(released - pos) < size ? (size_t)(released - pos) :
		    size;
		return libecap::Area(page.data() + pos, k);
	}
	if (pos < ra_at || pos >= ra_at + ra_len) {
		ra.resize(readahead);
		if ((n = ecx_read(ecx, pos, ra.data(), ra.size())) <= 0)
			throw libecap::TextException("sslinspect_ecap: the "
			    "spool file cannot be read");
		ra_at = pos;
		ra_len = (size_t)n;
	}
	k = ra_len - (size_t)(pos - ra_at);
	if (k > size)
		k = size;
	/* Squid copies the area into its pipe before it asks again */
	return libecap::Area(ra.data() + (pos - ra_at), k);
}

void
Xaction::abContentShift(libecap::size_type size)
{
	out += size;
	more();
}

void
Xaction::stop()
{
	if (waiting) {
		waiting = false;
		waiters.erase(wait_at);
	}
	hostx = nullptr;
	if (ecx != nullptr)
		ecx_cut(ecx);
}

void
Service::suspend(timeval &timeout)
{
	int	ms = ecapsvc_wait_ms();

	/* waiting requests: the backlog shrinks with no news to tell */
	if (!waiters.empty() && (ms < 0 || ms > 1))
		ms = 1;
	if (ms >= 0 && timeout.tv_sec * 1000 + timeout.tv_usec / 1000 > ms) {
		timeout.tv_sec = ms / 1000;
		timeout.tv_usec = (ms % 1000) * 1000;
	}
}

void
notify_owner(void *owner)
{
	static_cast<Xaction *>(owner)->notify();
}

void
Service::resume()
{
	Xaction::admit_waiting();
	ecapsvc_ready(notify_owner);
	ecapsvc_log_drain(host_log);
}

Service::MadeXactionPointer
Service::makeXaction(libecap::host::Xaction *hostx)
{
	return Service::MadeXactionPointer(new Xaction(hostx));
}

const bool registered =
    libecap::RegisterVersionedService(new Service);

} /* namespace */
