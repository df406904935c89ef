# "Quote the incident id" leads somewhere: the id a block page shows (and
# its X-Sslinspect-Incident header) ends the request's line in Squid's
# access.log, through the shipped logformat (sslinspect-icap.conf) and
# access log snippet (sslinspect-log.conf), and keys its line in the audit
# log, which the harness turns on as the default does. A clean download's
# line carries the id of its audit line too; a CONNECT, which no ICAP
# service sees, says "-".

SI_NEEDS_MODULE=1
SI_ORIGIN_NAMES="www.origin.test blocked.origin.test"

# incident_of FILE: the id in a response's X-Sslinspect-Incident header.
incident_of()
{
	sed -n 's/^X-Sslinspect-Incident: \([0-9a-f]\{16\}\)\r\{0,1\}$/\1/p' "$1" | tail -n 1
}

case_main()
{
	local id line url
	cat > "$T/etc/policy.yaml" <<'YAML'
version: 1
rules:
  - name: no-blocked-host
    match: { host: [blocked.origin.test] }
    action: block
    reason: This site is not allowed
YAML
	chmod a+r "$T/etc/policy.yaml"
	SI_CICAP_EXTRA="sslinspect.PolicyFile $T/etc/policy.yaml"
	si_start_all
	printf 'hello\n' > "$T/www/hello.txt"
	printf '%s' 'X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*' \
	    > "$T/www/eicar.com"
	chmod a+r "$T/www/"*

	for url in "$(si_url /hello.txt blocked.origin.test)" "$(si_url /eicar.com)" \
	    "$(si_url /hello.txt)"; do
		si_curl -o "$T/tmp/body" -D "$T/tmp/head" "$url" || si_fail "fetch $url"
		id=$(incident_of "$T/tmp/head")
		if [ -z "$id" ]; then
			# A clean answer carries no header for the client: take the
			# id Squid logged and find it in the audit log.
			si_wait_log "$T/log/access.log" "GET $url .* [0-9a-f]{16}\$"
			id=$(grep -F " GET $url " "$T/log/access.log" | tail -n 1 | awk '{ print $NF }')
		fi
		[ -n "$id" ] || si_fail "no incident id for $url"
		si_wait_log "$T/log/access.log" " GET $url .* $id\$"
		si_wait_log "$T/log/audit.log" "\"incident\":\"$id\""
		line=$(grep -F "\"incident\":\"$id\"" "$T/log/audit.log")
		si_assert_match "$line" "\"path\":\"/${url#https://*/}\"" "the audit line is this request's"
	done
	si_assert_match "$(grep -F "\"incident\":\"$id\"" "$T/log/audit.log")" '"verdict":"allow"' \
	    "the clean download's audit line"
	si_assert_match "$(grep ' CONNECT ' "$T/log/access.log" | head -n 1)" ' -$' \
	    "a CONNECT has no incident id"
}
