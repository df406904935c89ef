# The eCAP front end: Squid (ssl-bump) with the shipped sslinspect-ecap.conf
# snippet loading sslinspect_ecap.so, no c-icap, reading its directives
# from the c-icap include the build ships (Config=). Through it: clean downloads
# of many sizes arrive byte for byte, also past MaxHoldSize (released while
# scanned) and from a second origin (Python's http.server, chunked); a
# policy block and EICAR get the HTML or JSON page, with the incident in
# the page, the audit log and Squid's access log; an upload with a card
# number gets the page and never reaches the origin, a clean one does; an
# infected zip past MaxHoldSize is cut off without its EICAR bytes; a
# Range is taken out and the whole comes back; squid -k reconfigure reads
# a changed policy. The retry of the cut-off zip gets the block page at
# once (the verdict cache). With MaxBacklog=1 requests that come while a
# body waits for the scanning threads wait (cache.log says so) and then
# complete byte for byte. The counters reach cache.log (StatsInterval=1).

SI_ORIGIN_NAMES="www.origin.test blocked.origin.test"
SI_ECAP=1
# shellcheck disable=SC2034 # read by lib.sh
SI_ECAP_OPTIONS="MaxBacklog=1 MaxHoldSize=8M StatsInterval=1"

case_main()
{
	local code out n p size inc pids late
	cat > "$T/etc/policy.yaml" <<'YAML'
version: 1
rules:
  - name: no-blocked-host
    match: { host: [blocked.origin.test] }
    action: block
    reason: This site is not allowed
default: { action: inspect }
YAML
	chmod a+r "$T/etc/policy.yaml"
	SI_ECAP_DIRECTIVES="sslinspect.PolicyFile $T/etc/policy.yaml"
	si_origin_start
	si_pyorigin_start
	si_squid_start

	for size in 0 1 4096 65536 65537 1048576 8388608 30000000; do
		head -c "$size" /dev/urandom > "$T/www/r$size.bin"
	done
	printf '%s' 'X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*' \
	    > "$T/www/eicar.com"
	python3 - "$T/www/late.zip" "$T/www/eicar.com" <<'PY'
import os, sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_STORED) as z:
    z.writestr("random.bin", os.urandom(12000000))
    z.write(sys.argv[2], "eicar.com")
PY
	chmod a+r "$T/www/"*

	# Clean downloads, byte for byte: held whole, and past MaxHoldSize
	# (30 MB) released while scanned; nginx with a length, Python chunked.
	for size in 0 1 4096 65536 65537 1048576 8388608 30000000; do
		si_curl -o "$T/tmp/got" "$(si_url "/r$size.bin")" ||
		    si_fail "download of $size bytes failed"
		cmp -s "$T/tmp/got" "$T/www/r$size.bin" ||
		    si_fail "download of $size bytes altered"
		curl -sS --max-time 30 --proxy "http://127.0.0.1:$PROXY_PORT" \
		    --cacert "$SI_ORG_ROOT" -o "$T/tmp/got" \
		    "https://www.origin.test:$PYORIGIN_PORT/r$size.bin" ||
		    si_fail "download of $size bytes from Python failed"
		cmp -s "$T/tmp/got" "$T/www/r$size.bin" ||
		    si_fail "download of $size bytes from Python altered"
	done
	si_log "clean downloads of 0 B to 30 MB identical (nginx and Python)"
	# The engines loaded on a thread of their own; the first request
	# waited for them.
	si_wait_log "$T/log/cache.log" "sslinspect: eCAP adapter started in [0-9]+ ms" \
	    "the adapter's start, and how long its loading took"

	# Eight at once.
	pids=""
	for n in 1 2 3 4 5 6 7 8; do
		si_curl -o "$T/tmp/par$n" "$(si_url /r8388608.bin)" &
		pids="$pids $!"
	done
	for n in $pids; do
		wait "$n" || si_fail "a parallel download failed"
	done
	for n in 1 2 3 4 5 6 7 8; do
		cmp -s "$T/tmp/par$n" "$T/www/r8388608.bin" ||
		    si_fail "parallel download $n altered"
	done

	# MaxBacklog=1: requests that come while 30 MB bodies are spooled
	# faster than they are scanned wait for the scanning threads, then go
	# on. Whether one came at such a moment is timing (a fast machine
	# moves 30 MB in well under 0.1 s): up to eight bursts, 50 ms apart.
	for n in 1 2 3 4 5 6 7 8; do
		pids=""
		for p in 1 2 3 4 5 6; do
			si_curl -o "$T/tmp/bl$p" "$(si_url /r30000000.bin)" &
			pids="$pids $!"
			sleep 0.05
		done
		for p in $pids; do
			wait "$p" || si_fail "a download under MaxBacklog=1 failed"
		done
		for p in 1 2 3 4 5 6; do
			cmp -s "$T/tmp/bl$p" "$T/www/r30000000.bin" ||
			    si_fail "a download under MaxBacklog=1 altered"
		done
		grep -q "new requests wait for the scanning threads" "$T/log/cache.log" && break
	done
	si_assert_match "$(cat "$T/log/cache.log")" \
	    "spooled and not scanned yet \(MaxBacklog 1 bytes\): new requests wait" \
	    "requests waited for the scanning threads, and cache.log says so"
	si_log "requests waited for the scanning threads ($n bursts); all complete and identical"

	code=$(si_curl -o "$T/tmp/page.html" -w '%{http_code}' \
	    -H 'Accept-Language: en' "$(si_url /r1.bin blocked.origin.test)")
	si_assert_eq "$code" 403 "blocked host status"
	out=$(cat "$T/tmp/page.html")
	si_assert_match "$out" "This site is not allowed" "reason on the page"
	si_assert_match "$out" "no-blocked-host" "rule on the page"
	si_assert_match "$out" "<td[^>]*>[0-9a-f]{16}</td>" "incident id on the page"
	out=$(si_curl -H 'Accept: application/json' "$(si_url /r1.bin blocked.origin.test)")
	si_assert_match "$out" '"rule":"no-blocked-host"' "JSON page"

	code=$(si_curl -D "$T/tmp/eicar.h" -o "$T/tmp/eicar.got" -w '%{http_code}' \
	    "$(si_url /eicar.com)")
	si_assert_eq "$code" 403 "EICAR download status"
	si_assert_match "$(cat "$T/tmp/eicar.got")" "This transfer was blocked" "EICAR page"
	si_assert_nomatch "$(cat "$T/tmp/eicar.got")" "EICAR-STANDARD" "EICAR not released"
	inc=$(sed -n 's/^X-Sslinspect-Incident: *\([0-9a-f]*\).*/\1/ip' "$T/tmp/eicar.h")
	[ -n "$inc" ] || si_fail "no incident header on the EICAR page"
	si_wait_log "$T/log/audit.log" "\"incident\":\"$inc\"" "the audit record of $inc"
	si_assert_match "$(grep "$inc" "$T/log/audit.log")" '"verdict":"block"' \
	    "the audit record says block"
	si_wait_log "$T/log/access.log" "eicar.com .* $inc" "the access log line of $inc"

	# Uploads: a card number is blocked before the origin sees it.
	code=$(si_curl -o "$T/tmp/up.got" -w '%{http_code}' \
	    --data-binary "name=Jo&card=4111 1111 1111 1111" \
	    "https://www.origin.test:$PYORIGIN_PORT/upload") || true
	si_assert_eq "$code" 403 "upload with a card number"
	head -c 5000000 /dev/urandom | base64 -w 76 | tr -d '0-9' > "$T/tmp/clean.txt"
	out=$(si_curl --data-binary "@$T/tmp/clean.txt" -H 'Content-Type: text/plain' \
	    "https://www.origin.test:$PYORIGIN_PORT/upload")
	si_assert_eq "$out" "received" "clean 5 MB upload reaches the origin"
	n=$(grep -c 'POST /upload' "$T/log/pyorigin.out" 2>/dev/null || echo 0)
	si_assert_eq "$n" 1 "only the clean upload reached the origin"

	# Past MaxHoldSize, EICAR at the end: cut off, its bytes never out.
	# The origin sends 8 MB a second, so that the release has begun when
	# the end is scanned (a body scanned whole before the release was
	# answered gets the page instead, which is what the client wants).
	late="https://www.origin.test:$PYORIGIN_PORT/late.zip?rate=8000000"
	si_curl -o "$T/tmp/late.got" "$late" 2>/dev/null &&
	    si_fail "the infected 12 MB zip arrived whole"
	! grep -qaF EICAR-STANDARD "$T/tmp/late.got" ||
	    si_fail "infected zip: EICAR bytes released"
	# Its retries get the page at once, from the verdict cache.
	for n in 1 2; do
		code=$(si_curl -D "$T/tmp/late.h" -o "$T/tmp/late.page" -w '%{http_code}' \
		    "$late") || true
		si_assert_eq "$code" 403 "retry $n of the cut-off zip"
		grep -qi '^X-Sslinspect-Incident: [0-9a-f]\{16\}' "$T/tmp/late.h" ||
		    si_fail "retry $n: no incident id"
		si_assert_match "$(cat "$T/tmp/late.page")" "This transfer was blocked" \
		    "retry $n: the block page"
	done
	[ -f "$T/ecap-tmp/sslinspect-verdicts/cache.mdb" ] ||
	    si_fail "no verdict cache in TmpDir"
	si_assert_eq "$(stat -c %a "$T/ecap-tmp/sslinspect-verdicts/cache.mdb")" 600 \
	    "the verdict cache is the proxy user's alone"

	# A Range goes: the whole is inspected and comes back.
	code=$(si_curl -o "$T/tmp/range.got" -w '%{http_code}' -r 0-99 \
	    "$(si_url /r65536.bin)")
	si_assert_eq "$code" 200 "a range request answered whole"
	cmp -s "$T/tmp/range.got" "$T/www/r65536.bin" || si_fail "range: not the whole file"

	# squid -k reconfigure: the changed policy is read again.
	sed -i 's/blocked.origin.test/r1.origin.invalid/' "$T/etc/policy.yaml"
	"$SQUID" -k reconfigure -n "$SI_SQUID_SERVICE" -f "$T/etc/squid.conf" ||
	    si_fail "squid -k reconfigure"
	si_wait_log "$T/log/cache.log" "sslinspect: reconfigured" "the adapter's reconfigure"
	out=$(si_curl "$(si_url /r1.bin blocked.origin.test)" | od -An -tx1 | tr -d ' \n')
	si_assert_eq "$out" "$(od -An -tx1 < "$T/www/r1.bin" | tr -d ' \n')" \
	    "after reconfigure the host is no longer blocked"

	# The counters: requests, allowed and blocked ones, cut-offs,
	# EICAR found, bodies scanned, and the backlog's waits.
	si_wait_log "$T/log/cache.log" \
	    "sslinspect: counters: requests=[1-9][0-9]* allowed=[1-9][0-9]* blocked=[1-9][0-9]* .* cut=[1-9][0-9]* .* found_malware=[1-9][0-9]* .* scanned_bytes=[1-9][0-9]{7,} under_way=[0-9]+ unscanned_bytes=[0-9]+ backlog_waits=[1-9]" \
	    "the counters' line in cache.log"
}
