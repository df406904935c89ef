# The custom intermediate workflow (csr, signed by the organization's own
# root with openssl, install; import of an existing one) and its checks:
# a wrong key, a non-CA certificate, a CA without cRLSign, an expired
# certificate, an expired root, a foreign chain, a missing file, a
# world-readable key, an unreadable directory. Each gives one error line
# naming the file and changes nothing in the CA directory.

ca_tool()
{
	"$top_builddir/cert_helper/sslinspect-ca" -d "$T/ca" "$@"
}

# The org's own PKI, driven by "openssl ca" so dates can be set.
org_init()
{
	local o=$T/org
	mkdir -p "$o/db"
	: > "$o/db/index.txt"
	echo 1000 > "$o/db/serial"
	cat > "$o/ca.cnf" <<CNF
[ca]
default_ca = d
[d]
database = $o/db/index.txt
new_certs_dir = $o/db
serial = $o/db/serial
default_md = sha256
policy = p
unique_subject = no
[p]
commonName = supplied
organizationName = optional
[root]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[inter]
basicConstraints = critical,CA:TRUE,pathlen:1
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[nocrlsign]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign
subjectKeyIdentifier = hash
[leaf]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
subjectKeyIdentifier = hash
CNF
}

# org_sign OUT CSR EXT [SIGNER] [START END]: sign CSR (self-sign when
# SIGNER is "self") into $T/org/OUT.pem.
org_sign()
{
	local o=$T/org out=$1 csr=$2 ext=$3 signer=${4:-root} dates=""
	[ -n "${5:-}" ] && dates="-startdate $5 -enddate $6" || dates="-days 90"
	if [ "$signer" = self ]; then
		# shellcheck disable=SC2086
		openssl ca -batch -config "$o/ca.cnf" -selfsign -keyfile "$o/$out.key" \
		    -in "$csr" $dates -extensions "$ext" -out "$o/$out.pem" >/dev/null 2>&1
	else
		# shellcheck disable=SC2086
		openssl ca -batch -config "$o/ca.cnf" -cert "$o/$signer.pem" \
		    -keyfile "$o/$signer.key" -in "$csr" $dates -extensions "$ext" \
		    -out "$o/$out.pem" >/dev/null 2>&1
	fi || si_fail "openssl ca could not make $out"
}

org_key_csr()
{
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$T/org/$1.key" -out "$T/org/$1.csr" -subj "$2" 2>/dev/null
}

snapshot()
{
	(cd "$T/ca" && find . -path ./.lock -prune -o -printf '%p %m %U %s\n' | sort &&
	    find . -type f ! -name .lock -exec sha256sum {} + | sort)
}

# expect_error WHAT REGEX CMD...: CMD fails with one line matching REGEX
# and the CA directory is unchanged.
expect_error()
{
	local what=$1 re=$2 out before
	shift 2
	before=$(snapshot)
	out=$("$@" 2>&1) && si_fail "$what: accepted"
	si_assert_eq "$(printf '%s\n' "$out" | wc -l)" 1 "$what: one error line"
	si_assert_match "$out" "$re" "$what"
	si_assert_eq "$(snapshot)" "$before" "$what: CA directory changed"
}

case_main()
{
	local o=$T/org out
	[ -x "$top_builddir/cert_helper/sslinspect-ca" ] || exit 77
	org_init
	org_key_csr root "/O=Example Org/CN=Example Root"
	org_sign root "$o/root.csr" root self
	org_key_csr oldroot "/O=Example Org/CN=Expired Root"
	org_sign oldroot "$o/oldroot.csr" root self 20200101000000Z 20200201000000Z
	org_key_csr other "/O=Other/CN=Other Root"
	org_sign other "$o/other.csr" root self

	ca_tool csr --subject "/O=Example Org/OU=Proxy/CN=Example Inspection CA" \
	    --crl-url 'http://crl.example.test/{ca}.crl' >/dev/null || si_fail "csr failed"
	si_assert_eq "$(stat -c %a "$T/ca/pending/intermediate.key")" 600 "pending key mode"
	si_assert_match "$(openssl req -in "$T/ca/pending/intermediate.csr" -noout -subject)" \
	    "CN ?= ?Example Inspection CA" "CSR subject"
	openssl req -in "$T/ca/pending/intermediate.csr" -noout -verify 2>&1 |
	    grep -q 'verify OK' || si_fail "CSR self-signature"
	expect_error "bad subject" "subject" ca_tool csr --subject "CN=no slash"

	org_sign good "$T/ca/pending/intermediate.csr" inter
	org_sign nonca "$T/ca/pending/intermediate.csr" leaf
	org_sign nocrl "$T/ca/pending/intermediate.csr" nocrlsign
	org_sign expired "$T/ca/pending/intermediate.csr" inter root 20200101000000Z 20200301000000Z
	org_sign underold "$T/ca/pending/intermediate.csr" inter oldroot
	org_key_csr stranger "/O=Example Org/CN=Stranger"
	org_sign wrongkey "$o/stranger.csr" inter

	expect_error "wrong key" "wrongkey.pem: certificate does not match the key .*pending/intermediate.key" \
	    ca_tool install --cert "$o/wrongkey.pem" --chain "$o/root.pem"
	expect_error "non-CA" "nonca.pem: not a CA certificate" \
	    ca_tool install --cert "$o/nonca.pem" --chain "$o/root.pem"
	expect_error "no cRLSign" "nocrl.pem: keyUsage lacks keyCertSign or cRLSign" \
	    ca_tool install --cert "$o/nocrl.pem" --chain "$o/root.pem"
	expect_error "expired intermediate" "expired.pem: expired on 2020-03-01" \
	    ca_tool install --cert "$o/expired.pem" --chain "$o/root.pem"
	expect_error "expired root" "underold.pem: does not verify against the chain in .*oldroot.pem: certificate has expired \(depth 1\)" \
	    ca_tool install --cert "$o/underold.pem" --chain "$o/oldroot.pem"
	expect_error "foreign chain" "good.pem: does not verify against the chain in .*other.pem: unable to get local issuer" \
	    ca_tool install --cert "$o/good.pem" --chain "$o/other.pem"
	expect_error "missing file" "missing.pem: No such file" \
	    ca_tool install --cert "$o/missing.pem" --chain "$o/root.pem"
	expect_error "no intermediate yet" "intermediate.pem: no intermediate yet" \
	    ca_tool rotate

	ca_tool install --cert "$o/good.pem" --chain "$o/root.pem" >/dev/null ||
	    si_fail "install of a good intermediate failed"
	[ -e "$T/ca/pending/intermediate.key" ] && si_fail "install left the pending key"
	cmp -s "$T/ca/root.pem" <(openssl x509 -in "$o/root.pem") || si_fail "root.pem is not the org root"
	ca_tool rotate >/dev/null || si_fail "rotate under the installed intermediate failed"
	openssl verify -CAfile "$o/root.pem" -untrusted "$T/ca/squid-bundle.pem" \
	    "$T/ca/squid-bundle.pem" >/dev/null 2>&1 || si_fail "bundle does not chain to the org root"

	chmod 0644 "$T/ca/intermediate.key"
	expect_error "world-readable intermediate key" "intermediate.key: private key is world-readable" \
	    ca_tool rotate
	chmod 0640 "$T/ca/intermediate.key"
	expect_error "group-readable intermediate key" "intermediate.key: private key is accessible to group" \
	    ca_tool crl
	chmod 0600 "$T/ca/intermediate.key"

	# import into a second directory.
	cp "$T/ca/intermediate.key" "$o/adopt.key"
	chmod 0604 "$o/adopt.key"
	out=$("$top_builddir/cert_helper/sslinspect-ca" -d "$T/ca2" import --cert "$o/good.pem" \
	    --key "$o/adopt.key" --chain "$o/root.pem" 2>&1) && si_fail "world-readable key imported"
	si_assert_match "$out" "adopt.key: private key is world-readable" "import refuses a world-readable key"
	[ -e "$T/ca2/intermediate.key" ] && si_fail "refused import wrote the key"
	chmod 0600 "$o/adopt.key"
	"$top_builddir/cert_helper/sslinspect-ca" -d "$T/ca2" import --cert "$o/good.pem" \
	    --key "$o/adopt.key" --chain "$o/root.pem" >/dev/null || si_fail "import failed"
	si_assert_eq "$(stat -c %a "$T/ca2/intermediate.key")" 600 "imported key mode"

	# A directory the user cannot read.
	chmod 0700 "$T/ca"
	out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    "$top_builddir/cert_helper/sslinspect-ca" -d "$T/ca" status 2>&1) &&
	    si_fail "status on an unreadable directory succeeded"
	si_assert_match "$out" "^sslinspect-ca: $T/ca/.lock: Permission denied$" "unreadable directory"
	out=$("$top_builddir/cert_helper/sslinspect-ca" -d "$T/nonexistent" status 2>&1) &&
	    si_fail "status on a missing directory succeeded"
	si_assert_match "$out" "nonexistent: No such file or directory" "missing directory"
}
