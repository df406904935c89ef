# The c-icap service with its TmpDir full from the start (a tmpfs, filled
# before c-icap starts). c-icap keeps a body's first 128 KB in memory
# (MaxMemObject), so a download and an upload of 64 KB pass byte for byte,
# scanned whole, and EICAR gets the page. A larger download, and a larger
# upload, were held and nothing of them sent yet: each fails closed with
# the page that says inspection failed (not Squid's ICAP error page), its
# audit record says why, the service's log names the directory, and the
# upload never reaches the origin. With a Squid before 6.13 a download
# past 60 KB is released while scanned (si_squid_holds): it is cut off,
# and curl sees the failure. Once there is room the same download
# passes: the failure is not remembered for the retry.

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: needs root (a tmpfs for TmpDir)" >&2
	exit 77
fi

SI_NEEDS_MODULE=1

. "$top_srcdir/tests/integration/dl-lib.sh"

# failed_page WHAT: the last download (dl_get into $T/tmp/got) was the
# page that says inspection failed.
failed_page()
{
	dl_page "$T/tmp/got" "$1"
	si_assert_match "$(cat "$T/tmp/got")" \
	    "could not be inspected because of a technical problem" \
	    "$1: the page says inspection failed"
	si_log "$1: failed closed with the page"
}

case_main()
{
	local code big=/r1048576.bin
	si_tmpfs_full "$T/icap-tmp"
	dl_setup
	si_start_all
	si_pyorigin_start
	for f in 65536 1048576; do
		head -c "$f" /dev/urandom > "$T/www/r$f.bin"
	done
	printf '%s' "$EICAR" > "$T/www/eicar.com"
	chmod a+r "$T/www/"*

	dl_clean "$ORIGIN_PORT" /r65536.bin "64 KB with TmpDir full"
	code=$(si_curl -s -o /dev/null -w '%{http_code}' \
	    --data-binary @"$T/www/r65536.bin" \
	    "https://www.origin.test:$PYORIGIN_PORT/upload")
	si_assert_eq "$code" 200 "an upload of 64 KB with TmpDir full"
	dl_get "$ORIGIN_PORT" /eicar.com "$T/tmp/got"
	dl_page "$T/tmp/got" "EICAR with TmpDir full"

	# Past the memory: the transfer fails closed, and says so.
	dl_get "$ORIGIN_PORT" "$big" "$T/tmp/got"
	if si_squid_holds; then
		si_assert_eq "$DL_RC" 0 "1 MB with TmpDir full: curl exit"
		failed_page "1 MB download with TmpDir full"
	else
		# This Squid's downloads past 60 KB are released while scanned
		# (si_squid_holds): the transfer had begun and is cut off.
		[ "$DL_RC" != 0 ] ||
		    si_fail "1 MB with TmpDir full: a cut transfer taken as complete"
		cmp -s "$T/tmp/got" "$T/www$big" &&
		    si_fail "1 MB with TmpDir full: the whole body went out"
		si_log "1 MB download with TmpDir full: cut off, curl exit $DL_RC"
	fi
	si_wait_log "$T/log/icap-server.log" \
	    "a body could not be spooled in $T/icap-tmp" \
	    "the service's log: the spool's directory"
	si_wait_log "$T/log/audit.log" \
	    '"path":"/r1048576.bin","direction":"download","verdict":"block","rule":"default","reason":"inspection failed: the body could not be spooled' \
	    "audit: the failed download, and why"
	si_curl -s -D "$T/tmp/got.headers" -o "$T/tmp/got" -w '%{http_code}' \
	    --data-binary @"$T/www$big" \
	    "https://www.origin.test:$PYORIGIN_PORT/upload?big" > "$T/tmp/code" ||
	    si_fail "1 MB upload with TmpDir full: curl exit $?"
	DL_CODE=$(cat "$T/tmp/code")
	failed_page "1 MB upload with TmpDir full"
	si_wait_log "$T/log/audit.log" \
	    '"path":"/upload\?big","direction":"upload","verdict":"block","rule":"default","reason":"inspection failed: the body could not be spooled' \
	    "audit: the failed upload, and why"
	si_assert_nomatch "$(cat "$T/log/pyorigin.out")" "upload\\?big" \
	    "the refused upload reached the origin"

	rm -f "$T/icap-tmp/filler"
	dl_clean "$ORIGIN_PORT" "$big" "1 MB with room again"

	# Each small body was scanned whole (the audit log says so).
	si_assert_match "$(cat "$T/log/audit.log")" \
	    '"path":"/r65536.bin","direction":"download","verdict":"allow".*"bytes":65536,' \
	    "audit: 64 KB downloaded and scanned"
	si_assert_match "$(cat "$T/log/audit.log")" \
	    '"path":"/upload","direction":"upload","verdict":"allow".*"bytes":65536,' \
	    "audit: the upload scanned"
}
