# A bumped connection's requests all go to the one server connection
# Squid pinned to it, opened when the connection was bumped. Squid
# forwards a request only when REQMOD has answered, so while an upload is
# held for inspection that server connection is idle. When the origin
# closes it meanwhile (its keep-alive timeout on a reused connection, or
# its wait for the first request on a new one), Squid answers the upload
# with nothing and leaves the client connection open: the client waits
# until it gives up. This is Squid's, in every version read (5.7, 6.13,
# 7.6): FwdState::usePinned() gets ERR_ZERO_SIZE_OBJECT from
# ConnStateData::borrowPinnedConnection(), FwdState::reactToZeroSizeObject()
# sets pinning.zeroReply, clientReplyContext::sendMoreData() then drops the
# error page, and clientPinnedConnectionClosed(), which closes the client
# connection on a zero reply, ran when the origin closed, before the flag.
# doc/reliability.md has the trace, srv_sslinspect(5) what it means.
# The case keeps the shape in view, with an origin that waits 2 s for a
# request and the service holding each upload whole before its request
# goes on (MaxUploadHoldTime 0; by default the request goes ahead after
# 2 s, case 402): an upload held less than 2 s arrives; held 4 s (sent at
# 150 kB/s), it gets no answer, on a reused connection and on a new one
# alike (HIER_NONE, ERR_ZERO_SIZE_OBJECT). A Squid that answers, or
# closes, fails the case, so that the documentation follows the fix.

SI_NEEDS_MODULE=1

# upload NAME RATE [CURL ARGS...]: a 600 kB upload at RATE (0: at once),
# after what CURL ARGS fetch first on the same connection; NAME.rc,
# NAME.body and NAME.err under $T/tmp.
upload()
{
	local name=$1 rate=$2 rc=0
	shift 2
	si_curl "$@" --max-time 15 --limit-rate "$rate" \
	    --data-binary @"$T/tmp/up.bin" \
	    -H 'Content-Type: application/octet-stream' \
	    -o "$T/tmp/$name.body" "$(si_url /upload)" \
	    2> "$T/tmp/$name.err" || rc=$?
	echo "$rc" > "$T/tmp/$name.rc"
}

# no_answer NAME: the upload got nothing and the client gave up.
no_answer()
{
	local rc
	rc=$(cat "$T/tmp/$1.rc")
	if [ "$rc" = 0 ]; then
		si_fail "Squid $(si_squid_version) now forwards the $1 upload" \
		    "after the pinned connection closed: update" \
		    "doc/reliability.md, srv_sslinspect(5) and this case"
	fi
	si_assert_eq "$rc" 28 "$1: the client got nothing and gave up (curl $rc)"
	si_assert_match "$(cat "$T/tmp/$1.err")" \
	    'timed out after [0-9]* milliseconds with 0 bytes received' \
	    "$1: not one byte came back"
}

case_main()
{
	local reused fresh
	SI_ORIGIN_HTTP="keepalive_timeout 2s; client_header_timeout 2s;"
	SI_CICAP_EXTRA="sslinspect.MaxUploadHoldTime 0"
	si_start_all
	head -c 600000 /dev/urandom > "$T/tmp/up.bin"

	upload quick 0
	si_assert_eq "$(cat "$T/tmp/quick.rc")" 0 \
	    "an upload held briefly (curl $(cat "$T/tmp/quick.err"))"
	si_assert_eq "$(cat "$T/tmp/quick.body")" received \
	    "an upload held briefly arrived"

	upload reused 150k -v -o /dev/null "$(si_url /)" --next \
	    --proxy "http://127.0.0.1:$PROXY_PORT" --cacert "$SI_ORG_ROOT" &
	reused=$!
	upload fresh 150k &
	fresh=$!
	wait "$reused" "$fresh"
	grep -Eq 'Re-?using existing' "$T/tmp/reused.err" ||
	    si_fail "curl did not reuse the connection for the upload"
	no_answer reused
	no_answer fresh
	# Never forwarded: no server in the log, and with the shipped format
	# the error Squid dropped (Squid's default format has no error code).
	gone='POST https://www\.origin\.test:[0-9]+/upload .*HIER_NONE/-'
	! si_log_shipped || gone="$gone .*ERR_ZERO_SIZE_OBJECT"
	si_wait_count "$T/log/access.log" "$gone" 2 \
	    "Squid's log of the uploads never forwarded"
	si_assert_eq "$(grep -Ec 'POST .*/upload ' "$T/log/access.log")" 3 \
	    "three uploads in Squid's log"
	si_log "Squid $(si_squid_version): no answer after the pinned connection closed during REQMOD"
}
