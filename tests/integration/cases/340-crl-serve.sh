# CRL serving: a proxied client fetches http://<CrlHost>/<keyid>.crl
# through Squid and gets the DER CRL from CrlDir (answered by REQMOD
# request satisfaction, no web server behind it), with the CRL content
# type and caching headers; the PEM form too; unknown names are 404 and
# path tricks do not leave the directory.

SI_NEEDS_MODULE=1

case_main()
{
	local hdr code crl=$T/crl keyid=0a1b2c3d4e5f60718293a4b5c6d7e8f901234567
	mkdir -p "$crl" "$T/ca2"
	: > "$T/ca2/index.txt"
	echo 01 > "$T/ca2/crlnumber"
	cat > "$T/ca2/ca.cnf" <<CNF
[ca]
default_ca = c
[c]
database = $T/ca2/index.txt
crlnumber = $T/ca2/crlnumber
default_md = sha256
default_crl_days = 7
CNF
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$T/ca2/key.pem" -out "$T/ca2/cert.pem" -subj "/CN=CRL test CA" \
	    -days 2 2>/dev/null || si_fail "test CA"
	openssl ca -batch -config "$T/ca2/ca.cnf" -gencrl -keyfile "$T/ca2/key.pem" \
	    -cert "$T/ca2/cert.pem" -out "$crl/$keyid.pem" 2>/dev/null || si_fail "test CRL"
	openssl crl -in "$crl/$keyid.pem" -outform DER -out "$crl/$keyid.crl"
	echo secret > "$T/secret.crl"
	chmod -R a+rX "$crl"
	SI_CICAP_EXTRA="sslinspect.CrlHost crl.sslinspect.test crl2.sslinspect.test
sslinspect.CrlDir $crl"
	si_start_all

	hdr=$(si_curl -D - -o "$T/tmp/got.crl" "http://crl.sslinspect.test/$keyid.crl") ||
	    si_fail "CRL fetch through the proxy"
	si_assert_match "$hdr" "^HTTP/1.1 200" "CRL status"
	si_assert_match "$hdr" "Content-Type: application/pkix-crl" "CRL content type"
	si_assert_match "$hdr" "Cache-Control: public, max-age=[0-9]+" "CRL caching"
	si_assert_match "$hdr" "Last-Modified: " "CRL Last-Modified"
	cmp -s "$T/tmp/got.crl" "$crl/$keyid.crl" || si_fail "CRL bytes differ"
	openssl crl -inform DER -in "$T/tmp/got.crl" -noout -CAfile "$T/ca2/cert.pem" \
	    2>&1 | grep -q "verify OK" || si_fail "fetched CRL does not verify"

	hdr=$(si_curl -D - -o "$T/tmp/got.pem" "http://CRL2.sslinspect.test/$keyid.pem")
	si_assert_match "$hdr" "Content-Type: application/x-pem-file" "PEM content type"
	cmp -s "$T/tmp/got.pem" "$crl/$keyid.pem" || si_fail "PEM bytes differ"

	code=$(si_curl -o /dev/null -w '%{http_code}' "http://crl.sslinspect.test/nope.crl")
	si_assert_eq "$code" 404 "unknown CRL"
	code=$(si_curl -o /dev/null -w '%{http_code}' --path-as-is \
	    "http://crl.sslinspect.test/../secret.crl")
	si_assert_eq "$code" 404 "path outside the CRL dir"
	code=$(si_curl -o /dev/null -w '%{http_code}' \
	    "http://crl.sslinspect.test/%2e%2e%2fsecret.crl")
	si_assert_eq "$code" 404 "encoded path outside the CRL dir"
}
