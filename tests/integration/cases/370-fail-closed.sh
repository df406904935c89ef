# Fail closed: when the detection engines cannot load (here a hash
# blocklist that does not exist), every inspected body is blocked with the
# reason "inspection failed", counted in c-icap's info service; requests
# the policy allows without inspection still pass.

SI_NEEDS_MODULE=1

svc_icap()
{
	c-icap-client -i 127.0.0.1 -p "$ICAP_PORT" -s sslinspect "$@" 2>&1
}

case_main()
{
	local out
	printf 'version: 1\nrules:\n  - name: trusted\n    match: { host: [trusted.test] }\n    action: allow\n' \
	    > "$T/etc/policy.yaml"
	chmod a+r "$T/etc/policy.yaml"
	SI_CICAP_EXTRA="sslinspect.HashBlocklist $T/etc/missing-blocklist.txt
sslinspect.PolicyFile $T/etc/policy.yaml"
	si_cicap_start
	si_assert_match "$(cat "$T/log/icap-server.log")" "engines not loaded.*be blocked" \
	    "start-up says traffic will be blocked"
	printf 'harmless text\n' > "$T/tmp/clean.txt"
	out=$(svc_icap -f "$T/tmp/clean.txt" -o "$T/tmp/out" -v -req https://x.test/a.txt)
	si_assert_match "$out" "HTTP/1.1 403 Forbidden" "clean body blocked: engines down"
	si_assert_match "$(cat "$T/tmp/out")" "inspection failed" "reason"
	out=$(svc_icap -f "$T/tmp/clean.txt" -v -req https://trusted.test/a.txt)
	si_assert_match "$out" "ICAP/1.0 204" "allowed host passes without inspection"
	out=$(c-icap-client -i 127.0.0.1 -p "$ICAP_PORT" -s "info?view=text" \
	    -req http://localhost/ 2>&1)
	si_assert_match "$out" "Blocked: inspection failed *: *1" "counter"
}
