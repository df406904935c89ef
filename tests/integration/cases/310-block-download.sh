# Downloads through real Squid (ssl-bump) + c-icap + TLS origin: a host a
# policy rule blocks gets the HTML block page (403, reason, rule, URL, user,
# time, incident id) or, for API clients, the JSON one; the EICAR test file
# is blocked by content; both are in the audit log; clean files pass. A
# 2 MB zip with EICAR as its last entry gets the page where Squid can wait
# for the held download (6.13 on); with Squid 5.7 it is released while
# scanned, cut off before its end (never its EICAR bytes) and the retry
# gets the page. An encrypted zip cannot be inspected and is blocked with
# that reason.

SI_NEEDS_MODULE=1
SI_ORIGIN_NAMES="www.origin.test blocked.origin.test"

case_main()
{
	local out code
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
	touch "$T/log/audit.log"
	si_own c-icap "$T/log/audit.log"
	SI_CICAP_EXTRA="sslinspect.PolicyFile $T/etc/policy.yaml
sslinspect.AuditLog $T/log/audit.log"
	si_start_all
	printf 'hello\n' > "$T/www/hello.txt"
	printf '%s' 'X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*' \
	    > "$T/www/eicar.com"
	chmod a+r "$T/www/"*

	code=$(si_curl -o "$T/tmp/page.html" -w '%{http_code}' -H 'Accept-Language: en' \
	    "$(si_url /hello.txt blocked.origin.test)")
	si_assert_eq "$code" 403 "blocked host status"
	out=$(cat "$T/tmp/page.html")
	si_assert_match "$out" "This site is not allowed" "reason on the page"
	si_assert_match "$out" "no-blocked-host" "rule on the page"
	si_assert_match "$out" "https://blocked.origin.test:$ORIGIN_PORT/hello.txt" "URL on the page"
	si_assert_match "$out" "<td[^>]*>[0-9a-f]{16}</td>" "incident id on the page"
	si_assert_match "$out" "<td>[0-9]{4}-[0-9]{2}-[0-9]{2}T" "time on the page"

	out=$(si_curl -H 'Accept: application/json' "$(si_url /hello.txt blocked.origin.test)")
	si_assert_match "$out" '"blocked":true' "JSON block body"
	si_assert_match "$out" '"rule":"no-blocked-host"' "JSON rule"
	si_assert_match "$out" '"incident":"[0-9a-f]{16}"' "JSON incident"

	out=$(si_curl "$(si_url /hello.txt)")
	si_assert_eq "$out" "hello" "clean download"

	code=$(si_curl -o "$T/tmp/eicar.got" -w '%{http_code}' "$(si_url /eicar.com)")
	si_assert_eq "$code" 403 "EICAR download status"
	si_assert_nomatch "$(cat "$T/tmp/eicar.got")" "EICAR-STANDARD" "EICAR body not released"
	si_assert_match "$(cat "$T/tmp/eicar.got")" "This transfer was blocked" "EICAR block page"

	printf 'quarterly numbers\n' > "$T/tmp/report.txt"
	(cd "$T/tmp" && zip -q -P secret "$T/www/locked.zip" report.txt) || si_fail "zip"
	chmod a+r "$T/www/locked.zip"
	code=$(si_curl -o "$T/tmp/locked.got" -w '%{http_code}' "$(si_url /locked.zip)")
	si_assert_eq "$code" 403 "encrypted zip status"
	si_assert_match "$(cat "$T/tmp/locked.got")" "encrypted archive" "encrypted zip reason"

	python3 - "$T/www/big.zip" "$T/www/eicar.com" <<'PY'
import os, sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_STORED) as z:
    z.writestr("random.bin", os.urandom(2000000))
    z.write(sys.argv[2], "eicar.com")
PY
	chmod a+r "$T/www/big.zip"
	code=$(si_curl -o "$T/tmp/big.got" -w '%{http_code}' "$(si_url /big.zip)" 2>/dev/null) || code="cut:$code"
	si_assert_nomatch "$(tr -d '\0' < "$T/tmp/big.got")" "EICAR-STANDARD" \
	    "infected zip: EICAR bytes not released"
	if si_squid_holds; then
		si_assert_eq "$code" 403 "infected 2 MB zip: the block page"
	else
		# Released while scanned past Squid 5.7's 64 KiB pipe: cut off
		# before its end, and the retry gets the page.
		si_assert_match "$code" "^cut:" "infected 2 MB zip: the transfer is cut off"
		[ "$(stat -c %s "$T/tmp/big.got")" -lt "$(stat -c %s "$T/www/big.zip")" ] ||
		    si_fail "infected zip: delivered whole"
		code=$(si_curl -o "$T/tmp/big.got" -w '%{http_code}' "$(si_url /big.zip)")
		si_assert_eq "$code" 403 "infected 2 MB zip, retried: the block page"
		si_assert_match "$(cat "$T/tmp/big.got")" "blocked before" "the retry's page says why"
	fi

	while IFS='|' read -r re what; do
		si_wait_log "$T/log/audit.log" "$re" "$what"
	done <<'AUDIT'
"host":"blocked.origin.test".*"verdict":"block","rule":"no-blocked-host"|policy block audited
"path":"/eicar.com","direction":"download","verdict":"block"|EICAR block audited
"path":"/hello.txt","direction":"download","verdict":"allow"|clean download audited
"client_ip":"127.0.0.1"|client IP from Squid
"path":"/big.zip","direction":"download","verdict":"block"|infected zip block audited
AUDIT
}
