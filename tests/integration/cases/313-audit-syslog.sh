# sslinspect.AuditSyslog: every audit record also reaches a syslog
# collector (here a UDP listener on loopback) as an RFC 5424 message whose
# structured data carries the incident, verdict, direction, host and rule,
# and whose message is the audit JSON line (the same as in the file, the
# same incident as the block page's X-Sslinspect-Incident header).

SI_NEEDS_MODULE=1

case_main()
{
	local port id
	si_syslog_collector port "$T/log/collector.txt"
	SI_CICAP_EXTRA="sslinspect.AuditSyslog udp://127.0.0.1:$port"
	si_start_all
	# shellcheck disable=SC2016 # the EICAR string, literally
	printf '%s' 'X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*' \
	    > "$T/www/eicar.com"
	printf 'hello\n' > "$T/www/hello.txt"
	chmod a+r "$T/www/"*
	si_curl -o /dev/null -D "$T/tmp/head" "$(si_url /eicar.com)" ||
	    si_fail "EICAR fetch"
	id=$(sed -n 's/^X-Sslinspect-Incident: \([0-9a-f]\{16\}\)\r\{0,1\}$/\1/p' \
	    "$T/tmp/head")
	[ -n "$id" ] || si_fail "no block page"
	si_curl -o /dev/null "$(si_url /hello.txt)" || si_fail "clean fetch"
	si_wait_count "$T/log/collector.txt" . 2 "two records at the collector"
	python3 - "$T/log/collector.txt" "$T/log/audit.log" "$id" <<'PY' ||
import json, re, sys
msgs = [bytes.fromhex(l.strip()) for l in open(sys.argv[1]) if l.strip()]
audit = [json.loads(l) for l in open(sys.argv[2])]
rx = re.compile(rb'^<(\d{1,3})>1 (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ) (\S+) '
                rb'sslinspect (\d+) audit \[sslinspect@32473 '
                rb'incident="([0-9a-f]{16})" verdict="(\w+)" '
                rb'direction="(\w+)" host="([^"\]\\]*)" rule="([^"\]]*)"\] '
                rb'\xef\xbb\xbf(\{.*\})$', re.S)
seen = {}
for m in msgs:
    g = rx.match(m)
    if not g:
        sys.exit("not RFC 5424 as documented: %r" % m[:200])
    rec = json.loads(g.group(10))
    if rec["incident"] != g.group(5).decode() or \
       rec["verdict"] != g.group(6).decode():
        sys.exit("structured data and JSON disagree: %r" % m[:300])
    if rec not in audit:
        sys.exit("record not in the audit file: %r" % rec)
    seen[rec["verdict"]] = (int(g.group(1)), rec)
blk = seen.get("block")
if blk is None or blk[1]["incident"] != sys.argv[3] or blk[0] != 29:
    sys.exit("the block (daemon.notice, the page's incident) is missing: %r" % seen)
if "allow" not in seen or seen["allow"][0] != 30:
    sys.exit("the clean download (daemon.info) is missing: %r" % seen)
print("collector: %d RFC 5424 messages, block %s" % (len(msgs), sys.argv[3]))
PY
	    si_fail "the collector's messages (above)"
}
