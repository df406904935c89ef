# A real browser through the bump: headless Chromium, with the org root
# trusted in the NSS database under its HOME, loads a page through Squid
# (sslinspect-certgen minting the leaf, concurrency on) with no certificate
# error: the dumped DOM holds the origin's content. Chromium talks only to
# the proxy on loopback; its background services are off.

SI_CERTGEN_ARGS="--crl-url http://crl.test/{ca}.crl"

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

case_main()
{
	local home=$T/home profile=$T/chromium dom
	[ -x "$top_builddir/cert_helper/sslinspect-certgen" ] || exit 77
	[ -x "$CHROMIUM" ] || exit 77
	si_start_all
	printf '<html><body><p id="m">bumped page seen by chromium</p></body></html>\n' \
	    > "$T/www/chromium.html"
	chmod a+r "$T/www/chromium.html"

	si_chromium_nssdb "$home"
	si_chromium_dom "$home" "$profile" "$(si_url /chromium.html)" \
	    "$T/dom.html" "$T/log/chromium.err" 90
	dom=$(cat "$T/dom.html")
	si_assert_match "$dom" "bumped page seen by chromium" \
	    "Chromium loaded the bumped page ($(tail -n 5 "$T/log/chromium.err" | tr '\n' ' '))"
	si_assert_nomatch "$dom" "Your connection is not private|NET::ERR_CERT" \
	    "no certificate interstitial"
	si_assert_match "$(cat "$T/log/access.log")" \
	    "GET https://www.origin.test:$ORIGIN_PORT/chromium.html" \
	    "the page went through the bump"
}
