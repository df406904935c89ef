# Issuing CAs that cannot vouch for do-not-inspect sites: a CA directory
# set up with --exclude-list puts the listed domains into each issuing CA
# as excluded DNS subtrees of a critical nameConstraints. Leaves forced
# with openssl (bypassing certgen, as a bug or an attacker holding the
# issuing key would) for excluded names are refused by OpenSSL, NSS
# (vfychain), GnuTLS (certtool) and Chromium (a Python TLS server on
# loopback serving each leaf), while leaves for other names are accepted;
# Squid still bumps a site that is not excluded through the constrained
# issuing CA and splices a listed one, and a site whose certificate also
# names an excluded domain gets a leaf without that name, which verifies
# (certgen leaves out what the CA may not vouch for); an edited list
# applies from the next rotate, a bad one stops it; a CA without the
# setting gets no extension.

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

ca_tool()
{
	"$top_builddir/cert_helper/sslinspect-ca" -d "$T/ca" "$@"
}

# Forced leaves: the name, and whether clients must refuse it. A bare list
# entry (pay.example.test) excludes its subdomains too; notbank.origin.test
# only ends like an excluded name.
NC_LEAVES="
www.bank.origin.test	refused
bank.origin.test	refused
pay.example.test	refused
a.pay.example.test	refused
www.origin.test		accepted
notbank.origin.test	accepted
"

# nc_leaf NAME: a server leaf for NAME signed by the current issuing CA
# with openssl directly: $T/leaf/NAME.{pem,key}, NAME.full.pem (leaf,
# issuing CA, intermediate: what a server sends).
nc_leaf()
{
	local d=$T/leaf name=$1 kid
	kid=$(cat "$T/ca/current")
	mkdir -p "$d"
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$d/$name.key" -out "$d/$name.csr" -subj "/CN=$name" \
	    2>/dev/null || si_fail "request for the forced leaf $name"
	printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:%s\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' \
	    "$name" > "$d/$name.ext"
	openssl x509 -req -in "$d/$name.csr" -CA "$T/ca/issuing/$kid.pem" \
	    -CAkey "$T/ca/issuing/$kid.key" -set_serial "0x$(openssl rand -hex 12)" \
	    -days 2 -sha256 -extfile "$d/$name.ext" -out "$d/$name.pem" 2>/dev/null ||
	    si_fail "cannot force a leaf for $name with the issuing CA"
	cat "$d/$name.pem" "$T/ca/issuing/$kid.pem" "$T/ca/intermediate.pem" \
	    > "$d/$name.full.pem"
}

# The loopback TLS server for Chromium: one port, the leaf chosen by SNI.
nc_server_try()
{
	local args=() name want
	while read -r name want; do
		[ -n "$name" ] || continue
		args+=("$name=$T/leaf/$name.full.pem=$T/leaf/$name.key")
	done <<< "$NC_LEAVES"
	si_spawn ncserver python3 "$T/bin/ncserver.py" "$NCSERVER_PORT" "${args[@]}"
	si_wait_listen "$NCSERVER_PORT" ncserver 30
}

nc_server_start()
{
	cat > "$T/bin/ncserver.py" <<'PY'
import http.server, ssl, sys
port, ctxs = int(sys.argv[1]), {}
for arg in sys.argv[2:]:
    name, chain, key = arg.split('=')
    ctxs[name] = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctxs[name].load_cert_chain(chain, key)
first = next(iter(ctxs.values()))
def pick(sock, name, ctx):
    if name in ctxs:
        sock.context = ctxs[name]
first.sni_callback = pick
class Page(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        host = self.headers.get('Host', '').split(':')[0]
        body = ('<html><body><p>forced leaf served: %s</p></body></html>\n' % host).encode()
        self.send_response(200)
        self.send_header('Content-Type', 'text/html')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)
srv = http.server.ThreadingHTTPServer(('127.0.0.1', port), Page)
srv.socket = first.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
PY
	si_port NCSERVER_PORT
	si_start_retry ncserver NCSERVER_PORT "" nc_server_try
}

# nc_chromium NAME: headless Chromium loads https://NAME:port/ from the
# loopback server (every name resolves to 127.0.0.1, no proxy), trusting
# the org root in its NSS database; "accepted" when the page arrived,
# "refused (net::ERR_...)" when a certificate error stopped it.
nc_chromium()
{
	local name=$1 pgid err
	HOME=$T/home setsid timeout -k 5 60 "$CHROMIUM" --headless --no-sandbox \
	    --disable-gpu --disable-quic --no-first-run \
	    --disable-background-networking --disable-component-update \
	    --disable-sync --user-data-dir="$T/chromium-$name" \
	    --host-resolver-rules="MAP * 127.0.0.1" \
	    --dump-dom "https://$name:$NCSERVER_PORT/" \
	    > "$T/dom-$name.html" 2> "$T/log/chromium-$name.err" &
	pgid=$!
	wait "$pgid" || true
	kill -KILL -- "-$pgid" 2>/dev/null || true
	if grep -q "forced leaf served: $name<" "$T/dom-$name.html"; then
		echo accepted
	elif err=$(grep -o 'net::ERR_CERT_[A-Z_]*' "$T/log/chromium-$name.err" | head -n 1) &&
	    [ -n "$err" ]; then
		echo "refused ($err)"
	else
		echo "neither page nor certificate error: $(tail -n 3 "$T/log/chromium-$name.err" | tr '\n' ' ')"
	fi
}

# nc_openssl/nc_nss/nc_gnutls NAME: "accepted", or "refused (reason)".
nc_openssl()
{
	local out
	if out=$(openssl verify -x509_strict -CAfile "$SI_ORG_ROOT" \
	    -untrusted "$T/untrusted.pem" "$T/leaf/$1.pem" 2>&1); then
		echo accepted
	else
		echo "refused ($(printf '%s\n' "$out" | sed -n 's/^error [0-9]* at [0-9]* depth lookup: //p' | head -n 1))"
	fi
}

nc_nss()
{
	local out
	out=$(vfychain -d "sql:$T/home/.pki/nssdb" -u 1 -a "$T/leaf/$1.pem" \
	    -a "$T/issuing.pem" -a "$T/ca/intermediate.pem" 2>&1)
	case $out in
	*"Chain is good!"*) echo accepted ;;
	*"ERROR -8080"*) echo "refused (SEC_ERROR_CERT_NOT_IN_NAME_SPACE)" ;;
	# NSS 3.110 (Debian 13) reports the same refusal at the issuing CA as
	# SEC_ERROR_INVALID_ARGS; the leaves it does not exclude pass in the
	# same run, so that is the constraint and not a broken chain.
	*"CERT 1. "*"ERROR -8187"*) echo "refused (SEC_ERROR_INVALID_ARGS at the issuing CA)" ;;
	*) echo "unexpected: $(printf '%s' "$out" | tail -n 2 | tr '\n' ' ')" ;;
	esac
}

nc_gnutls()
{
	local out
	cat "$T/leaf/$1.pem" "$T/issuing.pem" "$T/ca/intermediate.pem" > "$T/leaf/$1.gnutls.pem"
	out=$(certtool --verify --load-ca-certificate "$SI_ORG_ROOT" \
	    --infile "$T/leaf/$1.gnutls.pem" 2>&1 | grep 'Chain verification output')
	case $out in
	*"violates the signer's constraints"*) echo "refused (signer's constraints)" ;;
	*"Verified."*) echo accepted ;;
	*) echo "unexpected: $out" ;;
	esac
}

case_main()
{
	local kid name want client got nc row table="" served out sans
	[ -x "$top_builddir/cert_helper/sslinspect-ca" ] &&
	    [ -x "$top_builddir/cert_helper/sslinspect-certgen" ] || exit 77
	[ -x "$CHROMIUM" ] && command -v vfychain >/dev/null &&
	    command -v certutil >/dev/null && command -v certtool >/dev/null ||
	    exit 77

	# The CA, set up with the list (comments, both forms, mixed case).
	printf '# do not inspect\n.Bank.origin.test\n\npay.example.test   # bare: the host\n' \
	    > "$T/etc/nc-list.txt"
	ca_tool demo-init --org "sslinspect test org" --squid-user proxy \
	    --crl-url 'http://crl.sslinspect.test/{ca}.crl' \
	    --exclude-list "$T/etc/nc-list.txt" >/dev/null || si_fail "demo-init --exclude-list failed"
	si_assert_match "$(cat "$T/ca/ca.conf")" "exclude-list $T/etc/nc-list.txt" \
	    "ca.conf keeps the exclude-list"
	out=$(ca_tool rotate) || si_fail "rotate with an exclude-list failed"
	si_assert_match "$out" "excludes 2 domains of $T/etc/nc-list.txt" "rotate says what it excluded"
	SI_ORG_ROOT=$T/ca/root.pem
	kid=$(cat "$T/ca/current")
	cp "$T/ca/issuing/$kid.pem" "$T/issuing.pem"
	cat "$T/issuing.pem" "$T/ca/intermediate.pem" > "$T/untrusted.pem"
	nc=$(openssl x509 -in "$T/issuing.pem" -noout -ext nameConstraints)
	si_assert_eq "$(printf '%s\n' "$nc" | tr -d ' ' | tr '\n' ' ')" \
	    "X509v3NameConstraints:critical Excluded: DNS:bank.origin.test DNS:pay.example.test " \
	    "the issuing CA's nameConstraints"
	openssl verify -x509_strict -CAfile "$SI_ORG_ROOT" -untrusted "$T/ca/intermediate.pem" \
	    "$T/issuing.pem" >/dev/null || si_fail "the constrained issuing CA does not verify (strict)"

	# Forced leaves, and four clients trusting the org root.
	mkdir -p "$T/home/.pki/nssdb"
	certutil -N -d "sql:$T/home/.pki/nssdb" --empty-password || si_fail "certutil -N"
	certutil -A -d "sql:$T/home/.pki/nssdb" -n "sslinspect org root" -t "C,," \
	    -a -i "$SI_ORG_ROOT" || si_fail "certutil -A"
	while read -r name want; do
		[ -n "$name" ] && nc_leaf "$name"
	done <<< "$NC_LEAVES"
	nc_server_start
	while read -r name want; do
		[ -n "$name" ] || continue
		row=$(printf '%-22s %-8s' "$name" "$want")
		for client in openssl nss gnutls chromium; do
			got=$("nc_$client" "$name")
			row="$row | $client: $got"
			case $got in
			"$want"*) ;;
			*) si_fail "$client: the forced leaf for $name should be $want, got: $got" ;;
			esac
		done
		table="$table$row
"
	done <<< "$NC_LEAVES"
	printf '%s' "$table" > "$T/log/clients.txt"
	while IFS= read -r row; do si_log "$row"; done < "$T/log/clients.txt"
	si_stop_one ncserver

	# Squid bumps a site that is not excluded with the constrained CA, and
	# splices a listed one (the origin's own certificate).
	SI_EXTRA_HOSTS="www.bank.origin.test shared.origin.test"
	SI_NO_INSPECT=$(printf '.bank.origin.test\npay.example.test')
	si_start_all
	printf 'hello\n' > "$T/www/hello.txt"
	chmod a+r "$T/www/hello.txt"
	si_assert_eq "$(si_curl "$(si_url /hello.txt)")" hello "bumped request for www.origin.test"
	si_served_cert www.origin.test > "$T/served.pem"
	[ -s "$T/served.pem" ] || si_fail "no leaf served for www.origin.test"
	served=$(openssl x509 -in "$T/served.pem" -noout -issuer)
	si_assert_eq "${served#issuer=}" "$(openssl x509 -in "$T/issuing.pem" -noout -subject | sed 's/^subject=//')" \
	    "the bumped leaf comes from the constrained issuing CA"
	openssl verify -x509_strict -CAfile "$SI_ORG_ROOT" -untrusted "$T/untrusted.pem" \
	    "$T/served.pem" >/dev/null 2>&1 || si_fail "the bumped leaf does not verify under the constrained CA"
	si_wait_log "$T/log/access.log" "GET https://www.origin.test:$ORIGIN_PORT/hello.txt" "bumped request logged"
	served=$(si_served_cert www.bank.origin.test | openssl x509 -noout -issuer 2>/dev/null)
	si_assert_match "$served" "CN ?= ?Test Web Root" "www.bank.origin.test is spliced: the origin's own certificate"
	si_wait_log "$T/log/access.log" "CONNECT www.bank.origin.test:$ORIGIN_PORT" "spliced CONNECT logged"

	# A site whose certificate also names an excluded domain (shared with
	# a listed site): certgen leaves that name out of the leaf, so the
	# leaf verifies for the site (with the name copied, every client
	# refused the whole leaf).
	si_stop_one origin
	SI_ORIGIN_PORT=$ORIGIN_PORT SI_ORIGIN_NAMES="shared.origin.test www.bank.origin.test" si_origin_start
	si_assert_eq "$(si_curl "$(si_url /hello.txt shared.origin.test)")" hello \
	    "a site sharing its certificate with an excluded domain is bumped"
	si_served_cert shared.origin.test > "$T/shared.pem"
	[ -s "$T/shared.pem" ] || si_fail "no leaf served for shared.origin.test"
	sans=$(openssl x509 -in "$T/shared.pem" -noout -ext subjectAltName)
	si_assert_match "$sans" "DNS:shared.origin.test" "the leaf names the site"
	si_assert_nomatch "$sans" "bank" "the leaf leaves the excluded name out"
	openssl verify -x509_strict -CAfile "$SI_ORG_ROOT" -untrusted "$T/untrusted.pem" \
	    "$T/shared.pem" >/dev/null 2>&1 || si_fail "the shared site's leaf does not verify"

	# The list is read at each rotate: an added name applies from the next.
	printf 'late.example.test\n' >> "$T/etc/nc-list.txt"
	si_assert_nomatch "$(openssl x509 -in "$T/issuing.pem" -noout -ext nameConstraints)" \
	    "late.example.test" "the current issuing CA is unchanged"
	ca_tool rotate >/dev/null || si_fail "rotate after editing the list failed"
	si_assert_match "$(openssl x509 -in "$T/ca/issuing/$(cat "$T/ca/current").pem" -noout -ext nameConstraints)" \
	    "DNS:late.example.test" "the next issuing CA excludes the added name"
	kid=$(cat "$T/ca/current")
	while IFS='	' read -r name want; do
		printf '%s\n' "$name" >> "$T/etc/nc-list.txt"
		out=$(ca_tool rotate 2>&1) && si_fail "rotate took a list with $name"
		si_assert_match "$out" "$T/etc/nc-list.txt, line 6: .*$want" "error for $name"
		si_assert_eq "$(cat "$T/ca/current")" "$kid" "a refused list leaves the current issuing CA"
		sed -i '$d' "$T/etc/nc-list.txt"
	done <<'ROWS'
*.wild.example.test	wildcard
192.0.2.7	IP address
bücher.example	A-label
ROWS

	# Without the setting: no extension, and ca.conf says none.
	"$top_builddir/cert_helper/sslinspect-ca" -d "$T/ca-plain" demo-init >/dev/null &&
	    "$top_builddir/cert_helper/sslinspect-ca" -d "$T/ca-plain" rotate >/dev/null ||
	    si_fail "a CA without exclude-list"
	si_assert_match "$(cat "$T/ca-plain/ca.conf")" "exclude-list none" "the default is none"
	openssl x509 -in "$T/ca-plain/issuing/$(cat "$T/ca-plain/current").pem" -noout -text \
	    > "$T/plain.txt"
	si_assert_nomatch "$(cat "$T/plain.txt")" "Name Constraints" "no nameConstraints without exclude-list"
}
