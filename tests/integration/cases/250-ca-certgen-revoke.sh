# The whole life cycle through real Squid and sslinspect-certgen: bumped
# curl requests mint leaves from the issuing CA that sslinspect-ca rotated
# into the bundle; each leaf's CRL distribution point is served by nginx
# from the CA's crl/ directory; "sslinspect-ca revoke --host" finds the leaf
# in certgen's issued record; OpenSSL, downloading the CRL from the URL in
# the leaf, refuses that leaf. certgen, reading the CA's revoked.tsv
# (--revoked), stops serving the revoked leaf from its cache within a
# second: the same origin gets a new leaf, which the CRL does not list.

ca_tool()
{
	"$top_builddir/cert_helper/sslinspect-ca" -d "$T/ca" "$@"
}

case_main()
{
	local kid out crldp
	[ -x "$top_builddir/cert_helper/sslinspect-ca" ] &&
	    [ -x "$top_builddir/cert_helper/sslinspect-certgen" ] || exit 77
	si_port CRL_PORT
	SI_CRL_URL="http://127.0.0.1:$CRL_PORT/{ca}.crl"
	SI_CERTGEN_ARGS="--crl-url $SI_CRL_URL --revoked $T/ca/revoked.tsv"
	si_start_all
	si_crl_start
	case $CERTGEN_PROGRAM in *sslinspect-certgen*) ;; *) si_fail "Squid does not run sslinspect-certgen" ;; esac
	kid=$(cat "$T/ca/current")
	printf 'hello\n' > "$T/www/hello.txt"
	si_assert_eq "$(si_curl "$(si_url /hello.txt)")" hello "bumped request"
	si_served_cert www.origin.test > "$T/revoked-leaf.pem"
	[ -s "$T/revoked-leaf.pem" ] || si_fail "no served leaf"
	crldp=$(openssl x509 -in "$T/revoked-leaf.pem" -noout -ext crlDistributionPoints)
	si_assert_match "$crldp" "URI:http://127.0.0.1:$CRL_PORT/$kid.crl" "leaf CRLDP names the issuing CA's CRL"
	openssl x509 -in "$T/ca/squid-bundle.pem" -out "$T/issuing.pem"
	cat "$T/ca/intermediate.pem" "$T/issuing.pem" > "$T/untrusted.pem"
	openssl verify -crl_check -crl_download -CAfile "$SI_ORG_ROOT" -untrusted "$T/untrusted.pem" \
	    "$T/revoked-leaf.pem" >/dev/null 2>&1 || si_fail "leaf refused before revocation"
	[ -s "$T/certgen/issued.tsv" ] || si_fail "certgen kept no issued record"
	si_assert_match "$(cat "$T/certgen/issued.tsv")" "	www.origin.test$" "issued record names the host"

	ca_tool revoke --issued "$T/certgen/issued.tsv" --host www.origin.test \
	    --reason privilegeWithdrawn >/dev/null || si_fail "revoke --host failed"
	out=$(openssl verify -crl_check -crl_download -CAfile "$SI_ORG_ROOT" -untrusted "$T/untrusted.pem" \
	    "$T/revoked-leaf.pem" 2>&1) && si_fail "revoked leaf accepted"
	si_assert_match "$out" "certificate revoked" "revoked leaf refused with the downloaded CRL"

	# The same origin certificate again: a cache hit before, now a new
	# leaf (revoked.tsv is looked at once a second).
	sleep 1.2
	si_assert_eq "$(si_curl "$(si_url /hello.txt)")" hello "bumped request after revocation"
	si_served_cert www.origin.test > "$T/good-leaf.pem"
	cmp -s "$T/good-leaf.pem" "$T/revoked-leaf.pem" && si_fail "certgen served the revoked leaf again"
	out=$(openssl verify -crl_check -crl_download -CAfile "$SI_ORG_ROOT" -untrusted "$T/untrusted.pem" \
	    "$T/good-leaf.pem" 2>&1) || si_fail "unrevoked leaf refused: $out"
	si_assert_match "$(cat "$T/log/cache.log")" "cached certificate [0-9a-f]* for www.origin.test is revoked; minting a new one" \
	    "certgen logs why it minted again"
	out=$(ca_tool status --issued "$T/certgen/issued.tsv")
	si_assert_match "$out" "$kid current .* issued [1-9][0-9]* revoked [1-9]" "status counts the minted and revoked leaves"
}
