# sslinspect-certverify under an admin's own squid.conf line with
# "sslcrtvalidator_children 2 concurrency=0": Squid then sends requests
# with no channel ID, one at a time per helper, and the helper answers
# each in turn without starting a worker thread. (Without concurrency= the
# line keeps Squid's default of 1, whose requests do carry an ID.) Every
# class of verdict still comes out as with the shipped snippet: good
# origins load, CRL and OCSP revocations, an expired leaf and a dead OCSP
# responder each get Squid's page naming the error, and cache.log says why.

CV_ORIGINS="good.test:allow
crlgood.test:allow
ocspgood.test:allow
expired.test:X509_V_ERR_CERT_HAS_EXPIRED
crlrevoked.test:X509_V_ERR_CERT_REVOKED
ocsprevoked.test:X509_V_ERR_CERT_REVOKED
noint.test:allow
ocsptimeout.test:X509_V_ERR_UNABLE_TO_GET_CRL"
SI_ORIGIN_NAMES="$(printf '%s\n' "$CV_ORIGINS" | cut -d: -f1 | tr '\n' ' ')"
SI_CERTVERIFY_ARGS="--timeout 3 --revocation-timeout block"
SI_CERTVERIFY_CHILDREN="2 concurrency=0"

case_main()
{
	local o pid threads n=0
	[ -x "$top_builddir/cert_helper/sslinspect-certverify" ] || exit 77
	si_certverify_origins
	si_squid_start
	grep -q "^sslcrtvalidator_children 2 concurrency=0\$" \
	    "$T/etc/conf.d/sslinspect-bump.conf" ||
	    si_fail "the configuration has sslcrtvalidator_children with concurrency=0"

	for o in $CV_ORIGINS; do
		si_certverify_expect "${o%%:*}" "${o#*:}"
	done
	si_wait_log "$T/log/cache.log" "crlrevoked.test: blocked revoked \(revoked \(CRL" \
	    "cache.log says why crlrevoked.test was blocked"
	si_wait_log "$T/log/cache.log" "ocsprevoked.test: blocked revoked \(revoked \(OCSP" \
	    "cache.log says why ocsprevoked.test was blocked"
	si_wait_log "$T/log/cache.log" "ocsptimeout.test: blocked revocation-timeout \(.* did not answer within 3 s" \
	    "cache.log says why ocsptimeout.test was blocked"

	# Requests came without channel IDs, so each helper answered them in
	# turn: no worker thread was started. (Squid names each helper process
	# "(sslinspect-certverify)", so it is found by its arguments.)
	for pid in $(pgrep -f "sslinspect-certverify.* --ca-file $T/"); do
		threads=$(awk '/^Threads:/ { print $2 }' "/proc/$pid/status")
		si_assert_eq "$threads" 1 "helper $pid answers in turn, no workers"
		n=$((n + 1))
	done
	[ "$n" -ge 1 ] || si_fail "no sslinspect-certverify process found"
	si_log "$n helper process(es), each a single thread"
}
