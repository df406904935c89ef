# Slow downloads (an origin sending 256 KB/s) with MaxHoldTime 2: a clean
# one is released while it is scanned once held 2 s (its client would
# otherwise wait for the whole file) and arrives whole, every byte of it
# scanned; an infected one (EICAR at its end) is cut off before its end,
# at once, and the retry gets the page. So is one whose origin goes on
# trickling after the EICAR bytes: the client's connection ends soon after
# they reach the proxy, not when the origin is done (dl_cut_soon), and one
# whose origin sends nothing more for a minute after them; the same file
# under another URL then gets the page at once (the verdict cache's
# content key), and a clean file that starts the same arrives whole. The
# design target for the cut is 1 s; the bounds (DL_CUT_MAX, 5 s) leave
# room for a loaded CI machine. MaxScanTime counts inspection work, not
# arrival time, so a body arriving slower than MaxScanTime is not failed
# for its speed.

SI_NEEDS_MODULE=1

. "$top_srcdir/tests/integration/dl-lib.sh"

case_main()
{
	local late
	SI_CICAP_EXTRA="sslinspect.MaxHoldTime 2
sslinspect.MaxScanTime 1"
	dl_setup
	si_origin_start
	si_pyorigin_start
	dl_trickle_start
	si_cicap_start
	si_squid_start
	head -c 1000000 /dev/urandom > "$T/www/slow.bin"
	{ head -c 1000000 /dev/urandom; printf '%s' "$EICAR"; } > "$T/www/slow-eicar.bin"
	{ head -c 1000000 /dev/urandom; printf '%s' "$EICAR"; head -c 1000000 /dev/urandom; } \
	    > "$T/www/slow-eicar-tail.bin"
	# Another file: the verdict cache knows the first by its first bytes.
	{ head -c 1000000 /dev/urandom; printf '%s' "$EICAR"; head -c 1000000 /dev/urandom; } \
	    > "$T/www/slow-eicar-silent.bin"
	chmod a+r "$T/www/"*

	dl_clean "$PYORIGIN_PORT" "/slow.bin?rate=262144" "clean 1 MB at 256 KB/s"
	[ "${DL_TIME%.*}" -ge 3 ] || si_fail "the slow origin was not slow (${DL_TIME}s)"
	si_wait_log "$T/log/audit.log" '"path":"/slow[.]bin[?]rate=262144","direction":"download","verdict":"allow","rule":"default","reason":"released while scanned"' \
	    "slow download released while scanned"
	dl_audit_whole 1 '/(slow[.]bin)([?].*)?'

	# Cut off on every Squid: past MaxHoldTime, or past 5.7's 60K hold.
	dl_get "$PYORIGIN_PORT" "/slow-eicar.bin?rate=262144" "$T/tmp/got"
	[ "$DL_RC" != 0 ] && [ "$DL_RC" != 28 ] ||
	    si_fail "infected slow download: curl exit $DL_RC, status $DL_CODE, $DL_SIZE bytes"
	si_assert_nomatch "$(tr -d '\0' < "$T/tmp/got")" "EICAR-STANDARD" "no EICAR bytes released"
	# pyorigin.py sends its last 64 KiB piece, the EICAR bytes at its end,
	# 15 pieces (3.75 s) after the request reached it, after DL_PRE: what
	# the client waited past that is the cut's (and the request's way).
	late=$(awk -v t="$DL_TIME" -v p="$DL_PRE" 'BEGIN { printf "%.2f", t - p - 15 * 65536 / 262144 }')
	si_log "infected slow download: the client's connection ended ${late}s after the origin sent the EICAR bytes"
	awk -v l="$late" -v m="${DL_CUT_MAX:-5}" 'BEGIN { exit !(l <= m) }' ||
	    si_fail "infected slow download: cut off ${late}s after the origin sent the EICAR bytes, not within ${DL_CUT_MAX:-5}s (target 1 s)"
	dl_get "$PYORIGIN_PORT" "/slow-eicar.bin?rate=262144" "$T/tmp/got"
	dl_page "$T/tmp/got" "infected slow download, retried"
	si_assert_match "$(cat "$T/tmp/got")" "blocked before" "the retry's page says why"

	# The same, the origin trickling on (10 KiB/s) after the EICAR bytes.
	dl_cut_soon "/slow-eicar-tail.bin?rate=262144&pause=1000068" \
	    "infected slow download, the origin trickling on"
	# And one whose origin then sends nothing for a minute: the pieces
	# the EICAR bytes came in are scanned when c-icap has no more at hand,
	# not when the next piece comes.
	dl_cut_soon "/slow-eicar-silent.bin?rate=262144&pause=1000068&silent=60" \
	    "infected slow download, the origin silent after the EICAR bytes"

	# The file cut off, fetched under another URL of its host (a signed
	# link that changes with every click): the verdict cache knows it by
	# its first bytes (the content key), so the page comes before any of
	# it is released, where another cut would come without the cache.
	dl_get "$TRICKLE_PORT" "/slow-eicar-tail.bin?rate=262144&sig=2" "$T/tmp/got"
	dl_page "$T/tmp/got" "the cut-off file under another URL"
	si_assert_match "$(cat "$T/tmp/got")" "blocked before" \
	    "the cut-off file under another URL: the page says why"
	si_log "the cut-off file under another URL: block page in ${DL_TIME}s"
	# The key is the first bytes and the length: a clean file of the same
	# length with other bytes, and one that starts the same but is of
	# another length, each arrive whole (their first bytes held as long
	# as the key's, then scanned whole).
	head -c 2000068 /dev/urandom > "$T/www/same-length.bin"
	head -c 1000000 "$T/www/slow-eicar-tail.bin" > "$T/www/same-start.bin"
	chmod a+r "$T/www/same-length.bin" "$T/www/same-start.bin"
	dl_clean "$TRICKLE_PORT" "/same-length.bin" \
	    "a clean file as long as the cut-off one"
	dl_clean "$TRICKLE_PORT" "/same-start.bin" \
	    "a clean file with the cut-off one's first bytes"
	dl_audit_whole 2 '/(same-(length|start)[.]bin)([?].*)?'
}
