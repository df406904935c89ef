# sslinspect-certgen with the CA directory as its one source of truth:
# without a crl-url of its own (the harness passes only --ca-dir), a leaf
# minted behind real Squid names the CRL that the ca.conf template gives
# for its issuing CA, as the issuing CA names its intermediate's. An
# issuing CA that has too little life left (here a 1-day one) is reported
# in Squid's cache.log as a WARNING when the helper starts.

case_main()
{
	local ski crl leaf tmpl t0
	[ -x "$top_builddir/cert_helper/sslinspect-certgen" ] || exit 77
	[ -x "$top_builddir/cert_helper/sslinspect-ca" ] || exit 77
	si_origin_start
	si_pki_org || si_fail "organization CA"
	t0=$(date +%s)
	"$top_builddir/cert_helper/sslinspect-ca" -d "$T/ca" rotate --validity 1 \
	    > /dev/null || si_fail "rotate --validity 1"
	# The 1-day CA must have less than its 24 hours left when the helper
	# looks, which it has not within the second it was made in.
	while [ "$(date +%s)" -le $((t0 + 1)) ]; do sleep 0.1; done
	si_squid_start
	tmpl=$(sed -n 's/^crl-url //p' "$T/ca/ca.conf")
	[ -n "$tmpl" ] || si_fail "ca.conf has no crl-url"
	si_assert_nomatch "$CERTGEN_PROGRAM" "crl-url" "the helper is given no crl-url"

	si_curl -o /dev/null "$(si_url /index.html)" || si_fail "bumped fetch"
	leaf=$(si_served_cert www.origin.test)
	[ -n "$leaf" ] || si_fail "no leaf served"
	ski=$(openssl x509 -in "$T/ca/squid-bundle.pem" -noout -ext subjectKeyIdentifier |
	    tail -n 1 | tr -d ' :' | tr 'A-F' 'a-f')
	crl=$(printf '%s\n' "$leaf" | openssl x509 -noout -ext crlDistributionPoints)
	si_assert_match "$crl" "URI:$(printf '%s' "$tmpl" | sed "s/{ca}/$ski/")" \
	    "leaf CRL DP from ca.conf"
	si_assert_match "$(openssl x509 -in "$T/ca/squid-bundle.pem" -noout -ext crlDistributionPoints)" \
	    "URI:$(printf '%s' "$tmpl" | sed 's/{ca}/[0-9a-f]+/')" "the issuing CA uses the same template"

	# The helper's stderr reaches cache.log through Squid, in its own time.
	si_wait_log "$T/log/cache.log" \
	    "sslinspect-certgen\\[[0-9]+\\]: WARNING: the issuing CA in $T/ca/squid-bundle.pem expires in 2[0-4] hours and was not rotated" \
	    "the near expiry is in cache.log"
	si_assert_nomatch "$(cat "$T/log/cache.log")" "crl-url|FATAL" "no CRL URL warning, nothing fatal"
}
