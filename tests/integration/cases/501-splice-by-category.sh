# Splicing by category through real Squid: a site whose name is in a
# category the bump snippet names (finance, health) is spliced (the client
# sees the origin's own certificate, curl fetches it through the tunnel),
# any other is bumped; the SNI and the CONNECT host must both be in the
# same category, or the connection is refused as a spoof (openssl s_client
# sends them apart). "sslinspect-lists update" of a new set takes effect
# within the helper's ttl and two seconds, with no reconfigure: Squid's
# listening socket stays the same one all along.

SI_ORIGIN_NAMES="www.origin.test online.bank.test www.clinic.test news.test shop.test"
SI_CATEGORY_TTL=1

# hello CONNECT-HOST SNI: spliced, bumped or refused (as in case 008).
hello()
{
	local sni=(-servername "$2") out
	[ "$2" != - ] || sni=(-noservername)
	out=$(openssl s_client -proxy "127.0.0.1:$PROXY_PORT" \
	    -connect "$1:$ORIGIN_PORT" "${sni[@]}" < /dev/null 2>/dev/null |
	    openssl x509 -noout -issuer 2>/dev/null)
	case $out in
	*"Test Web Root"*) echo spliced ;;
	*"sslinspect test org"*) echo bumped ;;
	"") echo refused ;;
	*) echo "other: $out" ;;
	esac
}

CASES="
online.bank.test   online.bank.test   spliced
ONLINE.bank.test   online.bank.test   spliced
online.bank.test   -                  spliced
www.clinic.test    www.clinic.test    spliced
news.test          news.test          bumped
www.origin.test    www.origin.test    bumped
shop.test          online.bank.test   refused
127.0.0.1          online.bank.test   refused
www.clinic.test    online.bank.test   refused
shop.test          -                  bumped
"

# The port's socket (inode) in Squid's table of listening sockets.
listen_inode()
{
	ss -Htlne "sport = :$PROXY_PORT" | grep -o 'ino:[0-9]*' | head -n 1
}

case_main()
{
	local lists=$top_builddir/categories/sslinspect-lists host sni want got
	local n=0 ino body i
	mkdir -p "$T/cats/finance" "$T/cats/health" "$T/cats/news"
	printf 'bank.test\n' > "$T/cats/finance/domains"
	printf 'www.clinic.test\n' > "$T/cats/health/domains"
	printf 'news.test\nshop.test\n' > "$T/cats/news/domains"
	"$lists" -q -d "$T/lib/categories.mdb" update "$T/cats" ||
	    si_fail "sslinspect-lists update"
	si_start_all
	ino=$(listen_inode)
	[ -n "$ino" ] || si_fail "no listening socket found for $PROXY_PORT"

	while read -r host sni want; do
		[ -n "$host" ] || continue
		got=$(hello "$host" "$sni")
		si_log "CONNECT $host, SNI $sni: $got"
		[ "$got" = "$want" ] ||
		    si_fail "CONNECT $host with SNI $sni: expected $want, got $got"
		n=$((n + 1))
	done <<< "$CASES"
	[ "$n" = 10 ] || si_fail "ran $n of 10 combinations"

	body=$(curl -sS --max-time 20 --proxy "http://127.0.0.1:$PROXY_PORT" \
	    --cacert "$T/pki/web-root.pem" \
	    "$(si_url /index.html online.bank.test)") ||
	    si_fail "curl through the spliced tunnel failed"
	si_assert_match "$body" "sslinspect test origin" "spliced body"
	body=$(si_curl "$(si_url /index.html news.test)") ||
	    si_fail "curl to the bumped site failed"
	si_assert_match "$body" "sslinspect test origin" "bumped body"
	si_wait_log "$T/log/access.log" 'GET https://news\.test' "bumped request visible"
	si_wait_log "$T/log/access.log" \
	    'CONNECT shop\.test:[0-9]+ .* refused:sni-not-connect-host' \
	    "the refused spoof, with its reason"
	si_assert_nomatch "$(cat "$T/log/access.log")" "GET https://online\.bank" \
	    "no request inside a spliced tunnel is visible"

	# A new set: news.test moves to finance, the clinic leaves health.
	printf 'bank.test\nnews.test\n' > "$T/cats/finance/domains"
	printf 'other.test\n' > "$T/cats/health/domains"
	"$lists" -q -d "$T/lib/categories.mdb" update "$T/cats" ||
	    si_fail "sslinspect-lists update under Squid"
	# Each answer is Squid's own for up to ttl plus two seconds (whole
	# seconds, and the helper looks at the file once a second): poll every
	# name, each got its answer at another time.
	for i in $(seq 1 20); do
		[ "$(hello news.test news.test)" = spliced ] &&
		    [ "$(hello www.clinic.test www.clinic.test)" = bumped ] && break
		sleep 0.5
	done
	si_assert_eq "$(hello news.test news.test)" spliced "news.test after the update"
	si_assert_eq "$(hello www.clinic.test www.clinic.test)" bumped "the clinic after the update"
	si_assert_eq "$(hello online.bank.test online.bank.test)" spliced "the bank after the update"
	si_assert_eq "$(listen_inode)" "$ino" "Squid's listening socket was never closed"
	si_assert_nomatch "$(cat "$T/log/cache.log")" "Reconfiguring|sslinspect-category-acl:" \
	    "no reconfigure, no helper complaint"
	si_assert_nomatch "$(cat "$T/log/cache.log")" "reserved for Squid use" \
	    "the helper's annotation is a custom one (Squid 6 warns otherwise)"
	# The TLS decision log names the category that spliced or refused.
	local tls
	tls=$(si_tls_log)
	si_assert_eq "$(printf '%s\n' "$tls" | head -n 7)" "online.bank.test online.bank.test spliced:category finance splice
online.bank.test online.bank.test spliced:category finance splice
online.bank.test - spliced:category finance splice
www.clinic.test www.clinic.test spliced:category health splice
shop.test online.bank.test refused:sni-not-connect-host finance terminate
127.0.0.1 online.bank.test refused:sni-not-connect-host finance terminate
www.clinic.test online.bank.test refused:sni-not-connect-host finance terminate" \
	    "the TLS decision log, before the update"
	si_assert_match "$tls" "^news\.test news\.test spliced:category finance splice$" \
	    "news.test spliced as finance after the update"
}
