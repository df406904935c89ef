# The revocation life cycle checked by OpenSSL itself: leaves signed by the
# issuing CA and listed in an issued-certificate record; revoke by host and
# by serial; the CRLs verify against their issuers, carry AKI, CRL number
# and nextUpdate, list the revoked serials with their reason;
# "openssl verify -crl_check" refuses the revoked leaves and accepts the
# other; the CRL number grows; a revoked issuing CA is listed on the
# intermediate's CRL and refused there.

ca_tool()
{
	"$top_builddir/cert_helper/sslinspect-ca" -d "$T/ca" "$@"
}

# leaf NAME: a leaf for NAME signed by the current issuing CA, recorded in
# $T/issued.tsv the way sslinspect-certgen records it.
leaf()
{
	local kid serial
	kid=$(cat "$T/ca/current")
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$T/$1.key" -out "$T/$1.csr" -subj "/CN=$1" 2>/dev/null
	printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:%s\nauthorityKeyIdentifier=keyid\n' \
	    "$1" > "$T/$1.ext"
	openssl x509 -req -in "$T/$1.csr" -CA "$T/ca/issuing/$kid.pem" \
	    -CAkey "$T/ca/issuing/$kid.key" -set_serial "0x$(openssl rand -hex 12)" \
	    -days 3 -sha256 -extfile "$T/$1.ext" -out "$T/$1.pem" 2>/dev/null ||
	    si_fail "openssl could not sign the test leaf $1"
	serial=$(openssl x509 -in "$T/$1.pem" -noout -serial | cut -d= -f2 | tr A-F a-f)
	printf 'v1\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date +%s)" "$serial" "$kid" \
	    "$(date +%s)" "$(( $(date +%s) + 3 * 86400 ))" "$1" >> "$T/issued.tsv"
	echo "$serial"
}

crl_number()
{
	openssl crl -in "$1" -noout -crlnumber | cut -d= -f2
}

case_main()
{
	local kid ikid s1 s2 s3 out n1 n2 txt
	[ -x "$top_builddir/cert_helper/sslinspect-ca" ] || exit 77
	ca_tool demo-init >/dev/null && ca_tool rotate >/dev/null || si_fail "setup"
	kid=$(cat "$T/ca/current")
	ikid=$(openssl x509 -in "$T/ca/intermediate.pem" -noout -ext subjectKeyIdentifier | tail -1 | tr -d ' :' | tr A-F a-f)
	s1=$(leaf bad.example.test)
	s2=$(leaf good.example.test)
	s3=$(leaf other.example.test)
	cat "$T/ca/root.pem" "$T/ca/intermediate.pem" "$T/ca/issuing/$kid.pem" > "$T/trust.pem"

	out=$(ca_tool revoke --issued "$T/issued.tsv" --host nosuch.example.test 2>&1) &&
	    si_fail "revoking an unknown host succeeded"
	si_assert_match "$out" "issued.tsv: no certificate with host nosuch.example.test" "unknown host error"
	[ -e "$T/ca/revoked.tsv" ] && si_fail "a failed revoke wrote revoked.tsv"

	n1=$(crl_number "$T/ca/crl/$kid.pem")
	ca_tool revoke --issued "$T/issued.tsv" --host BAD.example.test \
	    --reason keyCompromise >/dev/null || si_fail "revoke --host failed"
	ca_tool crl > /dev/null || si_fail "crl failed"
	n2=$(crl_number "$T/ca/crl/$kid.pem")
	[ -n "$n1" ] && [ -n "$n2" ] && [ "$((n2))" -gt "$((n1))" ] || si_fail "CRL number did not grow ($n1 -> $n2)"

	openssl crl -in "$T/ca/crl/$kid.crl" -inform DER -noout -verify \
	    -CAfile "$T/trust.pem" 2>&1 | grep -q 'verify OK' ||
	    si_fail "the issuing CA's CRL does not verify"
	cmp -s <(openssl crl -in "$T/ca/crl/$kid.crl" -inform DER) "$T/ca/crl/$kid.pem" ||
	    si_fail "DER and PEM CRLs differ"
	txt=$(openssl crl -in "$T/ca/crl/$kid.pem" -noout -text)
	si_assert_match "$txt" "Version 2" "v2 CRL"
	si_assert_match "$txt" "Next Update: [A-Z]" "nextUpdate"
	si_assert_match "$txt" "Authority Key Identifier" "AKI"
	si_assert_match "$(printf '%s' "$txt" | tr -d ':' | tr A-F a-f)" "$kid" "AKI is the issuing CA's SKI"
	si_assert_match "$(printf '%s' "$txt" | tr A-F a-f)" "Serial Number: 0*$s1" "revoked serial listed"
	si_assert_match "$txt" "Key Compromise" "reason code"
	si_assert_nomatch "$(printf '%s' "$txt" | tr A-F a-f)" "$s2" "unrevoked serial absent"

	out=$(openssl verify -crl_check -CAfile "$T/trust.pem" \
	    -CRLfile "$T/ca/crl/$kid.pem" "$T/bad.example.test.pem" 2>&1) &&
	    si_fail "revoked leaf accepted"
	si_assert_match "$out" "certificate revoked" "revoked leaf refused"
	openssl verify -crl_check -CAfile "$T/trust.pem" -CRLfile "$T/ca/crl/$kid.pem" \
	    "$T/good.example.test.pem" >/dev/null 2>&1 || si_fail "unrevoked leaf refused"

	ca_tool revoke --issued "$T/issued.tsv" --serial "$(printf '%s' "$s3" | tr a-f A-F)" >/dev/null ||
	    si_fail "revoke --serial failed"
	out=$(openssl verify -crl_check -CAfile "$T/trust.pem" \
	    -CRLfile "$T/ca/crl/$kid.pem" "$T/other.example.test.pem" 2>&1) &&
	    si_fail "leaf revoked by serial accepted"
	out=$(ca_tool revoke --issued "$T/issued.tsv" --host bad.example.test)
	si_assert_match "$out" "revoked 0 certificate\(s\), 1 already revoked" "revoking twice is idempotent"

	# The issuing CA itself, on the intermediate's CRL.
	out=$(ca_tool revoke --issuing-ca "$kid" --reason cACompromise 2>&1 >/dev/null) ||
	    si_fail "revoke --issuing-ca failed"
	si_assert_match "$out" "warning: $kid is the issuing CA in squid-bundle.pem; run rotate now" \
	    "revoking the current issuing CA asks for a rotation"
	openssl crl -in "$T/ca/crl/$ikid.pem" -noout -verify \
	    -CAfile "$T/ca/intermediate.pem" 2>&1 | grep -q 'verify OK' ||
	    si_fail "the intermediate's CRL does not verify"
	out=$(openssl verify -crl_check -CAfile "$T/ca/root.pem" -untrusted "$T/ca/intermediate.pem" \
	    -CRLfile "$T/ca/crl/$ikid.pem" "$T/ca/issuing/$kid.pem" 2>&1) &&
	    si_fail "revoked issuing CA accepted"
	si_assert_match "$out" "certificate revoked" "revoked issuing CA refused"
	out=$(ca_tool status --issued "$T/issued.tsv")
	si_assert_match "$out" "$kid revoked" "status shows the revoked issuing CA"
	si_assert_match "$out" "certificates issued: 3" "status counts issued leaves"
	si_assert_match "$out" "certificates revoked: 2" "status counts revoked leaves"
}
