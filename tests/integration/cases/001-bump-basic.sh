# A page fetched over HTTPS through Squid is bumped: the client sees a leaf
# issued by the organization's CA (not the origin's), the body arrives
# unchanged, and Squid logs the bumped request.

case_main()
{
	local body cert issuer
	si_start_all
	printf 'hello through the inspecting proxy\n' > "$T/www/hello.txt"

	body=$(si_curl "$(si_url /hello.txt)") || si_fail "curl through the proxy failed"
	si_assert_eq "$body" "hello through the inspecting proxy" "bumped body"

	cert=$(si_served_cert www.origin.test)
	[ -n "$cert" ] || si_fail "no certificate served through the proxy"
	issuer=$(printf '%s\n' "$cert" | openssl x509 -noout -issuer)
	si_assert_match "$issuer" "O ?= ?sslinspect test org" "leaf issuer is the org CA"
	si_assert_nomatch "$issuer" "Test Web Root" "leaf issuer"
	printf '%s\n' "$cert" | openssl verify -CAfile "$SI_ORG_ROOT" \
	    -untrusted "$T/ca/squid-bundle.pem" >/dev/null 2>&1 ||
	    si_fail "served leaf does not verify against the org root"

	si_assert_match "$(cat "$T/log/access.log")" \
	    "GET https://www.origin.test:$ORIGIN_PORT/hello.txt" "access.log shows the decrypted request"
	# The shipped snippets make Squid log no error or warning of its own
	# (no_suid: Squid run by a user other than root cannot switch helpers).
	si_assert_nomatch "$(grep -v -e 'Processing:' -e 'no_suid' "$T/log/cache.log")" "ERROR|WARNING" \
	    "cache.log of a clean bumped fetch"
}
