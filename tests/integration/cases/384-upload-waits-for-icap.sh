# An upload that reaches Squid faster than the REQMOD service takes it (it
# waits for a free ICAP connection here: Max-Connections 1, the one
# connection busy with a slow upload) fills Squid's request buffer. Squid
# before 6.13 then reads the full buffer as the client's end and drops the
# upload as ERR_CLIENT_GONE, the client getting nothing (Squid bug 5405,
# Server::doClientRead); the shipped ICAP snippet's larger
# client_request_buffer_max_size keeps such uploads within it. On 6.13 and
# later the snippet leaves the buffer at Squid's default, which the fix
# makes safe: this case is what shows it. Both uploads arrive, inspected
# whole.

SI_NEEDS_MODULE=1

case_main()
{
	local slow fast rc=0
	SI_CICAP_EXTRA="sslinspect.MaxConnections 1"
	si_start_all
	if si_squid_holds; then
		si_assert_match "$(cat "$T/etc/conf.d/sslinspect-icap.conf")" \
		    '^#client_request_buffer_max_size' \
		    "Squid $(si_squid_version): the request buffer left at its default"
	fi
	si_curl -o /dev/null "$(si_url /)" || si_fail "warm-up fetch"

	head -c 2000000 /dev/urandom > "$T/tmp/slow.bin"
	head -c 8000000 /dev/urandom > "$T/tmp/fast.bin"
	si_curl --limit-rate 1M --data-binary @"$T/tmp/slow.bin" \
	    -H 'Content-Type: application/octet-stream' \
	    -o "$T/tmp/got-slow" "$(si_url /upload)" & slow=$!
	sleep 0.5
	si_curl --data-binary @"$T/tmp/fast.bin" -H 'Expect:' \
	    -H 'Content-Type: application/octet-stream' \
	    -o "$T/tmp/got-fast" "$(si_url /upload)" & fast=$!
	wait "$fast" || rc=$?
	[ "$rc" = 0 ] || si_fail "the upload that waited for ICAP failed (curl $rc)"
	wait "$slow" || si_fail "the slow upload failed"
	si_assert_eq "$(cat "$T/tmp/got-fast")" received "the waiting upload arrived"
	si_assert_eq "$(cat "$T/tmp/got-slow")" received "the slow upload arrived"
	si_wait_count "$T/log/audit.log" \
	    '"direction":"upload","verdict":"allow".*"bytes":8000000,' 1 \
	    "the waiting upload audited whole"
}
