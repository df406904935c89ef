# What cannot be inspected on the bump port is refused, and access.log
# (the sslinspect format) says why on the CONNECT's line:
#  - a CONNECT tunnel that carries plain HTTP instead of TLS: closed, noted
#    refused:not-tls, ERR_PROTOCOL_UNKNOWN;
#  - a client that offers only TLS 1.1: no handshake, refused:tls-version;
# and a CONNECT to an IP address without SNI is bumped with a leaf for
# that address (an IP SAN).

SI_ORIGIN_NAMES="www.origin.test"

case_main()
{
	local out cert
	si_start_all

	out=$(python3 - "$PROXY_PORT" "$ORIGIN_PORT" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
t = b"www.origin.test:" + sys.argv[2].encode()
s.sendall(b"CONNECT " + t + b" HTTP/1.1\r\nHost: " + t + b"\r\n\r\n")
head = s.recv(4096)
s.sendall(b"GET /index.html HTTP/1.1\r\nHost: www.origin.test\r\n\r\n")
body = b""
try:
    while True:
        d = s.recv(65536)
        if not d:
            break
        body += d
except socket.timeout:
    body += b"(timeout)"
print(head.split(b"\r\n")[0].decode(), "|", "origin page" if b"sslinspect test origin" in body else "no page",
      "|", body.split(b"\r\n")[0].decode(errors="replace") if body else "closed")
PY
) || si_fail "plain HTTP through CONNECT: client failed"
	si_log "plain HTTP in a CONNECT tunnel: $out"
	si_assert_match "$out" "^HTTP/1.1 200 .*\| no page \| closed$" \
	    "plain HTTP inside CONNECT never reaches the origin, and Squid closes the tunnel"
	si_wait_log "$T/log/access.log" \
	    ' CONNECT www\.origin\.test:[0-9]+ .* ERR_PROTOCOL_UNKNOWN/[^ ]* refused:not-tls -$' \
	    "the refused tunnel, with its reason"

	# SECLEVEL=0: at OpenSSL 3.5's default level a -tls1_1 client sends
	# only an alert, never a ClientHello, and would prove nothing.
	openssl s_client -proxy "127.0.0.1:$PROXY_PORT" -connect "www.origin.test:$ORIGIN_PORT" \
	    -servername www.origin.test -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' \
	    < /dev/null > "$T/log/tls11.out" 2>&1 &&
	    si_fail "a TLS 1.1 client got a handshake"
	si_wait_log "$T/log/access.log" \
	    ' CONNECT www\.origin\.test:[0-9]+ .* refused:tls-version -$' \
	    "the refused TLS 1.1 client, with its reason"

	cert=$(openssl s_client -proxy "127.0.0.1:$PROXY_PORT" -connect "127.0.0.1:$ORIGIN_PORT" \
	    -noservername < /dev/null 2>/dev/null | openssl x509 -noout -issuer -ext subjectAltName 2>/dev/null)
	si_assert_match "$cert" "sslinspect test org" "an IP CONNECT without SNI is bumped"
	si_assert_match "$cert" "IP Address:127\.0\.0\.1" "its leaf names the IP"
	# Each refusal and the address bumped for want of a name, in the TLS
	# decision log too.
	si_wait_count "$T/log/tls.log" '"decision"' 3 "the TLS decision records"
	si_assert_eq "$(si_tls_log)" "www.origin.test - refused:not-tls - peek
www.origin.test www.origin.test refused:tls-version - terminate
127.0.0.1 - bumped:no-sni - bump" "the TLS decision log"
}
