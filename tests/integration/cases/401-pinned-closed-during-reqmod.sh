# A bumped connection's requests all go to the one server connection
# Squid pinned to it. When the origin closes that connection for being idle
# (its keep-alive timeout) while the next request is still in REQMOD (an
# upload held for inspection, or a slow ICAP answer), Squid answers that
# request with nothing and leaves the client connection open: the client
# waits until it gives up. This is Squid's, in every version read (5.7,
# 6.13, 7.6): FwdState::usePinned() gets ERR_ZERO_SIZE_OBJECT from
# ConnStateData::borrowPinnedConnection(), FwdState::reactToZeroSizeObject()
# sets pinning.zeroReply, clientReplyContext::sendMoreData() then drops the
# error page, and clientPinnedConnectionClosed(), which closes the client
# connection on a zero reply, ran when the origin closed, before the flag.
# doc/reliability.md has the trace. The case keeps the shape in view: an
# upload slower than the origin's keep-alive timeout arrives on a new
# connection, and on a reused one Squid answers nothing (HIER_NONE,
# ERR_ZERO_SIZE_OBJECT). A Squid that answers, or closes, fails the case,
# so that the documentation follows the fix.

SI_NEEDS_MODULE=1

# upload NAME [CURL ARGS...]: a 600 kB upload at 150 kB/s (4 s, twice the
# origin's keep-alive timeout), after what CURL ARGS fetch first on the
# same connection; NAME.rc, NAME.body and NAME.err under $T/tmp.
upload()
{
	local name=$1 rc=0
	shift
	si_curl "$@" --max-time 15 --limit-rate 150k \
	    --data-binary @"$T/tmp/up.bin" \
	    -H 'Content-Type: application/octet-stream' \
	    -o "$T/tmp/$name.body" "$(si_url /upload)" \
	    2> "$T/tmp/$name.err" || rc=$?
	echo "$rc" > "$T/tmp/$name.rc"
}

case_main()
{
	local rc
	SI_ORIGIN_HTTP="keepalive_timeout 2s;"
	si_start_all
	head -c 600000 /dev/urandom > "$T/tmp/up.bin"

	upload fresh
	si_assert_eq "$(cat "$T/tmp/fresh.rc")" 0 \
	    "the slow upload on a new connection (curl $(cat "$T/tmp/fresh.err"))"
	si_assert_eq "$(cat "$T/tmp/fresh.body")" received \
	    "the slow upload on a new connection arrived"

	upload reused -v -o /dev/null "$(si_url /)" --next \
	    --proxy "http://127.0.0.1:$PROXY_PORT" --cacert "$SI_ORG_ROOT"
	rc=$(cat "$T/tmp/reused.rc")
	grep -Eq 'Re-?using existing' "$T/tmp/reused.err" ||
	    si_fail "curl did not reuse the connection for the upload"
	if [ "$rc" = 0 ]; then
		si_fail "Squid $(si_squid_version) now forwards the upload" \
		    "after the pinned connection closed: update" \
		    "doc/reliability.md and this case"
	fi
	si_assert_eq "$rc" 28 "the client got nothing and gave up (curl $rc)"
	si_assert_match "$(cat "$T/tmp/reused.err")" \
	    'timed out after [0-9]* milliseconds with 0 bytes received' \
	    "not one byte came back"
	si_wait_count "$T/log/access.log" \
	    'POST https://www\.origin\.test:[0-9]+/upload .*HIER_NONE/- .*ERR_ZERO_SIZE_OBJECT' 1 \
	    "Squid's log of the upload never forwarded"
	si_assert_eq "$(grep -Ec 'POST .*/upload ' "$T/log/access.log")" 2 \
	    "two uploads in Squid's log"
	si_log "Squid $(si_squid_version): no answer after the pinned connection closed during REQMOD"
}
