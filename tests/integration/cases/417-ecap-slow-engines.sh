# The eCAP front end loads its engines on a thread of its own: Squid's
# thread goes on meanwhile. The ClamAV database here takes as long as the
# case wants to read (a FIFO, written 3 s after the first request), as a
# full database takes seconds. While the loader waits on it: the first
# inspected request waits for the engines (it is not passed uninspected);
# a spliced site (not inspected) is served at once, and so is a second
# bumped connection's handshake. Once the database arrives cache.log gives
# the loading time, the waiting request completes byte for byte, and a file
# with the database's one signature is blocked by it.

SI_ORIGIN_NAMES="www.origin.test bank.origin.test"
SI_NO_INSPECT=".bank.origin.test"
SI_ECAP=1

case_main()
{
	local pid t0 ms log=$T/log/cache.log sig
	sig=SSLINSPECT-SLOW-LOADING-TEST-SIGNATURE
	mkdir -p "$T/clamdb"
	mkfifo "$T/clamdb/slow.ndb"
	chmod -R a+rX "$T/clamdb"
	SI_ECAP_DIRECTIVES="sslinspect.ClamAVDbDir $T/clamdb"
	si_origin_start
	head -c 65536 /dev/urandom > "$T/www/r64K.bin"
	{ head -c 512 /dev/zero; printf '%s' "$sig"; head -c 4096 /dev/zero; } \
	    > "$T/www/sig.bin"
	chmod a+r "$T/www/"*
	si_squid_start

	t0=$(date +%s%N)
	si_curl -o "$T/tmp/first" "$(si_url /r64K.bin)" &
	pid=$!
	sleep 1
	kill -0 "$pid" 2>/dev/null || si_fail "the first request ended before the engines loaded"
	si_assert_nomatch "$(cat "$log")" "eCAP adapter started" \
	    "the engines still loading (the database not written yet)"

	# Squid's thread is free: a spliced site and a bumped handshake.
	curl -sS --max-time 5 --proxy "http://127.0.0.1:$PROXY_PORT" \
	    --cacert "$T/pki/web-root.pem" -o /dev/null "$(si_url /index.html bank.origin.test)" ||
	    si_fail "the spliced site waited for the engines"
	si_served_cert www.origin.test > /dev/null ||
	    si_fail "a bumped handshake waited for the engines"
	kill -0 "$pid" 2>/dev/null || si_fail "the first request ended before the engines loaded"
	si_log "while the engines load: the spliced site and a handshake served, the first request waits"

	sleep 2
	# The database (one signature), 3 s after the first request, whole
	# at every open (libclamav opens the file more than once).
	printf 'Sslinspect.Test.Slow:0:*:%s\n' "$(printf '%s' "$sig" | od -An -tx1 | tr -d ' \n')" \
	    > "$T/tmp/slow.ndb"
	si_spawn clamdb-writer sh -c 'while cat "$0" > "$1"; do :; done' \
	    "$T/tmp/slow.ndb" "$T/clamdb/slow.ndb"
	si_wait_log "$log" "eCAP adapter started in [0-9]+ ms" "the adapter's start" 20
	wait "$pid" || si_fail "the first request failed"
	cmp -s "$T/tmp/first" "$T/www/r64K.bin" || si_fail "the first request's body differs"
	si_log "the first request: byte for byte after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
	ms=$(sed -n 's/.*eCAP adapter started in \([0-9]*\) ms.*/\1/p' "$log" | head -n 1)
	[ "$ms" -ge 2500 ] || si_fail "loading took ${ms} ms: it did not wait for the database"
	si_log "cache.log: the engines loaded in $ms ms"

	# The database is the one loaded: its signature blocks.
	si_assert_eq "$(si_curl -s -o "$T/tmp/page" -w '%{http_code}' "$(si_url /sig.bin)")" 403 \
	    "the file with the slow database's signature"
	si_wait_log "$T/log/audit.log" '"type":"Sslinspect.Test.Slow' "the audit record names the signature"
}
