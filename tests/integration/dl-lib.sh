# shellcheck shell=bash
# Helpers shared by the download cases (390, 391), sourced by a case file:
# the test files, a clean download checked byte for byte, an infected one
# checked for the page or the cut-off, and the audit log's account of it.

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
# status), DL_CODE, DL_SIZE and DL_TIME. A stall ends at DL_MAX_TIME.
dl_get()
{
	local w
	DL_RC=0
	w=$(curl -sS --max-time "${DL_MAX_TIME:-120}" --proxy "http://127.0.0.1:$PROXY_PORT" \
	    --cacert "$SI_ORG_ROOT" -o "$3" -D "$3.headers" \
	    -w '%{http_code} %{size_download} %{time_total}' \
	    "https://www.origin.test:$1$2" 2> "$3.err") || DL_RC=$?
	read -r DL_CODE DL_SIZE DL_TIME <<< "$w"
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
	local file=${2%%\?*} got=$T/tmp/got size
	size=$(stat -c %s "$T/www$file")
	dl_get "$1" "$2" "$got"
	[ "$DL_RC" = 28 ] && si_fail "$3: stalled (no end after ${DL_MAX_TIME:-120}s)"
	if [ "${4:-}" = early ] || si_squid_holds; then
		dl_page "$got" "$3"
		si_log "$3: block page in ${DL_TIME}s"
		return 0
	fi
	[ "$DL_RC" != 0 ] || si_fail "$3: ended as if complete (status $DL_CODE, $DL_SIZE bytes)"
	[ "$DL_SIZE" -lt "$size" ] || si_fail "$3: all $size bytes delivered before the cut"
	si_assert_nomatch "$(tr -d '\0' < "$got")" "EICAR-STANDARD" "$3: the EICAR bytes were released"
	si_log "$3: cut off after $DL_SIZE of $size bytes in ${DL_TIME}s (curl exit $DL_RC)"
	dl_get "$1" "$2" "$got"
	dl_page "$got" "$3, retried"
	si_assert_match "$(cat "$got")" "blocked before" "$3, retried: the page says why"
	si_log "$3, retried: block page in ${DL_TIME}s"
	rm -f "$got"
}

# dl_audit_checks: the audit log tells each kind of end apart.
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
	si_assert_nomatch "$(cat "$log")" 'pass-unscanned' "nothing passed unscanned"
}
