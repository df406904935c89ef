# The admin's choices for what cannot be inspected as usual, each made by
# uncommenting a line of the bump snippet, each with its reason in
# access.log:
#  - TLS without SNI to an address (CONNECT to an IP): bumped by default
#    (bumped:no-sni), or refused (refused:no-sni), or spliced
#    (spliced:no-sni), or blocked with the service's page (blocked:no-sni,
#    rule tls:no-sni in the audit log; the origin never sees the request);
#  - a CONNECT tunnel that carries no TLS: refused by default (case 012),
#    or let through uninspected (tunneled:not-tls);
#  - a client that offers only TLS 1.1: refused by default (case 012,
#    refused:tls-version), or spliced (spliced:tls-version) to an origin
#    that speaks TLS 1.1 (openssl s_server);
#  - an origin that speaks only TLS 1.1, to a client of today: Squid's
#    error page (ERR_SECURE_CONNECT_FAIL), the only choice (its version
#    is known only after the ClientHello has been answered).

SI_NEEDS_MODULE=1
SI_ORIGIN_NAMES="www.origin.test"
# Reached by its address, the origin must be valid for it, or it is
# refused as the wrong host before any request is made: the validator
# reads the IP SAN, Squid itself only the common name and DNS names
# (Ssl::checkX509ServerValidity), so the address is in both.
SI_ORIGIN_SANS="IP:127.0.0.1"

# no_sni: what a client that CONNECTs to the origin's address and sends no
# SNI gets: spliced, bumped or refused.
no_sni()
{
	local out
	out=$(openssl s_client -proxy "127.0.0.1:$PROXY_PORT" -connect "127.0.0.1:$ORIGIN_PORT" \
	    -noservername < /dev/null 2>/dev/null | openssl x509 -noout -issuer 2>/dev/null)
	case $out in
	*"Test Web Root"*) echo spliced ;;
	*"sslinspect test org"*) echo bumped ;;
	"") echo refused ;;
	*) echo "other: $out" ;;
	esac
}

# plain_http: plain HTTP inside a CONNECT tunnel to the origin; prints what
# came back through it ("no answer", or the origin's first line).
plain_http()
{
	python3 - "$PROXY_PORT" "$ORIGIN_PORT" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
t = b"www.origin.test:" + sys.argv[2].encode()
s.sendall(b"CONNECT " + t + b" HTTP/1.1\r\nHost: " + t + b"\r\n\r\n")
s.recv(4096)
s.sendall(b"GET / HTTP/1.1\r\nHost: www.origin.test\r\nConnection: close\r\n\r\n")
body = b""
try:
    while True:
        d = s.recv(65536)
        if not d:
            break
        body += d
except (socket.timeout, ConnectionResetError):
    pass
print(body.split(b"\r\n")[0].decode() if body else "no answer")
PY
}

# restart SED: Squid again, with the sed script SED applied to its bump
# snippet (the admin's edit).
restart()
{
	si_stop_one squid
	SI_BUMP_SED=$1
	si_squid_start
}

# block_page: the "blocked with a page" choice for no SNI. curl sends no
# SNI to an address (RFC 6066), so https://127.0.0.1 is such a client.
block_page()
{
	local got code
	restart 's/^#\(ssl_bump bump sslinspect_no_sni sslinspect_no_sni_blocked\)/\1/'
	: > "$T/log/origin-access.log"
	code=$(si_curl -o "$T/tmp/nosni.html" -w '%{http_code}' \
	    "https://127.0.0.1:$ORIGIN_PORT/index.html")
	got=$(cat "$T/tmp/nosni.html")
	si_log "block page uncommented, IP without SNI: HTTP $code"
	si_assert_eq "$code" 403 "IP without SNI, block chosen: the page"
	si_assert_match "$got" "no SNI" "the page says why"
	si_assert_match "$got" "tls:no-sni" "the page names the rule"
	got=$(si_curl -H 'Accept: application/json' "https://127.0.0.1:$ORIGIN_PORT/x")
	si_assert_match "$got" '"rule":"tls:no-sni"' "the JSON answer names the rule"
	si_wait_log "$T/log/audit.log" '"rule":"tls:no-sni"' "the audit record"
	si_wait_log "$T/log/access.log" \
	    " GET https://127\.0\.0\.1:$ORIGIN_PORT/index\.html .* blocked:no-sni [^ ]+$" \
	    "the blocked request, noted"
	si_assert_eq "$(wc -l < "$T/log/origin-access.log")" 0 "the origin saw no request"
	# A site reached by its name is not affected.
	code=$(si_curl -o /dev/null -w '%{http_code}' "$(si_url /index.html)")
	si_assert_eq "$code" 200 "a name with SNI still loads"

	# The same choice under an admin's own ICAP lines, which do not pass the
	# note on: the service allows, and Squid's adapted_http_access denies.
	si_stop_one squid
	SI_ICAP_HANDWRITTEN=1 si_squid_start
	: > "$T/log/origin-access.log"
	code=$(si_curl -o "$T/tmp/nosni.html" -w '%{http_code}' \
	    "https://127.0.0.1:$ORIGIN_PORT/index.html")
	si_log "block page uncommented, own ICAP lines, IP without SNI: HTTP $code"
	si_assert_eq "$code" 403 "blocked without the ICAP snippet too"
	si_assert_match "$(cat "$T/tmp/nosni.html")" "ERR_ACCESS_DENIED|Access Denied" "Squid's own page"
	si_assert_eq "$(wc -l < "$T/log/origin-access.log")" 0 "the origin saw no request"
}

case_main()
{
	local got
	si_start_all
	got=$(no_sni)
	si_log "default, IP CONNECT without SNI: $got"
	si_assert_eq "$got" bumped "IP CONNECT without SNI, by default"
	si_wait_log "$T/log/access.log" \
	    " CONNECT 127\.0\.0\.1:$ORIGIN_PORT .* bumped:no-sni -$" "the bumped no-SNI tunnel, noted"

	# An origin that speaks only TLS 1.1, by default: a modern client
	# gets Squid's page (the origin side refuses below 1.2).
	si_port OLD_PORT
	si_spawn old-origin openssl s_server -accept "127.0.0.1:$OLD_PORT" -tls1_1 \
	    -cipher 'DEFAULT:@SECLEVEL=0' -cert "$T/pki/origin.pem" -key "$T/pki/origin.key" -www
	si_wait_port "$OLD_PORT" old-origin
	got=$(si_curl -w '\n%{http_code}' "https://www.origin.test:$OLD_PORT/" 2>&1)
	si_log "default, a TLS 1.1 origin: HTTP ${got##*$'\n'}"
	si_assert_eq "${got##*$'\n'}" 503 "a TLS 1.1 origin: Squid's page"
	si_assert_match "$got" "ERR_SECURE_CONNECT_FAIL|secure connection" "the page says the secure connection failed"
	si_wait_log "$T/log/access.log" \
	    " GET https://www\.origin\.test:$OLD_PORT/ .* ERR_SECURE_CONNECT_FAIL/" "the refused old origin, noted"

	restart 's/^#\(ssl_bump terminate sslinspect_no_sni \)/\1/'
	got=$(no_sni)
	si_log "terminate uncommented: $got"
	si_assert_eq "$got" refused "IP CONNECT without SNI, terminate chosen"
	si_wait_log "$T/log/access.log" \
	    " CONNECT 127\.0\.0\.1:$ORIGIN_PORT .* refused:no-sni -$" "the refused no-SNI tunnel, noted"

	block_page

	restart 's/^#\(ssl_bump splice sslinspect_no_sni \)/\1/; s/^#\(on_unsupported_protocol tunnel \)/\1/; s/^#\(ssl_bump splice sslinspect_old_tls \)/\1/'
	got=$(no_sni)
	si_log "splice uncommented: $got"
	si_assert_eq "$got" spliced "IP CONNECT without SNI, splice chosen"
	si_wait_log "$T/log/access.log" \
	    " CONNECT 127\.0\.0\.1:$ORIGIN_PORT .* spliced:no-sni -$" "the spliced no-SNI tunnel, noted"
	# A name without SNI is not affected: the lists decide, and bump.
	got=$(openssl s_client -proxy "127.0.0.1:$PROXY_PORT" -connect "www.origin.test:$ORIGIN_PORT" \
	    -noservername < /dev/null 2>/dev/null | openssl x509 -noout -issuer 2>/dev/null)
	si_assert_match "$got" "sslinspect test org" "a named CONNECT without SNI is still bumped"

	# Not TLS, tunnel chosen: the origin (nginx, TLS only) gets the plain
	# request and says so.
	got=$(plain_http) || si_fail "plain HTTP through CONNECT: client failed"
	si_log "tunnel uncommented, plain HTTP in a CONNECT tunnel: $got"
	si_assert_match "$got" "^HTTP/1.1 400" "plain HTTP reached the origin through the tunnel"
	si_wait_log "$T/log/access.log" \
	    " CONNECT www\.origin\.test:$ORIGIN_PORT .* tunneled:not-tls -$" "the tunneled non-TLS, noted"

	# A TLS 1.1 client, splice chosen, to the TLS 1.1 origin.
	got=$(openssl s_client -proxy "127.0.0.1:$PROXY_PORT" -connect "www.origin.test:$OLD_PORT" \
	    -servername www.origin.test -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' < /dev/null 2>/dev/null |
	    openssl x509 -noout -issuer 2>/dev/null)
	si_log "splice uncommented, TLS 1.1 client: $got"
	si_assert_match "$got" "Test Web Root" "a TLS 1.1 client, splice chosen, reaches the origin uninspected"
	si_wait_log "$T/log/access.log" \
	    " CONNECT www\.origin\.test:$OLD_PORT .* spliced:tls-version -$" "the spliced TLS 1.1 client, noted"
	# Every choice above, in the TLS decision log as well (the blocked
	# choice: one record per connection, and block_page opened three).
	si_wait_count "$T/log/tls.log" '"decision"' 8 "the TLS decision records"
	si_assert_eq "$(si_tls_log)" "127.0.0.1 - bumped:no-sni - bump
127.0.0.1 - refused:no-sni - terminate
127.0.0.1 - blocked:no-sni - bump
127.0.0.1 - blocked:no-sni - bump
127.0.0.1 - blocked:no-sni - bump
127.0.0.1 - spliced:no-sni - splice
www.origin.test - tunneled:not-tls - peek
www.origin.test www.origin.test spliced:tls-version - splice" "the TLS decision log"
}
