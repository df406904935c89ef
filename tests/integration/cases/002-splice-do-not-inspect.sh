# A site on the do-not-inspect list is spliced: the client sees the
# origin's own certificate (issued by the web root), not a minted one, and
# Squid never sees the request inside the tunnel.

SI_ORIGIN_NAMES="www.origin.test bank.origin.test"
SI_NO_INSPECT=".bank.origin.test"

case_main()
{
	local cert issuer body
	si_start_all

	cert=$(si_served_cert bank.origin.test)
	[ -n "$cert" ] || si_fail "no certificate served for the spliced site"
	issuer=$(printf '%s\n' "$cert" | openssl x509 -noout -issuer)
	si_assert_match "$issuer" "Test Web Root" "spliced site keeps its own certificate"

	body=$(curl -sS --max-time 20 --proxy "http://127.0.0.1:$PROXY_PORT" \
	    --cacert "$T/pki/web-root.pem" "$(si_url /index.html bank.origin.test)") ||
	    si_fail "curl to the spliced site failed"
	si_assert_match "$body" "sslinspect test origin" "spliced body"

	# Bumped and spliced side by side: the other name is still inspected.
	issuer=$(si_served_cert www.origin.test | openssl x509 -noout -issuer)
	si_assert_match "$issuer" "sslinspect test org" "non-listed site is bumped"
	si_assert_nomatch "$(cat "$T/log/access.log")" "GET https://bank.origin.test" \
	    "spliced request must not be visible to Squid"
}
