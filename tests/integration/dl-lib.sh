# shellcheck shell=bash
# Helpers shared by the download cases (390, 391, 392), sourced by a case
# file: the test files, a clean download checked byte for byte, an infected
# one checked for the page or the cut-off (and how soon the cut comes), and
# the audit log's account of them.

# shellcheck disable=SC2016 # the EICAR string, literally
EICAR='X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'

# dl_setup: the audit log the checks read (call before si_start_all).
dl_setup()
{
	touch "$T/log/audit.log"
	si_own c-icap "$T/log/audit.log"
	SI_CICAP_EXTRA="sslinspect.AuditLog $T/log/audit.log
${SI_CICAP_EXTRA:-}"
}

# dl_make_files: clean files of every size, and infected ones with EICAR
# at the start, at the end of a zip, behind 60 MB, and alone.
dl_make_files()
{
	local s
	for s in 1K 64K 1M 8M 20M 100M 200M; do
		head -c "$s" /dev/urandom > "$T/www/c$s.bin"
	done
	{ printf '%s' "$EICAR"; head -c 20M /dev/urandom; } > "$T/www/eicar-start.bin"
	{ head -c 60M /dev/urandom; printf '%s' "$EICAR"; head -c 1M /dev/urandom; } \
	    > "$T/www/eicar-60m.bin"
	# The same shape, other bytes: for the cut of dl_cut_soon, which the
	# verdict cache would otherwise answer from eicar-60m.bin's content key.
	{ head -c 60M /dev/urandom; printf '%s' "$EICAR"; head -c 1M /dev/urandom; } \
	    > "$T/www/eicar-60m-b.bin"
	{ cat "$T/www/c200M.bin"; printf '%s' "$EICAR"; } > "$T/www/eicar-200m.bin"
	printf '%s' "$EICAR" > "$T/www/eicar-small.txt"
	python3 - "$T/www/eicar-end.zip" "$EICAR" <<'PY'
import os, sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_STORED) as z:
    z.writestr("data.bin", os.urandom(20 * 1024 * 1024))
    z.writestr("eicar.com", sys.argv[2])
PY
	chmod a+r "$T/www/"*
}

# dl_get PORT PATH OUT: fetch through the proxy; sets DL_RC (curl's exit
# status), DL_CODE, DL_SIZE, DL_TIME and DL_PRE (the seconds before the
# request went out: the CONNECT and the TLS handshake with the proxy). A
# stall ends at DL_MAX_TIME.
dl_get()
{
	local w
	DL_RC=0
	w=$(curl -sS --max-time "${DL_MAX_TIME:-120}" --proxy "http://127.0.0.1:$PROXY_PORT" \
	    --cacert "$SI_ORG_ROOT" -o "$3" -D "$3.headers" \
	    -w '%{http_code} %{size_download} %{time_total} %{time_pretransfer}' \
	    "https://www.origin.test:$1$2" 2> "$3.err") || DL_RC=$?
	read -r DL_CODE DL_SIZE DL_TIME DL_PRE <<< "$w"
}

# dl_clean PORT PATH WHAT: a clean download arrives whole and unchanged.
dl_clean()
{
	local file=${2%%\?*} got=$T/tmp/got
	dl_get "$1" "$2" "$got"
	[ "$DL_RC" = 28 ] && si_fail "$3: stalled (no end after ${DL_MAX_TIME:-120}s, $DL_SIZE bytes)"
	[ "$DL_RC" = 0 ] || si_lost_last_chunk "$DL_RC" "$got.headers" "$got" "$T/www$file" ||
	    si_fail "$3: curl exit $DL_RC: $(cat "$got.err")"
	si_assert_eq "$DL_CODE" 200 "$3: status"
	cmp -s "$got" "$T/www$file" || si_fail "$3: the body differs from the origin's"
	si_log "$3: ${DL_SIZE} bytes in ${DL_TIME}s"
	DL_CLEAN_N=$((${DL_CLEAN_N:-0} + 1))
	rm -f "$got"
}

# dl_page FILE WHAT: FILE is the 403 block page with its incident id.
dl_page()
{
	si_assert_eq "$DL_CODE" 403 "$2: status"
	si_assert_match "$(cat "$1.headers")" "X-Sslinspect-Incident: [0-9a-f]{16}" "$2: incident header"
	si_assert_match "$(cat "$1")" "<html" "$2: an HTML page"
	si_assert_nomatch "$(tr -d '\0' < "$1")" "EICAR-STANDARD" "$2: none of the file"
}

# dl_infected PORT PATH WHAT [early]: an infected download is blocked.
# "early": the detection falls inside the held part on every Squid (the
# first 60 KiB), so the page comes on the first try. Otherwise a Squid
# that cannot wait for a held download (si_squid_holds) cuts it off: the
# client has neither the whole file nor the EICAR string, in well under
# the time a stall would take, and the retry gets the page.
dl_infected()
{
	local file=${2%%\?*} got=$T/tmp/got
	dl_get "$1" "$2" "$got"
	[ "$DL_RC" = 28 ] && si_fail "$3: stalled (no end after ${DL_MAX_TIME:-120}s)"
	if [ "${4:-}" = early ] || si_squid_holds; then
		dl_page "$got" "$3"
		si_log "$3: block page in ${DL_TIME}s"
		return 0
	fi
	dl_cut_retry "$1" "$2" "$3" "$(stat -c %s "$T/www$file")"
}

# dl_six_at_once PORT: six clean 20 MB downloads at once, each whole and
# unchanged, with an infected one blocked among them.
dl_six_at_once()
{
	local i p pids=""
	for i in 1 2 3 4 5 6; do
		(
			T_GOT=$T/tmp/par$i
			dl_get "$1" /c20M.bin "$T_GOT"
			[ "$DL_RC" = 0 ] && [ "$DL_CODE" = 200 ] && cmp -s "$T_GOT" "$T/www/c20M.bin" ||
			    { echo "parallel $i: rc $DL_RC status $DL_CODE size $DL_SIZE" >&2; exit 1; }
		) &
		pids="$pids $!"
	done
	dl_infected "$1" /eicar-start.bin "EICAR while six download" early
	for p in $pids; do
		wait "$p" || si_fail "a parallel clean download failed"
	done
}

# dl_cut_retry PORT PATH WHAT SIZE: the download just made (dl_get) of a
# file of SIZE bytes was cut off: it ended in an error, short of SIZE and
# without the EICAR bytes; its retry gets the page from the verdict cache.
dl_cut_retry()
{
	local got=$T/tmp/got
	[ "$DL_RC" != 28 ] || si_fail "$3: stalled (no end after ${DL_MAX_TIME:-120}s, $DL_SIZE bytes)"
	[ "$DL_RC" != 0 ] || si_fail "$3: ended as if complete (status $DL_CODE, $DL_SIZE bytes)"
	[ "$DL_SIZE" -lt "$4" ] || si_fail "$3: all $4 bytes delivered before the cut"
	# grep on the file: the same test as on its text without NUL bytes,
	# which takes bash tens of seconds for 60 MB.
	! grep -qaF EICAR-STANDARD "$got" || si_fail "$3: the EICAR bytes were released"
	si_log "$3: cut off after $DL_SIZE of $4 bytes in ${DL_TIME}s (curl exit $DL_RC)"
	dl_get "$1" "$2" "$got"
	dl_page "$got" "$3, retried"
	si_assert_match "$(cat "$got")" "blocked before" "$3, retried: the page says why"
	si_log "$3, retried: block page in ${DL_TIME}s"
	rm -f "$got"
}

# An origin that slows to a trickle after a given byte: what ends the
# client's transfer soon after it is then the service's cut, not the
# origin's end, so the time from the EICAR bytes to the client's end is
# the cut's. Serves $T/www: GET /FILE?pause=N[&rate=R][&chunked=1][&silent=S]
# sends FILE's first N bytes (in 64 KiB pieces, R bytes a second; with the
# whole file's Content-Length, or chunked), waits until the proxy's kernel
# has acknowledged them, logs "PATH?QUERY EPOCH" to $T/log/trickle.times,
# sends nothing for S seconds, then sends the rest 1 KiB every 0.1 s
# (10 KiB/s), until the proxy closes the connection. With silent=, the cut
# must not wait for the origin's next byte: the service scans what it
# staged as soon as c-icap has no more of the body at hand (before, such an
# origin was cut off only when it sent again). Python's http.server, like
# pyorigin.py, under the same names and certificate. dl_trickle_start
# starts it on a free port and sets TRICKLE_PORT; call it after
# si_origin_start (its certificate).
dl_trickle_start()
{
	: > "$T/log/trickle.times"
	si_port TRICKLE_PORT
	si_start_retry trickle-origin TRICKLE_PORT "" dl_trickle_try
}

dl_trickle_try()
{
	si_spawn trickle-origin python3 "$top_srcdir/tests/integration/trickle-origin.py" "$TRICKLE_PORT" \
	    "$T/pki/origin.pem" "$T/pki/origin.key" "$T/www" "$T/log/trickle.times"
	si_wait_listen "$TRICKLE_PORT" trickle-origin 30
}

# dl_cut_soon PATH WHAT: an infected download from the trickling origin
# (PATH with pause= just past the EICAR bytes), past the hold limits, is
# cut off soon after the EICAR bytes reached the proxy, long before the
# trickle could end it: the design target is 1 s, the bound DL_CUT_MAX
# (5 s) leaves room for a loaded 2-core CI machine. The time counts from
# when the proxy's kernel had the bytes (what Squid and c-icap still had
# to move of the body, and the 0.1 s to the next trickle, count too) to
# curl's end. Then the retry gets the page.
dl_cut_soon()
{
	local file=${1%%\?*} t_end t_sent late max=${DL_CUT_MAX:-5} i
	dl_get "$TRICKLE_PORT" "$1" "$T/tmp/got"
	t_end=$(date +%s.%N)
	# The origin notes when the proxy's kernel had the bytes; on a busy
	# machine the cut can reach the client before the origin's thread
	# has written that down.
	for i in $(seq 1 50); do
		t_sent=$(awk -v p="$1" '$1 == p { t = $2 } END { print t }' "$T/log/trickle.times")
		[ -n "$t_sent" ] && break
		sleep 0.1
	done
	[ -n "$t_sent" ] || si_fail "$2: the origin did not send the EICAR bytes (curl exit $DL_RC, $DL_SIZE bytes)"
	late=$(awk -v a="$t_sent" -v b="$t_end" 'BEGIN { printf "%.2f", b - a }')
	si_log "$2: the client's connection ended ${late}s after the EICAR bytes reached the proxy"
	awk -v l="$late" -v m="$max" 'BEGIN { exit !(l <= m) }' ||
	    si_fail "$2: the client's connection ended ${late}s after the EICAR bytes reached the proxy, not within ${max}s (target 1 s; curl exit $DL_RC, $DL_SIZE bytes)"
	dl_cut_retry "$TRICKLE_PORT" "$1" "$2" "$(stat -c %s "$T/www$file")"
}

# dl_audit_whole N [PATHRE]: every download of a clean file (PATHRE, its
# first group the file's name under $T/www; default the c*.bin files of
# dl_make_files) has its audit line, at least N of them, each saying the
# file was allowed after the service scanned all of it: "bytes" counts
# what was both spooled and scanned (svc_spool_scan), for a held download
# as for one released while scanned, so it is the file's size; an
# unscanned pass would carry its own reason ("allowed by policy",
# "inspection off").
dl_audit_whole()
{
	local log=$T/log/audit.log re=${2:-'/(c[0-9]+[KM][.]bin)([?].*)?'} n
	si_wait_count "$log" "\"path\":\"$re\",\"direction\":\"download\"" "$1" \
	    "audit lines of clean downloads" 20
	n=$(python3 - "$log" "$T/www" "$1" "$re" <<'PY'
import json, os, re, sys
log, www, want, pathre = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
n = bad = 0
for line in open(log):
    r = json.loads(line)
    m = re.fullmatch(pathre, r.get("path") or "")
    if r.get("direction") != "download" or not m:
        continue
    n += 1
    size = os.path.getsize(os.path.join(www, m.group(1)))
    if (r["verdict"], r["bytes"]) != ("allow", size) or \
            r["reason"] not in (None, "released while scanned"):
        bad += 1
        print("not scanned whole (%d bytes): %s" % (size, line.strip()),
              file=sys.stderr)
if n < want:
    sys.exit("%d audit lines of clean downloads, not %d" % (n, want))
print(n)
sys.exit(1 if bad else 0)
PY
	) || si_fail "a clean download was not scanned whole (audit log)"
	si_log "audit log: $n clean downloads, each scanned whole"
}

# dl_audit_checks: the audit log tells each kind of end apart, and every
# clean download was scanned whole.
dl_audit_checks()
{
	local log=$T/log/audit.log
	si_wait_log "$log" '"path":"/c200M.bin","direction":"download","verdict":"allow"' \
	    "200 MB download audited"
	si_wait_log "$log" '"path":"/eicar-start.bin","direction":"download","verdict":"block"' \
	    "early block audited"
	if ! si_squid_holds; then
		si_wait_log "$log" '"path":"/eicar-60m.bin","direction":"download","verdict":"block".*transfer cut off' \
		    "cut-off audited"
		si_wait_log "$log" '"path":"/eicar-60m.bin","direction":"download","verdict":"block".*blocked before' \
		    "retry blocked from the verdict cache audited"
	fi
	dl_audit_whole "$DL_CLEAN_N"
}
