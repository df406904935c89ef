# Origin certificate validation (issue 14, part 2): Squid with
# sslinspect-certverify as its sslcrtvalidator_program, one nginx serving a
# faulty certificate per name (by SNI), a CRL and the AIA intermediate over
# HTTP, "openssl ocsp" as the OCSP responder and a silent one that never
# answers. Each faulty origin is refused with Squid's error page naming
# the error, through curl and through Chromium; the good ones load; an
# allow-host lets its host through a class that blocks; the missing
# intermediate is fetched by AIA.

# HOST:allow (loads) or HOST:ERROR (refused, the page names ERROR).
# noint.test's intermediate is not served: Squid fetches it by AIA.
CV_ORIGINS="good.test:allow
crlgood.test:allow
ocspgood.test:allow
expired.test:X509_V_ERR_CERT_HAS_EXPIRED
notyet.test:X509_V_ERR_CERT_NOT_YET_VALID
self.test:X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT
unknown.test:X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY
wronghost.test:SQUID_X509_V_ERR_DOMAIN_MISMATCH
crlrevoked.test:X509_V_ERR_CERT_REVOKED
crlunknown.test:X509_V_ERR_UNABLE_TO_GET_CRL
ocsprevoked.test:X509_V_ERR_CERT_REVOKED
rsa1024.test:X509_V_ERR_EE_KEY_TOO_SMALL
sha1.test:X509_V_ERR_CA_MD_TOO_WEAK
noint.test:allow
ocsptimeout.test:X509_V_ERR_UNABLE_TO_GET_CRL
ocsptimeout-allowed.test:allow"
SI_ORIGIN_NAMES="$(printf '%s\n' "$CV_ORIGINS" | cut -d: -f1 | tr '\n' ' ') allowed.test"
# revocation-timeout and revocation-unknown allow by default; blocking
# them shows both answers. crlunknown.test's CRL is not found (HTTP 404).
SI_CERTVERIFY_ARGS="--timeout 3 --allow-host expired=allowed.test --revocation-timeout block --allow-host revocation-timeout=ocsptimeout-allowed.test --revocation-unknown block"
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

case_main()
{
	local host leaf out
	[ -x "$top_builddir/cert_helper/sslinspect-certverify" ] || exit 77
	si_certverify_origins
	si_squid_start
	grep -q "sslcrtvalidator_program ttl=60 $T/bin/sslinspect-certverify" \
	    "$T/etc/conf.d/sslinspect-bump.conf" || si_fail "snippet wires the validator"

	for o in $CV_ORIGINS; do
		si_certverify_expect "${o%%:*}" "${o#*:}"
	done
	# expired, but allowed for this host (allow-host expired=allowed.test):
	# Squid goes on to the origin, and the leaf it mints mimics the
	# origin's dates, so the client sees the same fault (no trusted leaf
	# for a broken certificate); with the fault accepted, the content.
	out=$(si_curl "https://allowed.test:$ORIGIN_PORT/" 2>&1 || true)
	si_assert_match "$out" "certificate has expired" "allowed.test: the client sees the expiry"
	out=$(si_curl -k "https://allowed.test:$ORIGIN_PORT/" 2>&1 || true)
	si_assert_match "$out" "certverify origin reached" "allowed.test: let through"
	si_log "allowed.test: let through, the client sees the expired leaf"
	si_wait_log "$T/log/cache.log" "crlrevoked.test: blocked revoked \(revoked \(CRL" \
	    "cache.log says why crlrevoked.test was blocked"
	si_wait_log "$T/log/cache.log" "ocsprevoked.test: blocked revoked \(revoked \(OCSP" \
	    "cache.log says why ocsprevoked.test was blocked"
	si_wait_log "$T/log/cache.log" "crlunknown.test: blocked revocation-unknown \(http://127\.0\.0\.1:[0-9]+/missing\.crl: HTTP status 404\)" \
	    "cache.log says why crlunknown.test was blocked"
	si_wait_log "$T/log/cache.log" "ocsptimeout.test: blocked revocation-timeout \(.* did not answer within 3 s" \
	    "cache.log says why ocsptimeout.test was blocked"
	si_wait_log "$T/log/cache.log" "ocsptimeout-allowed.test: allowed revocation-timeout" \
	    "cache.log says ocsptimeout-allowed.test was let through"

	# The page for a blocked origin comes on a leaf Squid mints for its
	# own page (no mimicked fields: only the host's name), and the
	# connection ends after it.
	leaf=$(si_served_cert expired.test | openssl x509 -noout -subject -enddate 2>/dev/null)
	si_assert_match "$leaf" "CN *= *expired.test" "error page leaf names the host"
	si_assert_nomatch "$leaf" "sslinspect test web PKI" "error page leaf copies nothing of the origin's"

	# Chromium sees what curl saw: each good origin loads, each faulty
	# one gets the page that names its error, and the expired leaf of
	# allowed.test is refused by Chromium itself (no origin content).
	[ -x "$CHROMIUM" ] || si_fail "Chromium is missing (scripts/install-deps)"
	si_chromium_nssdb "$T/home"
	for o in $CV_ORIGINS allowed.test:-; do
		host=${o%%:*} want=${o#*:}
		si_chromium_dom "$T/home" "$T/chromium" "https://$host:$ORIGIN_PORT/" \
		    "$T/dom-$host.html" "$T/log/chromium-$host.err"
		out=$(cat "$T/dom-$host.html")
		case $want in
		allow) si_assert_match "$out" "certverify origin reached" "Chromium loads $host" ;;
		-) si_assert_nomatch "$out" "certverify origin reached" \
		    "Chromium refuses the expired leaf of $host" ;;
		*) si_assert_match "$out" "$want" "Chromium shows the page for $host"
		   si_assert_nomatch "$out" "certverify origin reached" \
		       "Chromium: no origin content for $host" ;;
		esac
	done
	si_log "chromium: every origin as curl saw it"
}
