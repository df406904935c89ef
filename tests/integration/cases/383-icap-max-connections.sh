# sslinspect.MaxConnections reaches Squid: c-icap's OPTIONS answer carries
# Max-Connections, Squid queues the transactions beyond it (and says so
# once in cache.log), and every queued upload is inspected whole and
# arrives.

SI_NEEDS_MODULE=1

case_main()
{
	local i pids="" rc=0 opts n
	touch "$T/log/audit.log"
	si_own c-icap "$T/log/audit.log"
	SI_CICAP_EXTRA="sslinspect.MaxConnections 2
sslinspect.AuditLog $T/log/audit.log"
	si_start_all

	opts=$(c-icap-client -i 127.0.0.1 -p "$ICAP_PORT" -s sslinspect \
	    -method OPTIONS -v 2>&1) || si_fail "OPTIONS: $opts"
	si_assert_match "$opts" "Max-Connections: 2" "OPTIONS answer"

	# Squid has the OPTIONS and a leaf for the name before the uploads
	# start, so they start together.
	si_curl -o /dev/null "$(si_url /)" || si_fail "warm-up fetch"
	# Four uploads at 1 MB/s hold their REQMOD transactions for about
	# three seconds each: two run, two wait for a free connection.
	head -c 3000000 /dev/zero > "$T/tmp/up.bin"
	for i in 1 2 3 4; do
		si_curl --limit-rate 1M --data-binary @"$T/tmp/up.bin" \
		    -H 'Content-Type: application/octet-stream' \
		    -o "$T/tmp/got$i" "$(si_url /upload)" & pids="$pids $!"
	done
	for i in $pids; do wait "$i" || rc=1; done
	[ $rc = 0 ] || si_fail "a queued upload failed"
	for i in 1 2 3 4; do
		si_assert_eq "$(cat "$T/tmp/got$i")" "received" "upload $i"
	done
	si_assert_match "$(cat "$T/log/cache.log")" \
	    "ICAP Max-Connections limit exceeded for service icap://127.0.0.1:$ICAP_PORT/sslinspect" \
	    "Squid queued beyond Max-Connections"
	# The origin answers without reading the body; the audit log shows
	# the service saw every byte of all four.
	si_wait_count "$T/log/audit.log" \
	    '"direction":"upload","verdict":"allow".*"bytes":3000000,' 4 \
	    "uploads audited"
	n=$(grep -c '"direction":"upload","verdict":"allow".*"bytes":3000000,' "$T/log/audit.log")
	si_assert_eq "$n" 4 "uploads inspected whole"
}
