# Policy reload under load: while clients download through Squid, a new
# policy is loaded with "sslinspect:reload" (every c-icap process) and takes
# effect without a failed request; a broken policy, on reload and on c-icap
# reconfigure, is refused with file:line:column in the log and the running
# policy stays. The audit log is reopened on reconfigure (rotation).

SI_NEEDS_MODULE=1
SI_ORIGIN_NAMES="www.origin.test other.origin.test"

load_loop()
{
	local i code
	for i in $(seq 1 40); do
		code=$(si_curl -o /dev/null -w '%{http_code}' "$(si_url /page.html)") || code=ERR
		echo "$code" >> "$T/tmp/load.$1"
	done
}

case_main()
{
	local code p n
	p=$T/etc/policy.yaml
	printf 'version: 1\ndefault: { action: inspect }\n' > "$p"
	chmod a+r "$p"
	touch "$T/log/audit.log"
	si_own c-icap "$T/log/audit.log"
	SI_CICAP_EXTRA="sslinspect.PolicyFile $p
sslinspect.AuditLog $T/log/audit.log
DebugLevel 2"
	si_start_all
	head -c 30000 /dev/urandom | base64 > "$T/www/page.html"
	chmod a+r "$T/www/page.html"
	code=$(si_curl -o /dev/null -w '%{http_code}' "$(si_url /page.html other.origin.test)")
	si_assert_eq "$code" 200 "other host allowed at first"

	local pids=""
	for n in 1 2 3; do
		load_loop $n &
		pids="$pids $!"
	done
	sleep 1
	cat > "$p.new" <<'YAML'
version: 1
rules:
  - name: block-other
    match: { host: [other.origin.test] }
    action: block
default: { action: inspect }
YAML
	chmod a+r "$p.new"
	mv "$p.new" "$p"
	si_icap_ctl "sslinspect:reload"
	# shellcheck disable=SC2086
	wait $pids
	n=$(cat "$T"/tmp/load.* | grep -vc '^200$' || true)
	si_assert_eq "$n" 0 "requests that failed during the reload"
	si_assert_eq "$(cat "$T"/tmp/load.* | wc -l)" 120 "requests made under load"
	sleep 0.5
	code=$(si_curl -o /dev/null -w '%{http_code}' "$(si_url /page.html other.origin.test)")
	si_assert_eq "$code" 403 "new policy in effect"

	printf 'version: 1\nrules:\n  - name: x\n    action: explode\n' > "$p"
	si_icap_ctl "sslinspect:reload"
	sleep 1
	si_assert_match "$(cat "$T/log/icap-server.log")" \
	    "policy.yaml:4:13: action must be .*keeping|keeping the running policy: .*policy.yaml:4:13" \
	    "bad policy refused with its position"
	code=$(si_curl -o /dev/null -w '%{http_code}' "$(si_url /page.html other.origin.test)")
	si_assert_eq "$code" 403 "running policy kept after a bad reload"
	code=$(si_curl -o /dev/null -w '%{http_code}' "$(si_url /page.html)")
	si_assert_eq "$code" 200 "service still answers"

	mv "$T/log/audit.log" "$T/log/audit.log.1"
	touch "$T/log/audit.log"
	si_own c-icap "$T/log/audit.log"
	si_icap_ctl reconfigure
	sleep 3
	code=$(si_curl -o /dev/null -w '%{http_code}' "$(si_url /page.html other.origin.test)")
	si_assert_eq "$code" 403 "running policy kept after reconfigure with a bad policy"
	code=$(si_curl -o /dev/null -w '%{http_code}' "$(si_url /page.html)")
	si_assert_eq "$code" 200 "service answers after reconfigure"
	si_wait_log "$T/log/audit.log" '"host":"other.origin.test".*"verdict":"block"' \
	    "audit log reopened after reconfigure"
	# Squid serves repeats from its cache, without RESPMOD: compare with
	# what the origin served.
	si_assert_eq "$(cat "$T/log/audit.log.1" "$T/log/audit.log" |
	    grep -c '"path":"/page.html","direction":"download","verdict":"allow"')" \
	    "$(grep -c 'GET /page.html' "$T/log/origin-access.log")" \
	    "one audit line per download, across the rotation"
}
