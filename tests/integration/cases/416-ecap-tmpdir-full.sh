# The eCAP front end with its TmpDir full from the start (a tmpfs, filled
# before Squid starts). The verdict cache cannot get its room: cache.log
# says so and the Squid worker lives on (a cache file mapped sparse would
# kill it with SIGBUS at its first write). A body's first 64 KiB are
# spooled in memory, so downloads and an upload up to that size pass byte
# for byte, each scanned whole (the audit log), and EICAR gets the page. A
# larger download fails closed with the page that says inspection failed
# (never a short body taken as complete), its audit record says why and
# cache.log names the directory and the error; once there is room it
# passes (the failure is not remembered for the retry). The same worker
# serves from first to last.

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: needs root (a tmpfs for TmpDir)" >&2
	exit 77
fi

SI_ECAP=1

# get NAME: a download of $T/www/NAME through the proxy to $T/tmp/got;
# curl's exit code, the status in $T/tmp/code.
get()
{
	si_curl -s -o "$T/tmp/got" -w '%{http_code}' "$(si_url "/$1")" \
	    > "$T/tmp/code" 2> /dev/null
}

# whole NAME WHAT: NAME downloads byte for byte.
whole()
{
	get "$1" || si_fail "$2: curl exit $?"
	cmp -s "$T/tmp/got" "$T/www/$1" || si_fail "$2: the body differs"
	si_log "$2: byte for byte"
}

# worker: the pid of the Squid process the front end runs in (one, -N).
worker() { cat "$T/squid-run/squid.pid"; }

case_main()
{
	local pid code log=$T/log/cache.log
	si_tmpfs_full "$T/ecap-tmp"
	si_origin_start
	si_pyorigin_start
	for f in 1024 65536 1048576; do
		head -c "$f" /dev/urandom > "$T/www/r$f.bin"
	done
	printf '%s' 'X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*' \
	    > "$T/www/eicar.com"
	chmod a+r "$T/www/"*
	si_squid_start

	whole r1024.bin "1 KB with TmpDir full"
	si_wait_log "$log" "sslinspect: eCAP adapter started" "the adapter's start"
	pid=$(worker)
	kill -0 "$pid" || si_fail "no Squid process"
	si_wait_log "$log" "verdict cache: .*sslinspect-verdicts/cache.mdb: No space left on device" \
	    "cache.log: the verdict cache got no room"
	whole r65536.bin "64 KB with TmpDir full"
	code=$(si_curl -s -o /dev/null -w '%{http_code}' --data-binary @"$T/www/r65536.bin" \
	    "https://www.origin.test:$PYORIGIN_PORT/upload")
	si_assert_eq "$code" 200 "an upload of 64 KB with TmpDir full"
	get eicar.com
	si_assert_eq "$(cat "$T/tmp/code")" 403 "EICAR with TmpDir full"
	si_assert_match "$(cat "$T/tmp/got")" "<html" "EICAR: the block page"

	# Past the memory: the transfer fails closed, and says so.
	get r1048576.bin || si_fail "1 MB with TmpDir full: curl exit $?"
	si_assert_eq "$(cat "$T/tmp/code")" 403 "1 MB with TmpDir full: the page"
	si_assert_match "$(cat "$T/tmp/got")" "could not be inspected because of a technical problem" \
	    "1 MB with TmpDir full: the page says inspection failed"
	si_log "1 MB with TmpDir full: failed closed with the page"
	si_wait_log "$log" "spool file in $T/ecap-tmp: No space left on device; the transfer fails" \
	    "cache.log: the spool's directory and error"
	si_wait_log "$T/log/audit.log" \
	    '"path":"/r1048576.bin","direction":"download","verdict":"block","rule":"default","reason":"inspection failed: the body could not be spooled' \
	    "audit: the failed transfer, and why"

	rm -f "$T/ecap-tmp/filler"
	whole r1048576.bin "1 MB with room again"
	si_assert_eq "$(worker)" "$pid" "the same Squid worker all along"

	# Each small body was scanned whole (the audit log says so).
	for f in 1024 65536; do
		si_assert_match "$(cat "$T/log/audit.log")" \
		    "\"path\":\"/r$f.bin\",\"direction\":\"download\",\"verdict\":\"allow\".*\"bytes\":$f," \
		    "audit: $f bytes downloaded and scanned"
	done
	si_assert_match "$(cat "$T/log/audit.log")" \
	    "\"path\":\"/upload\",\"direction\":\"upload\",\"verdict\":\"allow\".*\"bytes\":65536," \
	    "audit: the upload scanned"
}
