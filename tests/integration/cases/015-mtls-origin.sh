# An origin that asks for a client certificate (mutual TLS) cannot be
# bumped: Squid holds no client key and offers none, the origin refuses
# the handshake, and access.log says so (ERR_SECURE_CONNECT_FAIL with the
# origin's alert). Squid has nothing that detects it before or after, so
# the remedy is the pinned-app list: a pinned origin is spliced and the
# client's own certificate reaches it.

SI_ORIGIN_NAMES="www.origin.test mtls.origin.test"
SI_PINNED=".pinned-mtls.origin.test"
SI_EXTRA_HOSTS="pinned-mtls.origin.test"

# mtls_origin_start: Python's TLS server on MTLS_PORT for both mtls names,
# requiring a client certificate from the web root; it answers with the
# client certificate's CN.
mtls_origin_start()
{
	si_pki_origin mtls DNS:mtls.origin.test DNS:pinned-mtls.origin.test
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$T/pki/client.key" -out "$T/pki/client.csr" \
	    -subj "/O=sslinspect test/CN=test client" 2>/dev/null
	printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n' \
	    > "$T/pki/client.ext"
	openssl x509 -req -in "$T/pki/client.csr" -CA "$T/pki/web-root.pem" \
	    -CAkey "$T/pki/web-root.key" -CAcreateserial -days 20 -sha256 \
	    -extfile "$T/pki/client.ext" -out "$T/pki/client.pem" 2>/dev/null ||
	    si_fail "client certificate"
	si_port MTLS_PORT
	si_spawn mtls python3 -c '
import socket, ssl, sys
port, cert, key, ca, tls = sys.argv[1:6]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
ctx.load_verify_locations(ca)
ctx.verify_mode = ssl.CERT_REQUIRED
if tls == "1.2":
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(port)))
s.listen(16)
while True:
    c, _ = s.accept()
    c.settimeout(10)
    try:
        t = ctx.wrap_socket(c, server_side=True)
        t.recv(65536)
        cn = dict(x[0] for x in t.getpeercert()["subject"])["commonName"]
        body = ("client " + cn + "\n").encode()
        t.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)
        t.close()
    except Exception as e:
        print("handshake:", e, flush=True)
        c.close()
' "$MTLS_PORT" "$T/pki/mtls.pem" "$T/pki/mtls.key" "$T/pki/web-root.pem" "${1:-1.3}"
	si_wait_port "$MTLS_PORT" mtls
}

case_main()
{
	local out tls
	si_start_all
	for tls in 1.2 1.3; do
		si_stop_one mtls
		mtls_origin_start "$tls"
		# Bumped: the origin refuses Squid, which has no client key.
		out=$(si_curl --max-time 10 -o /dev/null -w '%{http_code}' \
		    --cert "$T/pki/client.pem" --key "$T/pki/client.key" \
		    "https://mtls.origin.test:$MTLS_PORT/" 2>/dev/null) || true
		si_log "TLS $tls origin that requires a client certificate, bumped: HTTP $out"
		[ "$out" != 200 ] || si_fail "a bumped mTLS origin (TLS $tls) answered"
		if [ "$tls" = 1.2 ]; then
			# The origin's handshake_failure alert (OpenSSL reason 0x410).
			si_assert_eq "$out" 503 "the error page for a bumped TLS 1.2 mTLS origin"
			si_wait_log "$T/log/access.log" \
			    " GET https://mtls\.origin\.test:$MTLS_PORT/ .* ERR_SECURE_CONNECT_FAIL/SQUID_TLS_ERR_CONNECT\+TLS_LIB_ERR=A000410" \
			    "the refused handshake with its reason"
		fi
		# Pinned: spliced, and the client's certificate reaches the origin.
		out=$(si_curl --cert "$T/pki/client.pem" --key "$T/pki/client.key" \
		    --cacert "$T/pki/web-root.pem" \
		    "https://pinned-mtls.origin.test:$MTLS_PORT/") ||
		    si_fail "the pinned mTLS origin (TLS $tls) through the proxy"
		si_assert_eq "$out" "client test client" "the pinned mTLS origin saw the client's certificate (TLS $tls)"
		si_wait_log "$T/log/access.log" \
		    " CONNECT pinned-mtls\.origin\.test:$MTLS_PORT .* HIER_DIRECT/127\.0\.0\.1 " \
		    "the spliced tunnel"
	done
	si_assert_nomatch "$(cat "$T/log/access.log")" "GET https://pinned-mtls" \
	    "nothing inside the pinned tunnel is visible"
}
