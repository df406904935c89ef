# sslinspect-certgen behind real Squid (concurrency=8, two children): a
# damaged cache file is rebuilt, parallel bumped connections to many names
# all get leaves with a fresh key and the CRL distribution point of the
# signing CA, a repeated name is served from the shared cache, every minted
# leaf is in the issued record, the cache file is 0600 and holds no CA key,
# and no helper exits.

SI_ORIGIN_NAMES="www.origin.test a.origin.test b.origin.test c.origin.test d.origin.test e.origin.test f.origin.test g.origin.test"
SI_CERTGEN_ARGS="--crl-url http://crl.test/{ca}.crl"

case_main()
{
	local n pids="" serial ski leaf1 leaf2 crl mode keyline rc=0
	[ -x "$top_builddir/cert_helper/sslinspect-certgen" ] || exit 77
	si_origin_start
	si_cicap_start
	mkdir -p "$T/certgen"
	head -c 20000 /dev/urandom > "$T/certgen/cache.mdb"
	si_squid_start

	for n in $SI_ORIGIN_NAMES; do
		si_curl -o /dev/null "$(si_url /index.html "$n")" & pids="$pids $!"
		si_curl -o /dev/null "$(si_url /index.html "$n")" & pids="$pids $!"
	done
	for n in $pids; do wait "$n" || rc=1; done
	[ $rc = 0 ] || si_fail "a parallel bumped fetch failed"

	ski=$(openssl x509 -in "$T/ca/squid-bundle.pem" -noout -ext subjectKeyIdentifier |
	    tail -n 1 | tr -d ' :' | tr 'A-F' 'a-f')
	[ -n "$ski" ] || si_fail "signing CA has no SKI"
	leaf1=$(si_served_cert c.origin.test)
	leaf2=$(si_served_cert c.origin.test)
	[ -n "$leaf1" ] || si_fail "no leaf served"
	si_assert_eq "$leaf2" "$leaf1" "repeated name served from the cache"
	crl=$(printf '%s\n' "$leaf1" | openssl x509 -noout -ext crlDistributionPoints)
	si_assert_match "$crl" "URI:http://crl.test/$ski.crl" "CRL DP of the signing CA"
	[ "$(printf '%s\n' "$leaf1" | openssl x509 -noout -pubkey)" != \
	  "$(openssl x509 -in "$T/ca/squid-bundle.pem" -noout -pubkey)" ] ||
	    si_fail "leaf carries the CA key"

	# Squid names the host by the origin certificate's CN once it has
	# it, and one origin certificate covers every name here: one leaf,
	# minted once (twice at most when both children race), recorded.
	si_wait_log "$T/certgen/issued.tsv" "	$ski	[0-9]*	[0-9]*	www.origin.test\$" \
	    "issued record (key id $ski)"
	[ "$(wc -l < "$T/certgen/issued.tsv")" -le 2 ] ||
	    si_fail "the shared cache did not prevent re-minting: $(cat "$T/certgen/issued.tsv")"
	serial=$(printf '%s\n' "$leaf1" | openssl x509 -noout -serial |
	    cut -d= -f2 | tr 'A-F' 'a-f')
	awk -F'\t' '{ print $3 }' "$T/certgen/issued.tsv" | grep -qx "$serial" ||
	    si_fail "served serial $serial is not in the record"
	mode=$(stat -c %a "$T/certgen/cache.mdb")
	si_assert_eq "$mode" 600 "cache file mode"
	si_assert_eq "$(stat -c %U "$T/certgen/cache.mdb")" proxy "cache file owner"
	# No line of the CA key's base64 appears in the cache.
	keyline=$(awk '/BEGIN .*PRIVATE KEY/ { getline; print; exit }' "$T/ca/squid-bundle.pem")
	[ -n "$keyline" ] || si_fail "no key in the bundle"
	if grep -qF -- "$keyline" "$T/certgen/cache.mdb"; then
		si_fail "the cache holds the CA key"
	fi
	si_assert_match "$(cat "$T/log/cache.log")" "rebuilding the cache" \
	    "damaged cache reported"
	si_assert_nomatch "$(cat "$T/log/cache.log")" "sslcrtd_program.*exited|crashing" \
	    "no helper exited"
}
