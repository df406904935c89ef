# Where Squid 5.7 and 6.13 differ on sslinspect's path, each does what the
# docs say it does:
# - A REQMOD block page (an upload answered with the service's own 403) is
#   delivered whole by every Squid. Squid 5.7 lacks the bug 5187
#   workaround: it marks such a reply truncated in its store ("REQMOD
#   request satisfaction default", seen with debug_options 20,3) and then
#   closes the client connection. Squid 6.2 and later log "WARNING: Squid
#   bug 5187 workaround triggered" instead, complete the reply normally
#   and keep the connection.
# - tls_key_log (Squid 6 and later) writes the TLS secrets of the bumped
#   client side, so a capture can be decrypted; 5.7 has no such directive.

SI_NEEDS_MODULE=1

case_main()
{
	local major n i c out keylog="" warned truncated args conns batch
	major=$("$SQUID" -v | sed -n 's/^Squid Cache: Version \([0-9]*\)\..*/\1/p')
	[ -n "$major" ] || si_fail "no version in squid -v"
	si_log "Squid $major"
	# debug section 20 at level 3 shows the store marking a reply truncated.
	SI_SQUID_EXTRA="debug_options ALL,1 20,3"
	if [ "$major" -ge 6 ]; then
		keylog=$T/log/tls-keys.log
		SI_SQUID_EXTRA="$SI_SQUID_EXTRA
tls_key_log $keylog"
	fi
	si_start_all
	printf 'Invoice\nPay by card 4111111111111111, expiry 12/29\n' > "$T/tmp/card.txt"

	# Whether a reply ends on the path the bug is about is a race inside
	# Squid (whether it reads the page's last chunk with the rest of its
	# body), so not every page takes it, and on a busy machine a few pages
	# in a row may all miss it. Batches of four blocked uploads, each on
	# one client connection if Squid keeps it (one CONNECT tunnel) and
	# each followed by a clean upload, until the version's sign shows, at
	# most five batches.
	n=4
	args=()
	for i in $(seq 1 $n); do
		args+=(-o "$T/tmp/page$i" "$(si_url /upload)")
	done
	conns=0 batch=0 warned=0 truncated=0
	while [ $batch -lt 5 ]; do
		batch=$((batch + 1))
		out=$(si_curl --data-binary @"$T/tmp/card.txt" \
		    -w '%{http_code} %{num_connects} %{size_download} %header{content-length}\n' \
		    "${args[@]}") || si_fail "curl through the proxy failed: $out"
		si_assert_eq "$(printf '%s\n' "$out" | awk '$1 == 403 && $3 == $4 && $3 > 0 { n++ } END { print n + 0 }')" $n \
		    "blocked uploads of batch $batch answered 403 with the whole page ($out)"
		c=$(printf '%s\n' "$out" | awk '{ c += $2 } END { print c }')
		if [ "$major" -ge 6 ]; then
			si_assert_eq "$c" 1 "client connections for $n block pages on Squid $major (kept alive)"
		fi
		conns=$((conns + c))
		for i in $(seq 1 $n); do
			si_assert_match "$(cat "$T/tmp/page$i")" "This transfer was blocked" "block page $i"
			si_assert_match "$(cat "$T/tmp/page$i")" "</html>" "block page $i arrived whole"
		done
		out=$(si_curl --data note=hello "$(si_url /upload)") || si_fail "clean upload failed"
		si_assert_eq "$out" "received" "clean upload after the block pages"
		# Squid logs a transaction when it ends, the clean upload last.
		si_wait_count "$T/log/access.log" "/200 [0-9]+ POST https://[^ ]*/upload" $batch \
		    "the clean upload of batch $batch in Squid's access log"
		warned=$(grep -c 'WARNING: Squid bug 5187 workaround triggered' "$T/log/cache.log" || true)
		truncated=$(grep -c 'because REQMOD request satisfaction default' "$T/log/cache.log" || true)
		si_log "Squid $major, batch $batch, $((n * batch)) block pages: $warned bug 5187 warnings, $truncated marked truncated, $conns client connections"
		if [ "$major" -ge 6 ]; then
			[ "$warned" -ge 1 ] && break
		else
			[ "$truncated" -ge 1 ] && break
		fi
	done
	n=$((n * batch))
	if [ "$major" -ge 6 ]; then
		{ [ "$warned" -ge 1 ] && [ "$warned" -le $n ]; } ||
		    si_fail "Squid $major logged $warned bug 5187 warnings for $n REQMOD block pages"
		si_assert_eq "$truncated" 0 "block pages marked truncated on Squid $major"

		[ -s "$keylog" ] || si_fail "tls_key_log wrote nothing"
		si_assert_match "$(cat "$keylog")" "^(CLIENT_RANDOM|CLIENT_HANDSHAKE_TRAFFIC_SECRET|SERVER_TRAFFIC_SECRET_0) " \
		    "tls_key_log holds NSS key log lines"
	else
		si_assert_eq "$warned" 0 "bug 5187 workaround warnings on Squid $major"
		{ [ "$truncated" -ge 1 ] && [ "$truncated" -le $n ]; } ||
		    si_fail "Squid $major marked $truncated of $n REQMOD block pages truncated"
		# A reply marked truncated ends the client connection after it, so
		# each but the last one costs curl a new connection.
		[ "$conns" -ge "$truncated" ] ||
		    si_fail "Squid $major kept the connection after truncated block pages ($conns connections, $truncated truncated)"
	fi
}
