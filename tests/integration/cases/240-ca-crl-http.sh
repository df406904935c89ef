# CRL publication: nginx on loopback with the shipped snippet serves the
# crl/ directory; OpenSSL itself downloads the CRLs named by the CRL
# distribution points (-crl_download) and refuses a revoked issuing CA and
# a revoked leaf; the served CRL is DER with type application/pkix-crl and
# changes as soon as a new one is written; nothing else is served. The CRLs
# carry an issuingDistributionPoint here (crl-idp 1), which OpenSSL checks
# against each certificate's CRL distribution point.

ca_tool()
{
	"$top_builddir/cert_helper/sslinspect-ca" -d "$T/ca" "$@"
}

case_main()
{
	local kid ikid hdr out n1 n2 path code
	[ -x "$top_builddir/cert_helper/sslinspect-ca" ] || exit 77
	si_port CRL_PORT	# the CRL URL must be known before the CA exists
	ca_tool demo-init --crl-url "http://127.0.0.1:$CRL_PORT/{ca}.crl" --crl-idp 1 >/dev/null &&
	    ca_tool rotate >/dev/null || si_fail "setup"
	si_crl_start
	kid=$(cat "$T/ca/current")
	ikid=$(openssl x509 -in "$T/ca/intermediate.pem" -noout -ext subjectKeyIdentifier | tail -1 | tr -d ' :' | tr A-F a-f)

	# A leaf under the issuing CA pointing at its CRL, as certgen mints it.
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$T/leaf.key" -out "$T/leaf.csr" -subj "/CN=www.example.test" 2>/dev/null
	printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:www.example.test\nauthorityKeyIdentifier=keyid\ncrlDistributionPoints=URI:http://127.0.0.1:%s/%s.crl\n' \
	    "$CRL_PORT" "$kid" > "$T/leaf.ext"
	openssl x509 -req -in "$T/leaf.csr" -CA "$T/ca/issuing/$kid.pem" \
	    -CAkey "$T/ca/issuing/$kid.key" -set_serial 0x5eed0001 -days 2 \
	    -sha256 -extfile "$T/leaf.ext" -out "$T/leaf.pem" 2>/dev/null || si_fail "leaf"
	printf 'v1\t%s\t5eed0001\t%s\t%s\t%s\twww.example.test\n' "$(date +%s)" "$kid" \
	    "$(date +%s)" "$(( $(date +%s) + 2 * 86400 ))" > "$T/issued.tsv"
	cat "$T/ca/intermediate.pem" "$T/ca/issuing/$kid.pem" > "$T/untrusted.pem"

	hdr=$(curl -sS -D - -o "$T/got.crl" "http://127.0.0.1:$CRL_PORT/$kid.crl") ||
	    si_fail "CRL fetch over HTTP failed"
	si_assert_match "$hdr" "HTTP/1.1 200" "CRL served"
	si_assert_match "$hdr" "Content-Type: application/pkix-crl" "CRL media type (RFC 2585)"
	cmp -s "$T/got.crl" "$T/ca/crl/$kid.crl" || si_fail "served CRL differs from the file"
	openssl crl -in "$T/got.crl" -inform DER -noout -verify -CAfile "$T/ca/issuing/$kid.pem" 2>&1 |
	    grep -q 'verify OK' || si_fail "served CRL does not verify"
	# With crl-idp 1 the CRLs name the URL they are published at, which
	# OpenSSL matches against the CRL distribution points.
	si_assert_match "$(openssl crl -in "$T/got.crl" -inform DER -noout -text)" \
	    "Issuing Distribution Point: critical" "issuingDistributionPoint"
	si_assert_match "$(openssl crl -in "$T/got.crl" -inform DER -noout -text)" \
	    "URI:http://127.0.0.1:$CRL_PORT/$kid.crl" "issuingDistributionPoint URL"
	openssl verify -crl_check -crl_download -CAfile "$T/ca/root.pem" \
	    -untrusted "$T/untrusted.pem" "$T/leaf.pem" >/dev/null 2>&1 ||
	    si_fail "leaf refused with the downloaded CRL before any revocation"

	n1=$(openssl crl -in "$T/got.crl" -inform DER -noout -crlnumber | cut -d= -f2)
	ca_tool revoke --issued "$T/issued.tsv" --host www.example.test >/dev/null || si_fail "revoke"
	curl -sS -o "$T/got2.crl" "http://127.0.0.1:$CRL_PORT/$kid.crl" || si_fail "second fetch"
	n2=$(openssl crl -in "$T/got2.crl" -inform DER -noout -crlnumber | cut -d= -f2)
	[ -n "$n1" ] && [ -n "$n2" ] && [ "$((n2))" -gt "$((n1))" ] || si_fail "served CRL number did not grow ($n1 -> $n2)"
	out=$(openssl verify -crl_check -crl_download -CAfile "$T/ca/root.pem" \
	    -untrusted "$T/untrusted.pem" "$T/leaf.pem" 2>&1) &&
	    si_fail "revoked leaf accepted with the downloaded CRL"
	si_assert_match "$out" "certificate revoked" "downloaded CRL revokes the leaf"

	# The issuing CA's own CRL distribution point leads to the intermediate's CRL.
	si_assert_match "$(openssl x509 -in "$T/ca/issuing/$kid.pem" -noout -ext crlDistributionPoints)" \
	    "URI:http://127.0.0.1:$CRL_PORT/$ikid.crl" "issuing CA CRLDP"
	ca_tool revoke --issuing-ca "$kid" --reason superseded >/dev/null || si_fail "revoke issuing CA"
	out=$(openssl verify -crl_check -crl_download -CAfile "$T/ca/root.pem" \
	    -untrusted "$T/ca/intermediate.pem" "$T/ca/issuing/$kid.pem" 2>&1) &&
	    si_fail "revoked issuing CA accepted with the downloaded CRL"
	si_assert_match "$out" "certificate revoked" "downloaded CRL revokes the issuing CA"

	for path in /ca.conf /../intermediate.key /%2e%2e/intermediate.key \
	    /revoked.tsv "/$kid.crl.tmpXXXXXX" /; do
		code=$(curl -s -o /dev/null -w '%{http_code}' --path-as-is "http://127.0.0.1:$CRL_PORT$path")
		case $code in 400|404) ;; *) si_fail "$path answered $code, only CRLs may be served" ;; esac
	done
}
