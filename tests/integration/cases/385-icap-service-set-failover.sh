# Two c-icap hosts with the same service and policy behind one Squid, as
# an adaptation_service_set per direction (doc/scaling.md): the first
# host serves while it is up; once it is killed (kill -9, so connections
# to it are refused), every transfer goes to the second one and none is
# lost: clean downloads and uploads arrive byte for byte, EICAR still gets
# the block page.

SI_NEEDS_MODULE=1

# fetch_ok PATH: a clean download through the proxy, byte for byte.
fetch_ok()
{
	si_curl -o "$T/tmp/got" "$(si_url "$1")" ||
	    si_fail "$1: the download failed"
	cmp -s "$T/tmp/got" "$T/www$1" || si_fail "$1: the download differs"
}

# blocked PATH: EICAR through the proxy gets the block page.
blocked()
{
	local code
	code=$(si_curl -o "$T/tmp/page" -D "$T/tmp/page.h" -w '%{http_code}' \
	    "$(si_url "$1")") || si_fail "$1: no answer"
	si_assert_eq "$code" 403 "$1 blocked"
	grep -qi '^X-Sslinspect-Incident: [0-9a-f]\{16\}' "$T/tmp/page.h" ||
	    si_fail "$1: not the block page"
}

# upload_ok: a 2 MB upload arrives.
upload_ok()
{
	local got
	got=$(si_curl --data-binary @"$T/tmp/up.bin" -H 'Expect:' \
	    -H 'Content-Type: application/octet-stream' "$(si_url /upload)") ||
	    si_fail "the upload failed"
	si_assert_eq "$got" received "the upload arrived"
}

case_main()
{
	local f i a b
	# shellcheck disable=SC2016 # the EICAR string, literally
	printf '%s' 'X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*' \
	    > "$T/www/eicar.txt"
	for f in 1000 70000 3000000; do
		head -c "$f" /dev/urandom > "$T/www/c$f.bin"
	done
	head -c 2000000 /dev/urandom > "$T/tmp/up.bin"
	si_origin_start
	si_cicap_start
	si_cicap_b_start
	SI_ICAP_CONF="icap_enable on
icap_service si_req_a reqmod_precache icap://127.0.0.1:$ICAP_PORT/sslinspect bypass=off on-overload=wait
icap_service si_req_b reqmod_precache icap://127.0.0.1:$ICAP_PORT_B/sslinspect bypass=off on-overload=wait
icap_service si_resp_a respmod_precache icap://127.0.0.1:$ICAP_PORT/sslinspect bypass=off on-overload=wait
icap_service si_resp_b respmod_precache icap://127.0.0.1:$ICAP_PORT_B/sslinspect bypass=off on-overload=wait
icap_service_failure_limit -1
adaptation_service_set si_req si_req_a si_req_b
adaptation_service_set si_resp si_resp_a si_resp_b
acl si_connect method CONNECT
adaptation_access si_req deny si_connect
adaptation_access si_req allow all
adaptation_access si_resp deny si_connect
adaptation_access si_resp allow all
acl si_decrypted proto HTTPS
cache deny si_decrypted"
	si_squid_start

	# Both up: the first host of each set serves.
	fetch_ok /c70000.bin
	blocked /eicar.txt
	upload_ok
	si_wait_log "$T/log/icap-access.log" 'RESPMOD sslinspect' "host A served"
	b=$(grep -c 'MOD sslinspect' "$T/log/icap-b-access.log" || true)
	si_assert_eq "$b" 0 "host B idle while A is up"

	# Host A dies: nothing is lost, host B takes every transfer.
	a=$(awk '$2 == "c-icap" { p = $1 } END { print p }' "$SI_PIDS")
	{ kill -9 -- "-$a"; wait "$a"; } 2>/dev/null || true
	for i in $(seq 1 50); do
		(exec 3<>"/dev/tcp/127.0.0.1/$ICAP_PORT") 2>/dev/null || break
		sleep 0.1
	done
	! (exec 3<>"/dev/tcp/127.0.0.1/$ICAP_PORT") 2>/dev/null ||
	    si_fail "host A still accepts after kill -9"
	a=$(grep -c 'MOD sslinspect' "$T/log/icap-access.log" || true)
	for i in 1 2 3; do
		for f in 1000 70000 3000000; do
			fetch_ok "/c$f.bin"
		done
		blocked /eicar.txt
		upload_ok
	done
	b=$(grep -c 'RESPMOD sslinspect' "$T/log/icap-b-access.log" || true)
	[ "$b" -ge 12 ] || si_fail "host B served $b downloads, not every one"
	si_assert_eq "$(grep -c 'MOD sslinspect' "$T/log/icap-access.log" || true)" \
	    "$a" "host A served nothing after it died"
}
