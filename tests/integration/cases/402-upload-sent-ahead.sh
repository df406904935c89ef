# An upload held past MaxUploadHoldTime (2 s, the default) sends its
# request line and headers on to the origin, its body still held whole
# until the verdict, so that the server connection Squid pinned to the
# client is in use before the origin gives it up: Squid, whose REQMOD
# answer comes only after the hold, would otherwise never answer the
# upload (case 401). The origin here (Python's http.server) closes a
# connection that waits 4 s for a request, first or next. Clean uploads
# that take 6 s arrive, on a new connection and after a GET on the same
# one; a blocked one is cut off at its end (Squid's ICAP error page), the
# origin having had its request line and headers and none of its body.

SI_NEEDS_MODULE=1

# upload NAME FILE TYPE [CURL ARGS...]: FILE at 200 kB/s to the Python
# origin, after what CURL ARGS fetch first on the same connection; the
# status in NAME.code, the exit code in NAME.rc, the body in NAME.body.
upload()
{
	local name=$1 file=$2 type=$3 rc=0
	shift 3
	si_curl "$@" --max-time 30 --limit-rate 200k \
	    --data-binary @"$file" -H "Content-Type: $type" \
	    -o "$T/tmp/$name.body" -w '%{http_code}' \
	    "https://www.origin.test:$PYORIGIN_PORT/upload" \
	    > "$T/tmp/$name.code" 2> "$T/tmp/$name.err" || rc=$?
	echo "$rc" > "$T/tmp/$name.rc"
}

case_main()
{
	local reused fresh blocked idle inc
	SI_PYORIGIN_IDLE=4
	si_start_all
	si_pyorigin_start

	# The origin's wait is real: an idle connection ends after 4 s.
	idle=$(python3 - "$PYORIGIN_PORT" <<'EOF'
import socket, ssl, sys, time
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))),
                    server_hostname="www.origin.test")
s.settimeout(20)
t = time.monotonic()
data = s.recv(1)
print("%d %d" % (len(data), round(time.monotonic() - t)))
EOF
)
	si_assert_match "$idle" '^0 (4|5)$' \
	    "the origin closed an idle connection after 4 s (bytes, seconds)"

	head -c 1200000 /dev/urandom > "$T/tmp/clean.bin"
	# Random text without digits before the card: random base64 holds a
	# valid IBAN (letters, two digits, a mod-97 checksum) often enough to
	# be blocked, now and then, before it is sent ahead.
	{
		head -c 1060000 /dev/urandom | base64 -w 76 | tr -d 0-9
		printf '\nPay with card 4111111111111111 please\n'
	} > "$T/tmp/card.txt"

	upload fresh "$T/tmp/clean.bin" application/octet-stream &
	fresh=$!
	upload reused "$T/tmp/clean.bin" application/octet-stream \
	    -v -o /dev/null "https://www.origin.test:$PYORIGIN_PORT/index.html" --next \
	    --proxy "http://127.0.0.1:$PROXY_PORT" --cacert "$SI_ORG_ROOT" &
	reused=$!
	upload blocked "$T/tmp/card.txt" text/plain &
	blocked=$!
	wait "$fresh" "$reused" "$blocked"

	grep -Eq 'Re-?using existing' "$T/tmp/reused.err" ||
	    si_fail "curl did not reuse the connection for the upload"
	for name in fresh reused; do
		si_assert_eq "$(cat "$T/tmp/$name.rc") $(cat "$T/tmp/$name.code")" \
		    "0 200" "$name: the clean upload's answer"
		si_assert_eq "$(cat "$T/tmp/$name.body")" received \
		    "$name: the clean upload arrived"
	done
	si_assert_eq "$(cat "$T/tmp/blocked.rc") $(cat "$T/tmp/blocked.code")" \
	    "0 500" "the blocked upload: Squid's ICAP error page"
	si_wait_count "$T/log/audit.log" \
	    '"path":"/upload","direction":"upload","verdict":"allow".*"reason":"request sent ahead of its body".*"bytes":1200000,' \
	    2 "two clean uploads sent ahead, inspected whole"
	si_wait_count "$T/log/audit.log" \
	    '"direction":"upload","verdict":"block".*credit_card.*\(transfer cut off\)' \
	    1 "the blocked upload, cut off"
	inc=$(sed -n 's/.*"verdict":"block".*"incident":"\([0-9a-f]*\)".*/\1/p' \
	    "$T/log/audit.log" | head -n 1)
	[ -n "$inc" ] || si_fail "no incident id in the blocked upload's audit line"
	# Squid's default format (an admin's own ICAP lines) has the 500 but
	# neither the error nor the incident id: the audit line has that.
	if si_log_shipped; then
		si_wait_count "$T/log/access.log" \
		    "POST https://[^ ]*/upload .*ERR_ICAP_FAILURE.* $inc\$" 1 \
		    "Squid's log of the cut upload, with its incident id"
	else
		si_wait_count "$T/log/access.log" \
		    "/500 [0-9]+ POST https://[^ ]*/upload " 1 \
		    "Squid's log of the cut upload"
	fi
	# The origin answered the two clean uploads, and of the blocked one
	# it got the request and not one byte of the body.
	si_assert_eq "$(grep -c '"POST /upload HTTP/1.1" 200' "$T/log/pyorigin.out")" 2 \
	    "the origin answered the two clean uploads only"
	si_wait_count "$T/log/pyorigin.out" \
	    '"POST /upload HTTP/1.1" body cut short: 0 of [0-9]+ bytes' 1 \
	    "the origin got the blocked upload's request and none of its body"
}
