# Rotating the issuing CA under a running Squid: curl and Chromium (trusting
# the org root through its NSS database) work before and after; a loop of
# new TLS handshakes through the proxy runs while "sslinspect-ca rotate
# --reload 'squid -k reconfigure'" happens and every one must succeed; after
# the rotation clients get leaves from the new issuing CA.
#
# Squid 5.7 closes and reopens its listening sockets during a reconfigure:
# a TCP connect in that window is refused before any TLS starts. Those are
# counted and reported (and bounded); every connection that was accepted
# must complete its handshake and request.
#
# Squid's own security_file_certgen (used until sslinspect-certgen is built)
# keys its disk cache without the CA, so it would keep serving leaves of the
# old issuing CA; for it the reload command also points the helper at a
# fresh database. sslinspect-certgen keys its cache by CA and needs nothing.

ca_tool()
{
	"$top_builddir/cert_helper/sslinspect-ca" -d "$T/ca" "$@"
}

# leaf_issuer: the key id of the CA that signed the leaf the proxy serves.
leaf_issuer()
{
	si_served_cert www.origin.test | openssl x509 -noout -ext authorityKeyIdentifier |
	    tail -1 | sed 's/keyid://' | tr -d ' :' | tr A-F a-f
}

chromium_get()
{
	HOME=$T/home timeout 60 /usr/bin/chromium --headless --no-sandbox \
	    --disable-gpu --disable-quic --no-first-run \
	    --disable-background-networking --disable-component-update \
	    --disable-sync --user-data-dir="$T/chromium-$1" \
	    --proxy-server="http://127.0.0.1:$PROXY_PORT" \
	    --dump-dom "$(si_url /index.html)" 2>"$T/log/chromium-$1.err"
}

# handshake_loop: new connections (one handshake each) until $T/stop
# exists; one status line per attempt in $T/loop.txt.
handshake_loop()
{
	local code
	while [ ! -e "$T/stop" ]; do
		code=$(si_curl -o /dev/null -w '%{http_code}' "$(si_url /hello.txt)" 2>>"$T/log/loop.err") ||
		    code="curl-exit-$?"
		echo "$code" >> "$T/loop.txt"
	done
}

case_main()
{
	local kid1 kid2 dom loop_pid total bad refused reload
	[ -x "$top_builddir/cert_helper/sslinspect-ca" ] || exit 77
	[ -x /usr/bin/chromium ] && command -v certutil >/dev/null || exit 77
	si_start_all
	printf 'hello\n' > "$T/www/hello.txt"
	mkdir -p "$T/home/.pki/nssdb"
	certutil -N -d "sql:$T/home/.pki/nssdb" --empty-password || si_fail "certutil -N"
	certutil -A -d "sql:$T/home/.pki/nssdb" -n "sslinspect org root" -t "C,," \
	    -i "$SI_ORG_ROOT" || si_fail "certutil -A"

	kid1=$(cat "$T/ca/current")
	si_assert_eq "$(si_curl "$(si_url /hello.txt)")" "hello" "curl before rotation"
	si_assert_eq "$(leaf_issuer)" "$kid1" "leaf issued by the first issuing CA"
	dom=$(chromium_get before) || si_fail "Chromium before rotation failed: $(tail -3 "$T/log/chromium-before.err")"
	si_assert_match "$dom" "sslinspect test origin" "Chromium page before rotation"

	reload="$SQUID -k reconfigure -f $T/etc/squid.conf"
	case $CERTGEN_PROGRAM in
	*security_file_certgen*)
		reload="$SQUID_LIBEXECDIR/security_file_certgen -c -s $T/ssl_db.2 -M 4MB >/dev/null &&
		    chown -R proxy $T/ssl_db.2 &&
		    sed -i 's|-s $T/ssl_db |-s $T/ssl_db.2 |' $T/etc/conf.d/sslinspect-bump.conf &&
		    $reload" ;;
	esac
	: > "$T/loop.txt"
	handshake_loop &
	loop_pid=$!
	sleep 2
	ca_tool rotate --reload "$reload" \
	    > "$T/log/rotate.out" 2>&1 || si_fail "rotate failed: $(cat "$T/log/rotate.out")"
	sleep 4
	touch "$T/stop"
	wait "$loop_pid"
	total=$(wc -l < "$T/loop.txt")
	refused=$(grep -c '^curl-exit-7$' "$T/loop.txt")
	bad=$(grep -v '^curl-exit-7$' "$T/loop.txt" | grep -vc '^200$')
	si_log "connections during rotation: $total, handshake failures: $bad, refused while Squid reopened its port: $refused"
	[ "$total" -ge 20 ] || si_fail "only $total handshakes ran during the rotation"
	[ "$refused" -le 5 ] || si_fail "$refused connections refused during the reconfigure"
	[ "$bad" = 0 ] || si_fail "$bad of $total handshakes failed during the rotation: $(sort "$T/loop.txt" | uniq -c | tr '\n' ' ') $(tail -3 "$T/log/loop.err")"

	kid2=$(cat "$T/ca/current")
	[ "$kid2" != "$kid1" ] || si_fail "rotate kept the issuing CA"
	si_assert_eq "$(leaf_issuer)" "$kid2" "leaf issued by the new issuing CA"
	si_served_cert www.origin.test > "$T/leaf.pem"
	openssl verify -CAfile "$SI_ORG_ROOT" -untrusted "$T/ca/squid-bundle.pem" \
	    "$T/leaf.pem" >/dev/null || si_fail "new leaf does not chain to the org root"
	si_assert_eq "$(si_curl "$(si_url /hello.txt)")" "hello" "curl after rotation"
	dom=$(chromium_get after) || si_fail "Chromium after rotation failed: $(tail -3 "$T/log/chromium-after.err")"
	si_assert_match "$dom" "sslinspect test origin" "Chromium page after rotation"
}
