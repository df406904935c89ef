# Fail open on request: with sslinspect.FailOpen on, the same engine
# failure as in 370 lets the body pass (byte-identical) and counts it as a
# fail-open pass.

SI_NEEDS_MODULE=1

svc_icap()
{
	c-icap-client -i 127.0.0.1 -p "$ICAP_PORT" -s sslinspect "$@" 2>&1
}

case_main()
{
	local out
	SI_CICAP_EXTRA="sslinspect.HashBlocklist $T/etc/missing-blocklist.txt
sslinspect.FailOpen on"
	si_cicap_start
	si_assert_match "$(cat "$T/log/icap-server.log")" "engines not loaded.*pass \(FailOpen on\)" \
	    "start-up says traffic will pass"
	head -c 100000 /dev/urandom > "$T/tmp/body"
	out=$(svc_icap -f "$T/tmp/body" -o "$T/tmp/out" -no204 -nopreview -v)
	si_assert_nomatch "$out" "403 Forbidden" "not blocked"
	cmp -s "$T/tmp/body" "$T/tmp/out" || si_fail "body not passed byte-identical"
	out=$(c-icap-client -i 127.0.0.1 -p "$ICAP_PORT" -s "info?view=text" \
	    -req http://localhost/ 2>&1)
	si_assert_match "$out" "Fail-open passes *: *1" "counter"
}
