# shellcheck shell=bash
# The attacker's corpus of issue 12 (cases 393 to 396), sourced by a case
# file: each attempt goes through the proxy as a client would send it, and
# its result is one line "CORPUS case | attempt | expected | got" in the
# case's log and in $T/log/corpus.txt. A case fails at the first attempt
# whose result is not the one expected.
#
# Results: "block" is the 403 page with its incident id; "cut" is a
# download ended early without its payload (a Squid before 6.13 cannot
# wait for a held download; see srv_sslinspect(5)), and "refused" Squid's
# own error page (it refuses a message it cannot parse before any service
# sees it), both of which count as a block; "pass" is the origin's
# answer, for a download byte for byte the file.

# shellcheck disable=SC2016,SC2034 # the EICAR string, literally; for the cases
CX_EICAR='X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'
CX_CARD='4111 1111 1111 1111'

# cx_setup: the audit log (call before si_start_all).
cx_setup()
{
	touch "$T/log/audit.log" "$T/log/corpus.txt"
	si_own c-icap "$T/log/audit.log"
	SI_CICAP_EXTRA="sslinspect.AuditLog $T/log/audit.log
${SI_CICAP_EXTRA:-}"
}

# cx_curl OUT ARGS...: curl through the proxy into OUT (headers in
# OUT.h); sets CX_RC and CX_CODE.
cx_curl()
{
	local out=$1
	shift
	CX_RC=0
	CX_CODE=$(curl -sS --max-time "${CX_MAX_TIME:-60}" \
	    --proxy "http://127.0.0.1:$PROXY_PORT" --cacert "$SI_ORG_ROOT" \
	    -o "$out" -D "$out.h" -w '%{http_code}' "$@" 2> "$out.err") || CX_RC=$?
}

# cx_got OUT [FILE]: what the client got: block, cut, pass or other:...;
# with FILE a pass must be FILE byte for byte.
cx_got()
{
	local out=$1 file=${2:-}
	if [ "$CX_CODE" = 403 ] && grep -qi '^X-Sslinspect-Incident: [0-9a-f]\{16\}' "$out.h"; then
		echo block
	elif grep -qi '^X-Squid-Error: ' "$out.h" &&
	    ! tr -d '\0' < "$out" | grep -qF -e 'EICAR-STANDARD' -e "$CX_CARD"; then
		echo refused
	elif [ "$CX_RC" != 0 ] && [ -n "$file" ] &&
	    si_lost_last_chunk "$CX_RC" "$out.h" "$out" "$file"; then
		echo pass
	elif [ "$CX_RC" != 0 ]; then
		if tr -d '\0' < "$out" | grep -qF -e 'EICAR-STANDARD' -e "$CX_CARD"; then
			echo "other:cut-after-payload"
		else
			echo cut
		fi
	elif [ "${CX_CODE#2}" != "$CX_CODE" ]; then
		if [ -n "$file" ] && ! cmp -s "$out" "$file"; then
			echo "other:$CX_CODE-differs"
		else
			echo pass
		fi
	else
		echo "other:$CX_CODE rc $CX_RC"
	fi
}

# cx_check WHAT EXPECTED GOT: record the line; fail on a mismatch (with
# CX_RECORD_ONLY=1 only record it: to run the corpus against another
# build and compare).
cx_check()
{
	local what=$1 want=$2 got=$3 ok=0
	case $want:$got in
	block:block | block:cut | block:refused | pass:pass) ok=1 ;;
	esac
	printf 'CORPUS %s | %s | %s | %s\n' "$SI_CASE" "$what" "$want" "$got" |
	    tee -a "$T/log/corpus.txt" >&2
	[ $ok = 1 ] || [ "${CX_RECORD_ONLY:-0}" = 1 ] ||
	    si_fail "$what: expected $want, got $got ($(head -c 300 "$T/tmp/cx.err" 2>/dev/null))"
}

# cx_upload WHAT EXPECTED CURLARGS...: a POST to the nginx origin's
# /upload (or the URL given in the arguments).
cx_upload()
{
	local what=$1 want=$2
	shift 2
	cx_curl "$T/tmp/cx" "$@"
	if [ "$(cx_got "$T/tmp/cx")" = pass ] && ! grep -q received "$T/tmp/cx"; then
		cx_check "$what" "$want" "other:$CX_CODE-not-the-origin"
		return
	fi
	cx_check "$what" "$want" "$(cx_got "$T/tmp/cx")"
}

# cx_download WHAT EXPECTED FILE CURLARGS...: a download; a pass must be
# FILE byte for byte ("-" for any body).
cx_download()
{
	local what=$1 want=$2 file=$3
	shift 3
	[ "$file" = - ] && file=
	cx_curl "$T/tmp/cx" "$@"
	cx_check "$what" "$want" "$(cx_got "$T/tmp/cx" "$file")"
}

# cx_url PORT PATH: the origin URL on PORT (nginx or http.server).
cx_url()
{
	echo "https://www.origin.test:$1$2"
}
