# The minted-certificate profile over origin-certificate shapes (SAN-rich,
# CN only, 8-year validity, CA:TRUE origin, IP, IDN, no origin certificate),
# for an EC and an RSA issuing CA and EC and RSA leaf keys. The helper is
# driven with Squid-shaped requests (CA cert, PKCS#8 CA key, a space, the
# origin certificate) and every leaf must pass three independent
# verifiers: openssl verify -x509_strict, NSS vfychain and GnuTLS certtool.

CERTGEN=${top_builddir}/cert_helper/sslinspect-certgen

# pki_ca TYPE: root and intermediate ($T/p/TYPE-{root,int}.pem, int.p8).
pki_ca()
{
	local d=$T/p t=$1 alg
	if [ "$t" = rsa ]; then alg="-newkey rsa:2048"; else
		alg="-newkey ec -pkeyopt ec_paramgen_curve:P-256"; fi
	# shellcheck disable=SC2086
	openssl req -x509 $alg -nodes -keyout "$d/$t-root.key" \
	    -out "$d/$t-root.pem" -days 60 -subj "/O=certgen test/CN=Root $t" \
	    -addext basicConstraints=critical,CA:TRUE \
	    -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null || return 1
	# shellcheck disable=SC2086
	openssl req -new $alg -nodes -keyout "$d/$t-int.key" \
	    -out "$d/$t-int.csr" -subj "/O=certgen test/CN=Issuing $t" 2>/dev/null
	printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' > "$d/int.ext"
	openssl x509 -req -in "$d/$t-int.csr" -CA "$d/$t-root.pem" \
	    -CAkey "$d/$t-root.key" -CAcreateserial -days 40 -sha256 \
	    -extfile "$d/int.ext" -out "$d/$t-int.pem" 2>/dev/null
	openssl pkcs8 -topk8 -nocrypt -in "$d/$t-int.key" -out "$d/$t-int.p8"
}

# origin NAME DAYS EXTFILE-LINES: an origin certificate from the web root.
origin()
{
	local d=$T/p n=$1 days=$2
	shift 2
	printf '%s\n' "$@" > "$d/$n.ext"
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$d/$n.key" -out "$d/$n.csr" -subj "/O=Origin/CN=$n" 2>/dev/null
	openssl x509 -req -in "$d/$n.csr" -CA "$d/ec-root.pem" \
	    -CAkey "$d/ec-root.key" -CAcreateserial -days "$days" -sha256 \
	    -extfile "$d/$n.ext" -out "$d/$n.pem" 2>/dev/null || si_fail "origin $n"
}

# mint CA HOST ORIGIN-PEM|- OUT [ARGS...]: one request through the helper;
# the leaf certificate goes to OUT.
mint()
{
	local ca=$1 host=$2 mimic=$3 out=$4 body=$T/body reply=$T/reply
	shift 4
	{
		printf 'host=%s\nSign=signTrusted\nSignHash=SHA256\n' "$host"
		cat "$T/p/$ca-int.pem" "$T/p/$ca-int.p8"
		if [ "$mimic" != - ]; then printf ' '; cat "$mimic"; fi
	} > "$body"
	# Squid's body ends with the last PEM line's newline.
	{ printf 'new_certificate %s ' "$(stat -c %s "$body")"; cat "$body"; echo; } |
	    "$CERTGEN" --cache-dir none --crl-url 'http://crl.test/{ca}.crl' \
	    --aia-url 'http://crl.test/{ca}.crt' "$@" > "$reply" 2>"$T/log/certgen.err" ||
	    si_fail "helper exited with an error"
	si_assert_match "$(head -c 20 "$reply")" "^OK [0-9]+ -----" "reply for $host"
	[ "$(tail -c 1 "$reply" | od -An -tx1 | tr -d ' ')" = 01 ] ||
	    si_fail "reply does not end with 0x01"
	tr -d '\001' < "$reply" | sed '1s/^OK [0-9]* //' | openssl x509 > "$out" ||
	    si_fail "no certificate in the reply for $host"
	tr -d '\001' < "$reply" | sed '1s/^OK [0-9]* //' |
	    openssl pkey -out "$out.key" 2>/dev/null || si_fail "no key in the reply"
}

# verify3 CA LEAF HOST: openssl, NSS and GnuTLS must all accept the chain.
verify3()
{
	local ca=$1 leaf=$2 host=$3 db=$T/nss-$1 out
	openssl verify -x509_strict -purpose sslserver -verify_hostname "$host" \
	    -CAfile "$T/p/$ca-root.pem" -untrusted "$T/p/$ca-int.pem" "$leaf" \
	    > "$T/ov.out" 2>&1 || si_fail "openssl verify ($ca, $host): $(cat "$T/ov.out")"
	if [ ! -d "$db" ]; then
		mkdir -p "$db"
		certutil -N -d "sql:$db" --empty-password || si_fail "certutil -N"
		certutil -A -d "sql:$db" -n root -t "C,," -a -i "$T/p/$ca-root.pem" ||
		    si_fail "certutil -A"
	fi
	out=$(vfychain -d "sql:$db" -pp -u 1 -a "$leaf" -a "$T/p/$ca-int.pem" 2>&1) ||
	    si_fail "NSS vfychain ($ca, $host): $out"
	si_assert_match "$out" "Chain is good" "vfychain"
	cat "$leaf" "$T/p/$ca-int.pem" > "$T/chain.pem"
	out=$(certtool --verify --load-ca-certificate "$T/p/$ca-root.pem" \
	    --verify-hostname "$host" --verify-purpose 1.3.6.1.5.5.7.3.1 \
	    --infile "$T/chain.pem" 2>&1) || si_fail "GnuTLS certtool ($ca, $host): $out"
	si_assert_match "$out" "Chain verification output: Verified" "certtool"
}

# profile LEAF CA: the allowlist rows a test can read from openssl x509.
profile()
{
	local txt keyid
	txt=$(openssl x509 -in "$1" -noout -text)
	keyid=$(openssl x509 -in "$T/p/$2-int.pem" -noout -ext subjectKeyIdentifier |
	    tail -n 1 | tr -d ' :' | tr 'A-F' 'a-f')
	si_assert_match "$txt" "CA:FALSE" "basicConstraints"
	si_assert_match "$txt" "TLS Web Server Authentication" "EKU"
	si_assert_match "$txt" "URI:http://crl.test/$keyid.crl" "CRL DP names the issuing CA"
	si_assert_match "$txt" "CA Issuers - URI:http://crl.test/$keyid.crt" "AIA"
	si_assert_nomatch "$txt" "CT Precertificate|TLS Feature|Policies|OCSP - URI|origin.test/crl" \
	    "nothing copied from the origin"
	[ "$(openssl x509 -in "$1" -noout -pubkey)" != \
	  "$(openssl pkey -in "$T/p/$2-int.key" -pubout)" ] ||
	    si_fail "leaf carries the CA key"
	[ "$(openssl x509 -in "$1" -noout -pubkey)" = "$(openssl pkey -in "$1.key" -pubout)" ] ||
	    si_fail "reply key does not match the leaf"
	# notAfter - notBefore at most 30 days and an hour (clock skew).
	local nb na
	nb=$(date -d "$(openssl x509 -in "$1" -noout -startdate | cut -d= -f2)" +%s)
	na=$(date -d "$(openssl x509 -in "$1" -noout -enddate | cut -d= -f2)" +%s)
	[ $((na - nb)) -le $((30 * 86400 + 3600)) ] || si_fail "validity over 30 days"
}

case_main()
{
	local ca
	[ -x "$CERTGEN" ] || exit 77
	mkdir -p "$T/p"
	pki_ca ec || si_fail "ec CA"
	pki_ca rsa || si_fail "rsa CA"
	origin rich 20 "subjectAltName=DNS:www.shop.test,DNS:shop.test,DNS:*.cdn.shop.test,IP:192.0.2.10,email:a@shop.test" \
	    "certificatePolicies=2.23.140.1.2.1" "tlsfeature=status_request" \
	    "crlDistributionPoints=URI:http://origin.test/crl" \
	    "authorityInfoAccess=OCSP;URI:http://origin.test/ocsp"
	origin cnonly 20 "basicConstraints=CA:FALSE"
	origin eightyear 2920 "subjectAltName=DNS:old.shop.test"
	origin caflag 20 "basicConstraints=critical,CA:TRUE" "subjectAltName=DNS:ca.shop.test"
	origin ip 20 "subjectAltName=IP:192.0.2.44"
	origin idn 20 "subjectAltName=DNS:xn--bcher-kva.test"

	for ca in ec rsa; do
		mint $ca www.shop.test "$T/p/rich.pem" "$T/rich-$ca.pem"
		verify3 $ca "$T/rich-$ca.pem" www.shop.test
		verify3 $ca "$T/rich-$ca.pem" img.cdn.shop.test
		profile "$T/rich-$ca.pem" $ca
		mint $ca cnonly.test "$T/p/cnonly.pem" "$T/cnonly-$ca.pem"
		verify3 $ca "$T/cnonly-$ca.pem" cnonly.test
		mint $ca old.shop.test "$T/p/eightyear.pem" "$T/eight-$ca.pem"
		verify3 $ca "$T/eight-$ca.pem" old.shop.test
		profile "$T/eight-$ca.pem" $ca
		mint $ca ca.shop.test "$T/p/caflag.pem" "$T/caflag-$ca.pem"
		verify3 $ca "$T/caflag-$ca.pem" ca.shop.test
		profile "$T/caflag-$ca.pem" $ca
		mint $ca 192.0.2.44 "$T/p/ip.pem" "$T/ip-$ca.pem"
		openssl verify -x509_strict -verify_ip 192.0.2.44 \
		    -CAfile "$T/p/$ca-root.pem" -untrusted "$T/p/$ca-int.pem" \
		    "$T/ip-$ca.pem" >/dev/null 2>&1 || si_fail "IP leaf ($ca)"
		verify3 $ca "$T/ip-$ca.pem" 192.0.2.44
		mint $ca xn--bcher-kva.test "$T/p/idn.pem" "$T/idn-$ca.pem"
		verify3 $ca "$T/idn-$ca.pem" xn--bcher-kva.test
		mint $ca nocert.shop.test - "$T/nocert-$ca.pem"
		verify3 $ca "$T/nocert-$ca.pem" nocert.shop.test
		profile "$T/nocert-$ca.pem" $ca
		mint $ca rsa.shop.test "$T/p/rich.pem" "$T/rsaleaf-$ca.pem" --key-type rsa-2048
		verify3 $ca "$T/rsaleaf-$ca.pem" rsa.shop.test
		si_assert_match "$(openssl x509 -in "$T/rsaleaf-$ca.pem" -noout -text)" \
		    "Key Encipherment" "RSA leaf keyUsage"
	done
	si_assert_match "$(openssl x509 -in "$T/rsaleaf-rsa.pem" -noout -text)" \
	    "sha256WithRSAEncryption" "RSA CA signs with SHA-256"
	# The 8-year origin is capped to 30 days; the CA:TRUE origin is not.
	si_assert_nomatch "$(openssl x509 -in "$T/caflag-ec.pem" -noout -text)" "CA:TRUE" "CA flag"
}
