# sslinspect-ca demo-init and rotate: a labelled DEMO hierarchy, a short-lived
# issuing CA (pathlen 0, AKI = intermediate SKI, CRL distribution point of
# the intermediate's CRL), and a Squid bundle in the right order (the root
# left out: Squid sends the file's certificates to clients), 0600 and
# owned by the proxy user; a second rotate makes a new current issuing CA and
# runs the reload command; a failing reload command is reported.

ca_tool()
{
	"$top_builddir/cert_helper/sslinspect-ca" -d "$T/ca" "$@"
}

case_main()
{
	local out kid kid2 iski aki days blocks txt before
	[ -x "$top_builddir/cert_helper/sslinspect-ca" ] || exit 77
	ca_tool demo-init --org "Example Corp" \
	    --crl-url 'http://crl.example.test/c/{ca}.crl' >/dev/null ||
	    si_fail "demo-init failed"
	si_assert_match "$(openssl x509 -in "$T/ca/root.pem" -noout -subject)" \
	    "DEMO" "the demo root is labelled"
	out=$(ca_tool demo-init 2>&1) && si_fail "second demo-init succeeded"
	si_assert_match "$out" "intermediate.pem: exists" "demo-init refuses to overwrite"
	si_assert_eq "$(printf '%s\n' "$out" | wc -l)" 1 "one error line"
	si_assert_eq "$(stat -c %a "$T/ca/intermediate.key")" 600 "intermediate key mode"

	ca_tool rotate --reload "touch $T/reloaded" >/dev/null || si_fail "rotate failed"
	[ -f "$T/reloaded" ] || si_fail "reload command not run"
	kid=$(cat "$T/ca/current")
	si_assert_eq "$(stat -c '%a %U' "$T/ca/squid-bundle.pem")" "600 proxy" "bundle mode and owner"
	blocks=$(grep -- '-----BEGIN' "$T/ca/squid-bundle.pem" | tr -d '-' | tr '\n' ',')
	si_assert_eq "$blocks" "BEGIN CERTIFICATE,BEGIN PRIVATE KEY,BEGIN CERTIFICATE," "bundle order"
	grep -q "$(sed -n 2p "$T/ca/root.pem")" "$T/ca/squid-bundle.pem" &&
	    si_fail "the root is in the bundle"
	# The bundle's first certificate is the new issuing CA and its key matches.
	si_assert_eq "$(openssl x509 -in "$T/ca/squid-bundle.pem" -noout -pubkey)" \
	    "$(openssl pkey -in "$T/ca/squid-bundle.pem" -pubout)" "bundle key matches its certificate"
	openssl x509 -in "$T/ca/squid-bundle.pem" -out "$T/issuing.pem"
	si_assert_eq "$(openssl x509 -in "$T/issuing.pem" -noout -ext subjectKeyIdentifier | tail -1 | tr -d ' :' | tr A-F a-f)" \
	    "$kid" "current names the bundle's issuing CA"
	openssl verify -x509_strict -CAfile "$T/ca/root.pem" -untrusted "$T/ca/intermediate.pem" \
	    "$T/issuing.pem" >/dev/null || si_fail "issuing CA does not verify (strict)"
	if command -v certtool >/dev/null; then
		cat "$T/issuing.pem" "$T/ca/intermediate.pem" > "$T/chain.pem"
		certtool --verify-profile=high --verify --load-ca-certificate "$T/ca/root.pem" \
		    --infile "$T/chain.pem" 2>&1 | grep -q 'Chain verification output: Verified' ||
		    si_fail "GnuTLS does not verify the issuing CA chain"
	fi
	txt=$(openssl x509 -in "$T/issuing.pem" -noout -text)
	si_assert_match "$txt" "CA:TRUE, pathlen:0" "issuing CA pathlen 0"
	si_assert_match "$txt" "Certificate Sign, CRL Sign" "issuing CA key usage"
	si_assert_match "$txt" "O ?= ?Example Corp" "issuing CA keeps the organization"
	iski=$(openssl x509 -in "$T/ca/intermediate.pem" -noout -ext subjectKeyIdentifier | tail -1 | tr -d ' ')
	aki=$(openssl x509 -in "$T/issuing.pem" -noout -ext authorityKeyIdentifier | tail -1 | tr -d ' ')
	si_assert_eq "${aki#keyid:}" "$iski" "AKI equals the intermediate's SKI"
	iski=$(printf '%s' "$iski" | tr -d : | tr A-F a-f)
	si_assert_match "$txt" "URI:http://crl.example.test/c/$iski.crl" "CRL distribution point"
	days=$(( ($(date -d "$(openssl x509 -in "$T/issuing.pem" -noout -enddate | cut -d= -f2)" +%s) - $(date +%s)) / 3600 ))
	[ "$days" -ge 167 ] && [ "$days" -le 168 ] || si_fail "issuing CA validity ${days}h, want 7 days"
	[ -s "$T/ca/crl/$kid.crl" ] && [ -s "$T/ca/crl/$iski.crl" ] || si_fail "rotate did not publish the CRLs"

	ca_tool rotate --validity 2 >/dev/null || si_fail "second rotate failed"
	kid2=$(cat "$T/ca/current")
	[ "$kid2" != "$kid" ] || si_fail "rotate did not change the issuing CA"
	openssl x509 -in "$T/ca/squid-bundle.pem" -noout -checkend $((2 * 86400 + 60)) >/dev/null &&
	    si_fail "--validity 2 not applied"
	out=$(ca_tool status --issued "$T/none.tsv")
	si_assert_match "$out" "issuing CAs: 2" "status lists both issuing CAs"
	si_assert_match "$out" "$kid2 current" "status marks the current one"
	si_assert_match "$out" "$kid valid" "status keeps the previous one"
	si_assert_match "$out" "next CRL due: [0-9]{4}-" "status shows when the next CRL is due"

	cp -p "$T/ca/squid-bundle.pem" "$T/bundle.before"
	out=$(ca_tool rotate --reload "exit 3" 2>&1) && si_fail "failing reload not reported"
	si_assert_match "$out" "reload command failed \(status 3\)" "reload failure message"
	si_assert_eq "$(stat -c '%a %U' "$T/ca/squid-bundle.pem")" "600 proxy" "bundle mode after a failed reload"

	# A rotation that cannot finish (unknown squid user) changes nothing.
	sed -i 's/^squid-user .*/squid-user nosuchuser-sslinspect/' "$T/ca/ca.conf"
	before=$(cd "$T/ca" && find . -type f ! -name .lock -exec sha256sum {} + | sort)
	out=$(ca_tool rotate 2>&1) && si_fail "rotate with an unknown squid user succeeded"
	si_assert_match "$out" 'user "nosuchuser-sslinspect" does not exist' "unknown squid user"
	si_assert_eq "$(cd "$T/ca" && find . -type f ! -name .lock -exec sha256sum {} + | sort)" \
	    "$before" "failed rotate left files behind"
}
