# What a client sees of the bump port's own TLS, through the proxy as a
# browser sees it: the chain is the minted leaf, the issuing CA and the
# intermediate, never the root (nor any self-signed certificate); TLS 1.1
# and a CBC suite are refused; and testssl.sh (Debian's package) finds
# nothing weak in the protocols, the cipher categories, forward secrecy
# and the vulnerability checks that apply to a proxy (LOW or worse fails).
#
# testssl.sh 3.0 opens its raw sockets to the target directly even with
# --proxy (it replaces the proxied descriptor with a direct one), which
# would test the origin instead. So it runs in a network namespace of its
# own, whose only way out is the proxy port, relayed over a UNIX socket in
# the run directory: every probe it makes goes through Squid.

case_main()
{
	local chain n subj iss out code tool=/usr/bin/testssl
	si_origin_start
	si_squid_start
	si_assert_nomatch "$(cat "$T/log/squid-parse.log")" "Unknown TLS option" \
	    "Squid takes every TLS option of the port"

	chain=$(openssl s_client -proxy "127.0.0.1:$PROXY_PORT" \
	    -connect "www.origin.test:$ORIGIN_PORT" -servername www.origin.test \
	    -showcerts < /dev/null 2>/dev/null)
	n=$(printf '%s\n' "$chain" | grep -c -- '-----BEGIN CERTIFICATE-----')
	si_assert_eq "$n" 3 "certificates sent: leaf, issuing CA, intermediate"
	while read -r subj && read -r iss; do
		[ "${subj#*s:}" != "${iss#*i:}" ] || si_fail "a self-signed certificate is sent: $subj"
	done < <(printf '%s\n' "$chain" | grep -E '^ *[0-9]+ s:|^ +i:')
	printf '%s\n' "$chain" | grep -q "$(sed -n 2p "$SI_ORG_ROOT")" &&
	    si_fail "the root is sent"
	# Refused at the ClientHello (the snippet's refused:tls-version, case
	# 012), before any handshake: no certificate, no cipher.
	out=$(openssl s_client -proxy "127.0.0.1:$PROXY_PORT" -connect "www.origin.test:$ORIGIN_PORT" \
	    -servername www.origin.test -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' < /dev/null 2>&1) &&
	    si_fail "a TLS 1.1 client got a handshake: $out"
	si_assert_nomatch "$out" "BEGIN CERTIFICATE|Cipher is [A-Z]" "TLS 1.1 refused"
	out=$(openssl s_client -proxy "127.0.0.1:$PROXY_PORT" -connect "www.origin.test:$ORIGIN_PORT" \
	    -servername www.origin.test -tls1_2 -cipher ECDHE-ECDSA-AES128-SHA < /dev/null 2>&1)
	si_assert_match "$out" "handshake failure" "a CBC suite refused"

	[ -x "$tool" ] || { si_log "testssl.sh is not installed (scripts/install-deps installs it)"; exit 77; }
	unshare -n true 2>/dev/null || { si_log "cannot make a network namespace (needs root)"; exit 77; }
	si_spawn relay python3 "$top_srcdir/tests/integration/relay.py" \
	    "unix:$T/run/proxy.sock" "tcp:127.0.0.1:$PROXY_PORT"
	for n in $(seq 1 50); do [ -S "$T/run/proxy.sock" ] && break; sleep 0.1; done
	code=0
	# shellcheck disable=SC2016
	unshare -n bash -c '
		ip link set lo up || exit 90
		python3 "$1" "tcp:127.0.0.1:$2" "unix:$3" > /dev/null 2>&1 &
		for i in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null && break; sleep 0.1; done
		cd "$4" && timeout 600 "$5" --quiet --color 0 --warnings off \
		    --proxy "127.0.0.1:$2" --ip 127.0.0.1 --nodns none --add-ca "$6" \
		    --jsonfile "$4/testssl.json" \
		    -p -s -f -H -I -R -C -O -Z -W -F -J -A -L -4 -BB \
		    "https://www.origin.test:$7/" > "$4/testssl.txt" 2>/dev/null
		rc=$?
		kill %1
		exit $rc' sh "$top_srcdir/tests/integration/relay.py" "$PROXY_PORT" \
	    "$T/run/proxy.sock" "$T/log" "$tool" "$SI_ORG_ROOT" "$ORIGIN_PORT" || code=$?
	[ -s "$T/log/testssl.json" ] || si_fail "testssl.sh wrote no results (exit $code)"
	out=$(python3 - "$T/log/testssl.json" <<'PY'
import json, sys
findings = json.load(open(sys.argv[1]))
seen = {f["id"]: f for f in findings}
bad = [f for f in findings if f["severity"] in ("LOW", "MEDIUM", "HIGH", "CRITICAL", "FATAL")]
for f in bad:
    print("weak: %s %s: %s" % (f["severity"], f["id"], f["finding"]))
# The scan must have run through the proxy, not stopped early. testssl.sh
# 3.2 (Debian 13) renamed some results of 3.0 (Debian 12): either name.
for wants, text in ((("TLS1_2",), "offered"), (("TLS1_3",), "offered"),
                    (("TLS1_1",), "not offered"),
                    (("cipherlist_AVERAGE", "cipherlist_OBSOLETED"), "not offered"),
                    (("cipherlist_STRONG", "cipherlist_STRONG_FS"), "offered"),
                    (("PFS", "FS"), "offered"), (("heartbleed",), "not vulnerable")):
    want = next((w for w in wants if w in seen), wants[0])
    if want not in seen or not seen[want]["finding"].startswith(text):
        print("missing: %s should be '%s', is '%s'" % (want, text, seen.get(want, {}).get("finding")))
PY
	) || si_fail "reading testssl.sh's results"
	[ -z "$out" ] || si_fail "testssl.sh against the bump port: $out"
}
