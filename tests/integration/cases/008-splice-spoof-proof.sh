# Splicing cannot be talked into: a connection is spliced only when the
# CONNECT authority (where Squid connects) and the SNI (what the ClientHello
# names) are both on the do-not-inspect list. A client that asks for
# CONNECT to an unlisted host while naming a listed one in its SNI would
# otherwise get an uninspected tunnel to any host it likes; Squid refuses
# it (ssl_bump terminate) and the access log says why. Each combination is
# tried with openssl s_client -proxy, which sends the CONNECT and the
# ClientHello apart. With the snippet's page choice uncommented, such a
# client gets the service's block page instead (curl --connect-to sends
# the CONNECT to one host and the SNI of another), and the host it
# connected to gets no request.

SI_NEEDS_MODULE=1
SI_ORIGIN_NAMES="www.origin.test bank.origin.test evil.origin.test"
SI_NO_INSPECT=".bank.origin.test"

# hello CONNECT-HOST SNI: the issuer of the certificate served, or
# "refused" when no handshake completed. SNI "-" sends none.
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

# CONNECT host            SNI                    expected
CASES="
bank.origin.test         bank.origin.test        spliced
BANK.origin.test         bank.origin.test        spliced
bank.origin.test         -                       spliced
evil.origin.test         bank.origin.test        refused
127.0.0.1                bank.origin.test        refused
evil.origin.test         x.bank.origin.test      refused
bank.origin.test         www.origin.test         bumped
www.origin.test          www.origin.test         bumped
evil.origin.test         -                       bumped
"

case_main()
{
	local host sni want got n=0 tls
	si_start_all
	while read -r host sni want; do
		[ -n "$host" ] || continue
		got=$(hello "$host" "$sni")
		si_log "CONNECT $host, SNI $sni: $got"
		[ "$got" = "$want" ] ||
		    si_fail "CONNECT $host with SNI $sni: expected $want, got $got"
		n=$((n + 1))
	done <<< "$CASES"
	[ "$n" = 9 ] || si_fail "ran $n of 9 combinations"

	# The refusal is in access.log with its reason, for the admin.
	si_wait_log "$T/log/access.log" \
	    'CONNECT evil\.origin\.test:[0-9]+ .* HIER_NONE/- .* refused:sni-not-connect-host -$' \
	    "the refused spoof, with its reason"
	# And in the TLS decision log, one JSON record for each spliced or
	# refused connection; a bumped one is the service's to audit.
	si_wait_count "$T/log/tls.log" '"decision"' 6 "the TLS decision records"
	tls=$(si_tls_log)
	si_log "tls.log: $(printf '%s' "$tls" | tr '\n' ';')"
	si_assert_eq "$(printf '%s\n' "$tls" | wc -l)" 6 "records in tls.log"
	si_assert_eq "$(printf '%s\n' "$tls" | grep -c ' spliced:no-inspect - splice$')" 3 \
	    "the spliced tunnels in tls.log"
	si_assert_match "$tls" "^evil\.origin\.test bank\.origin\.test refused:sni-not-connect-host - terminate$" \
	    "the spoof in tls.log"
	si_assert_match "$tls" "^127\.0\.0\.1 bank\.origin\.test refused:sni-not-connect-host" \
	    "the spoof to an address in tls.log"
	si_assert_match "$tls" "^evil\.origin\.test x\.bank\.origin\.test refused:" \
	    "the spoofed subdomain in tls.log"
	# A SNI that JSON would need escaped (a quote, a backslash, a control
	# byte, UTF-8) leaves every record valid, %-encoded. Squid's parser
	# takes such a ClientHello for something else than TLS, and refuses it.
	hello www.origin.test $'x"y\\z\001\xc3\xa9.test' > /dev/null
	si_wait_count "$T/log/tls.log" '"decision"' 7 "the record of the odd SNI"
	tls=$(si_tls_log)
	si_log "odd SNI: $(printf '%s\n' "$tls" | tail -n 1)"
	si_assert_match "$(printf '%s\n' "$tls" | tail -n 1)" '^www\.origin\.test x%22y%5Cz%01%C3%A9\.test refused:not-tls ' \
	    "the odd SNI, %-encoded"
	# A spliced tunnel stays invisible; the refused one never reached the
	# origin as a request either.
	si_assert_nomatch "$(cat "$T/log/access.log")" "GET https://(bank|evil)" \
	    "no request inside a spliced or refused tunnel is visible"
	spoof_page
}

# spoof_page: the "blocked with a page" choice for a listed SNI behind an
# unlisted CONNECT host.
spoof_page()
{
	local code body
	si_stop_one squid
	SI_BUMP_SED='s/^#\(ssl_bump bump sslinspect_[a-z_]* sslinspect_spoofed_blocked\)/\1/'
	si_squid_start
	: > "$T/log/origin-access.log"
	code=$(si_curl -o "$T/tmp/spoof.html" -w '%{http_code}' \
	    --connect-to "bank.origin.test:$ORIGIN_PORT:evil.origin.test:$ORIGIN_PORT" \
	    "https://bank.origin.test:$ORIGIN_PORT/index.html")
	body=$(cat "$T/tmp/spoof.html")
	si_log "page chosen, CONNECT evil, SNI bank: HTTP $code"
	si_assert_eq "$code" 403 "the spoof gets the block page"
	si_assert_match "$body" "tls:sni-not-connect-host" "the page names the rule"
	si_wait_log "$T/log/access.log" \
	    'CONNECT evil\.origin\.test:[0-9]+ .* blocked:sni-not-connect-host -$' \
	    "the CONNECT, noted"
	si_wait_log "$T/log/audit.log" '"rule":"tls:sni-not-connect-host"' "the audit record"
	si_assert_eq "$(wc -l < "$T/log/origin-access.log")" 0 "the origin saw no request"
	# Still spliced when both names are listed.
	si_assert_eq "$(hello bank.origin.test bank.origin.test)" spliced "a listed pair, page chosen"
}
