# squid-conf/: the Squid include snippets and the site lists they name.
# The same templates are rendered by the integration harness and the demo,
# so what is tested is what ships.
squidconfdir = $(sysconfdir)/squid/conf.d
squidconf_DATA = squid-conf/sslinspect-bump.conf squid-conf/sslinspect-icap.conf \
	squid-conf/sslinspect-log.conf
# The eCAP front end's snippet replaces the ICAP one: installed beside
# the documentation, never where Squid reads every snippet.
ecapsnippetdir = $(docdir)/examples
ecapsnippet_DATA = squid-conf/sslinspect-ecap.conf
sslinspectlistdir = $(sysconfdir)/sslinspect/lists
dist_sslinspectlist_DATA = squid-conf/no-inspect.txt squid-conf/pinned-apps.txt
sslinspectnftdir = $(sysconfdir)/sslinspect
dist_sslinspectnft_DATA = squid-conf/sslinspect-quic.nft
EXTRA_DIST += squid-conf/sslinspect-bump.conf.in squid-conf/sslinspect-icap.conf.in \
	squid-conf/sslinspect-ecap.conf.in \
	squid-conf/sslinspect-log.conf.in squid-conf/render
CLEANFILES += $(squidconf_DATA) $(ecapsnippet_DATA)

SQUID_RENDER = $(SHELL) $(top_srcdir)/squid-conf/render \
	BUMP_PORT=3129 \
	INTERCEPT_PORT=3130 \
	BUMP_BUNDLE=$(localstatedir)/lib/sslinspect/ca/squid-bundle.pem \
	CERTGEN_PROGRAM='$(pkglibexecdir)/sslinspect-certgen -c $(sysconfdir)/sslinspect/certgen.conf' \
	CERTGEN_CHILDREN='4 startup=2 idle=1 concurrency=16' \
	CERTVERIFY_PROGRAM='$(pkglibexecdir)/sslinspect-certverify -c $(sysconfdir)/sslinspect/certverify.conf' \
	CERTVERIFY_CHILDREN='4 startup=1 idle=1 concurrency=32' \
	CERTVERIFY_TTL=60 \
	NO_INSPECT_LIST=$(sysconfdir)/sslinspect/lists/no-inspect.txt \
	PINNED_LIST=$(sysconfdir)/sslinspect/lists/pinned-apps.txt \
	CATEGORY_HELPER='$(pkglibexecdir)/sslinspect-category-acl -c -d $(categorydb)' \
	CATEGORY_TTL=10 \
	NO_INSPECT_CATEGORIES='finance health' \
	OUTGOING_CAFILE=/etc/ssl/certs/ca-certificates.crt \
	ICAP_ADDRESS=127.0.0.1:1344 \
	ICAP_SERVICE=sslinspect \
	ECAP_MODULE=$(ecapmoduledir)/sslinspect_ecap.so \
	ECAP_CONFIG=$(sysconfdir)/c-icap/sslinspect.conf \
	ECAP_TMPDIR=/var/tmp \
	ECAP_HOLD='$(ECAP_HOLD_OPTION)' \
	REQUEST_BUFFER_LINE='$(SQUID_REQBUF_LINE)' \
	ACCESS_LOG=daemon:/var/log/squid/access.log \
	TLS_LOG=daemon:/var/log/squid/sslinspect-tls.log

squid-conf/%.conf: $(top_srcdir)/squid-conf/%.conf.in $(top_srcdir)/squid-conf/render Makefile
	$(AM_V_GEN)$(MKDIR_P) squid-conf && $(SQUID_RENDER) < $< > $@.tmp && mv $@.tmp $@
