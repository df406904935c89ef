# The policy's category: key with categories of the database that
# sslinspect-lists installs, through real Squid and c-icap with curl: a
# host in a blocked category (or below one) gets the block page whose
# Category field names it, as the JSON block body does; a urls entry blocks
# that path only; a list update is used by the running service within
# seconds, with no restart or reconfigure of c-icap or Squid.

SI_NEEDS_MODULE=1
SI_ORIGIN_NAMES="www.origin.test www.casino.test paste.test"

case_main()
{
	local lists=$top_builddir/categories/sslinspect-lists out code i
	mkdir -p "$T/cats/gambling" "$T/cats/pastebins"
	printf 'casino.test\n' > "$T/cats/gambling/domains"
	printf 'paste.test/raw\n' > "$T/cats/pastebins/urls"
	"$lists" -q -d "$T/lib/categories.mdb" update "$T/cats" ||
	    si_fail "sslinspect-lists update"
	cat > "$T/etc/policy.yaml" <<'YAML'
version: 1
rules:
  - name: no-gambling
    match: { category: [gambling, betting] }
    action: block
    reason: Gambling sites are not allowed
  - name: no-pastebins
    match: { category: pastebins }
    action: block
    reason: Paste sites are not allowed
default: { action: inspect }
YAML
	chmod a+r "$T/etc/policy.yaml"
	SI_CICAP_EXTRA="sslinspect.PolicyFile $T/etc/policy.yaml
sslinspect.CategoryDB $T/lib/categories.mdb"
	si_start_all
	printf 'hello\n' > "$T/www/hello.txt"
	mkdir -p "$T/www/raw"
	printf 'hello\n' > "$T/www/raw/x.txt"
	chmod -R a+rX "$T/www"

	code=$(si_curl -o "$T/tmp/page.html" -w '%{http_code}' -H 'Accept-Language: en' \
	    "$(si_url /hello.txt www.casino.test)")
	si_assert_eq "$code" 403 "host in a blocked category"
	out=$(cat "$T/tmp/page.html")
	si_assert_match "$out" "Gambling sites are not allowed" "reason on the page"
	si_assert_match "$out" "<th[^>]*>Category</th><td>gambling</td>" "Category field on the page"
	si_assert_match "$out" "no-gambling" "rule on the page"
	out=$(si_curl -H 'Accept: application/json' "$(si_url /hello.txt www.casino.test)")
	si_assert_match "$out" '"category":"gambling"' "JSON block body names the category"
	si_wait_log "$T/log/audit.log" '"rule":"no-gambling"' "audit record of the block"

	code=$(si_curl -o "$T/tmp/page.html" -w '%{http_code}' "$(si_url /raw/x.txt paste.test)")
	si_assert_eq "$code" 403 "URL in a blocked category"
	si_assert_match "$(cat "$T/tmp/page.html")" "<td>pastebins</td>" "urls category on the page"
	out=$(si_curl "$(si_url /hello.txt paste.test)")
	si_assert_eq "$out" "hello" "the same host outside the urls entry"
	out=$(si_curl "$(si_url /hello.txt)")
	si_assert_eq "$out" "hello" "a host in no category"

	# The casino leaves the category: allowed within seconds.
	printf 'other.test\n' > "$T/cats/gambling/domains"
	"$lists" -q -d "$T/lib/categories.mdb" update "$T/cats" ||
	    si_fail "sslinspect-lists update under c-icap"
	for i in $(seq 1 20); do
		out=$(si_curl "$(si_url /hello.txt www.casino.test)")
		[ "$out" = hello ] && break
		sleep 0.5
	done
	si_assert_eq "$out" "hello" "allowed after the list update"
	si_assert_nomatch "$(cat "$T/log/icap-server.log")" "CategoryDB" \
	    "the service never complained about the database"
}
