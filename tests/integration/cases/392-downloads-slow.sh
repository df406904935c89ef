# Slow downloads (an origin sending 256 KB/s) with MaxHoldTime 2: a clean
# one is released while it is scanned once held 2 s (its client would
# otherwise wait for the whole file) and arrives whole; an infected one
# (EICAR at its end) is cut off before its end and the retry gets the
# page. MaxScanTime counts inspection work, not arrival time, so a body
# arriving slower than MaxScanTime is not failed for its speed.

SI_NEEDS_MODULE=1

. "$top_srcdir/tests/integration/dl-lib.sh"

case_main()
{
	SI_CICAP_EXTRA="sslinspect.MaxHoldTime 2
sslinspect.MaxScanTime 1"
	dl_setup
	si_origin_start
	si_pyorigin_start
	si_cicap_start
	si_squid_start
	head -c 1000000 /dev/urandom > "$T/www/slow.bin"
	{ head -c 1000000 /dev/urandom; printf '%s' "$EICAR"; } > "$T/www/slow-eicar.bin"
	chmod a+r "$T/www/"*

	dl_clean "$PYORIGIN_PORT" "/slow.bin?rate=262144" "clean 1 MB at 256 KB/s"
	[ "${DL_TIME%.*}" -ge 3 ] || si_fail "the slow origin was not slow (${DL_TIME}s)"
	si_wait_log "$T/log/audit.log" '"path":"/slow[.]bin[?]rate=262144","direction":"download","verdict":"allow","rule":"default","reason":"released while scanned"' \
	    "slow download released while scanned"

	# Cut off on every Squid: past MaxHoldTime, or past 5.7's 60K hold.
	dl_get "$PYORIGIN_PORT" "/slow-eicar.bin?rate=262144" "$T/tmp/got"
	[ "$DL_RC" != 0 ] && [ "$DL_RC" != 28 ] ||
	    si_fail "infected slow download: curl exit $DL_RC, status $DL_CODE, $DL_SIZE bytes"
	si_assert_nomatch "$(tr -d '\0' < "$T/tmp/got")" "EICAR-STANDARD" "no EICAR bytes released"
	dl_get "$PYORIGIN_PORT" "/slow-eicar.bin?rate=262144" "$T/tmp/got"
	dl_page "$T/tmp/got" "infected slow download, retried"
	si_assert_match "$(cat "$T/tmp/got")" "blocked before" "the retry's page says why"
}
