# The policy's category: key with categories of the database that
# sslinspect-lists installs, through real Squid and c-icap with curl: a
# host in a blocked category (or below one) gets the block page whose
# Category field names it, as the JSON block body does; a urls entry blocks
# that path only; a list update is used by the running service within
# seconds, with no restart or reconfigure of c-icap or Squid. The audit
# record names the category, and sslinspect-policy explain finds the same
# categories and rule in the same database.

SI_NEEDS_MODULE=1
SI_ORIGIN_NAMES="www.origin.test www.casino.test paste.test"

# explain_categories: sslinspect-policy explain decides as the service did.
explain_categories()
{
	local pol=$top_builddir/icap_service/sslinspect-policy out
	local db=(--category-db "$T/lib/categories.mdb" -p "$T/etc/policy.yaml")
	out=$("$pol" explain "${db[@]}" https://www.casino.test/hello.txt) ||
	    si_fail "explain: $out"
	si_assert_match "$out" "categories: gambling" "explain: the host's category"
	si_assert_match "$out" "rule: +no-gambling" "explain: the rule"
	si_assert_match "$out" "action: +block" "explain: the action"
	out=$("$pol" explain "${db[@]}" https://paste.test/raw/x.txt)
	si_assert_match "$out" "categories: pastebins" "explain: the URL's category"
	out=$("$pol" explain "${db[@]}" https://paste.test/hello.txt)
	si_assert_match "$out" "categories: none" "explain: outside the urls entry"
	si_assert_match "$out" "rule: +default" "explain: outside the urls entry, default"
	out=$("$pol" explain -p "$T/etc/policy.yaml" --category betting https://a.test/)
	si_assert_match "$out" "rule: +no-gambling" "explain --category"
	out=$("$pol" explain -p "$T/etc/policy.yaml" --category-db "$T/nothing.mdb" \
	    https://a.test/ 2>&1) && si_fail "explain with a missing --category-db"
	si_assert_match "$out" "nothing.mdb" "explain names the missing database"
	si_log "explain: same categories and rules as the service"
}

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
	si_wait_log "$T/log/audit.log" '"rule":"no-gambling",.*"category":"gambling"' \
	    "audit record of the block, with its category"

	code=$(si_curl -o "$T/tmp/page.html" -w '%{http_code}' "$(si_url /raw/x.txt paste.test)")
	si_assert_eq "$code" 403 "URL in a blocked category"
	si_assert_match "$(cat "$T/tmp/page.html")" "<td>pastebins</td>" "urls category on the page"
	out=$(si_curl "$(si_url /hello.txt paste.test)")
	si_assert_eq "$out" "hello" "the same host outside the urls entry"
	out=$(si_curl "$(si_url /hello.txt)")
	si_assert_eq "$out" "hello" "a host in no category"

	explain_categories

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
