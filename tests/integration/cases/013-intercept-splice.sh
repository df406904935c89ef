# Transparent interception (https_port ... intercept ssl-bump, enabled as
# the bump snippet describes) splices only what it cannot be talked into:
# a client that is redirected by the firewall sends no CONNECT, Squid
# connects to the address the client was going to, so a listed SNI is
# spliced only when it resolves to that very address. A listed SNI sent to
# another site is refused with its reason in access.log; an unlisted one is
# bumped, and so is one without SNI (bumped:no-sni); one that is not TLS is
# refused (refused:not-tls), as on the explicit port.
#
# The interception is real: nftables redirects TCP port 443 to Squid's
# intercepting port and Squid reads the original destination from
# conntrack. All of it happens in a private network namespace (loopback
# only) and mount namespace (its own /etc/hosts): the case re-runs itself
# there, and the host's networking and files are never touched. Three
# origins, each with a certificate for its own name only, listen on port
# 443 of three loopback addresses.

if [ -z "${SI_NETNS:-}" ]; then
	if [ "$(id -u)" != 0 ] || ! command -v nft > /dev/null ||
	    ! unshare -n -m true 2> /dev/null; then
		echo "SKIP: needs root, nft and unshare for a private network namespace" >&2
		exit 77
	fi
	export top_srcdir top_builddir SQUID CICAP SQUID_LIBEXECDIR
	SI_NETNS=1 exec unshare -n -m --propagation private bash "$0" "$1"
fi

SI_NO_INSPECT=".bank.origin.test"
# The namespace's /etc/hosts (below) for Squid as for the helper.
SI_SQUID_EXTRA="hosts_file /etc/hosts"

# hello ADDRESS SNI: what the client got when it went to ADDRESS:443 with
# SNI (none for "-"): spliced (the origin's own certificate), bumped (a
# leaf from the org CA) or refused (no handshake).
hello()
{
	local sni=(-servername "$2") out
	[ "$2" != - ] || sni=(-noservername)
	out=$(timeout 20 openssl s_client -connect "$1:443" "${sni[@]}" \
	    < /dev/null 2>/dev/null | openssl x509 -noout -issuer 2>/dev/null)
	case $out in
	*"Test Web Root"*) echo spliced ;;
	*"sslinspect test org"*) echo bumped ;;
	"") echo refused ;;
	*) echo "other: $out" ;;
	esac
}

# The network: loopback up; TCP to port 443 of loopback from anyone but
# Squid's user redirected to the intercepting port.
netns_setup()
{
	local squid_user=proxy
	ip link set lo up || si_fail "loopback up in the namespace"
	printf '127.0.0.1 localhost\n127.0.0.2 bank.origin.test\n127.0.0.3 evil.origin.test\n127.0.0.4 www.origin.test\n' \
	    > "$T/etc/hosts-ns"
	chmod 0644 "$T/etc/hosts-ns"
	mount --bind "$T/etc/hosts-ns" /etc/hosts || si_fail "private /etc/hosts"
	nft -f - <<NFT || si_fail "nft redirect in the namespace"
table ip sslinspect_test {
	chain output {
		type nat hook output priority -100; policy accept;
		meta skuid != $squid_user ip daddr 127.0.0.0/8 tcp dport 443 redirect to :$INTERCEPT_PORT
	}
}
NFT
}

# Three origins on port 443 of their own addresses, each with a
# certificate for its own name only, and on 127.0.0.5 a second address of
# the bank that its name does not resolve to (a CDN node, say).
origins_start()
{
	local n user=""
	si_pki_web
	mkdir -p "$T/origin"
	[ "$(id -u)" = 0 ] && user="user www-data;"
	printf '<html><body><h1>sslinspect test origin</h1></body></html>\n' > "$T/www/index.html"
	{
		echo "$user"
		echo "worker_processes 1; pid $T/run/nginx.pid;"
		echo "error_log $T/log/origin-error.log warn;"
		echo "events { worker_connections 64; }"
		echo "http { access_log $T/log/origin-access.log;"
		echo "client_body_temp_path $T/origin/body; proxy_temp_path $T/origin/proxy;"
		echo "fastcgi_temp_path $T/origin/fastcgi; uwsgi_temp_path $T/origin/uwsgi;"
		echo "scgi_temp_path $T/origin/scgi;"
		for n in 2:bank 3:evil 4:www; do
			si_pki_origin "${n#*:}" "DNS:${n#*:}.origin.test"
			echo "server { listen 127.0.0.${n%%:*}:443 ssl; root $T/www;"
			echo "ssl_certificate $T/pki/${n#*:}.pem; ssl_certificate_key $T/pki/${n#*:}.key; }"
		done
		echo "server { listen 127.0.0.5:443 ssl; root $T/www;"
		echo "ssl_certificate $T/pki/bank.pem; ssl_certificate_key $T/pki/bank.key; }"
		echo "}"
	} > "$T/origin/nginx.conf"
	chmod -R a+rX "$T/www" "$T/pki"
	si_spawn origin "$NGINX" -e "$T/log/origin-error.log" -p "$T/origin" \
	    -c "$T/origin/nginx.conf" -g 'daemon off;'
	for n in 2 3 4 5; do
		for _ in $(seq 1 100); do
			(exec 3<>"/dev/tcp/127.0.0.$n/443") 2>/dev/null && break
			sleep 0.1
		done
	done
}

# address                SNI                    expected
CASES="
127.0.0.2                bank.origin.test       spliced
127.0.0.3                bank.origin.test       refused
127.0.0.4                bank.origin.test       refused
127.0.0.3                evil.origin.test       bumped
127.0.0.4                www.origin.test        bumped
127.0.0.2                -                      bumped
"

case_main()
{
	local addr sni want got n=0 page
	[ -n "${SI_NETNS:-}" ] || si_fail "not in the private namespace"
	si_port INTERCEPT_PORT
	SI_INTERCEPT_ADDR=127.0.0.1:$INTERCEPT_PORT
	netns_setup
	origins_start
	si_cicap_start
	si_squid_start
	si_wait_port "$INTERCEPT_PORT" squid

	while read -r addr sni want; do
		[ -n "$addr" ] || continue
		got=$(hello "$addr" "$sni")
		si_log "to $addr:443, SNI $sni: $got"
		[ "$got" = "$want" ] ||
		    si_fail "to $addr:443 with SNI $sni: expected $want, got $got"
		n=$((n + 1))
	done <<< "$CASES"
	[ "$n" = 6 ] || si_fail "ran $n of 6 combinations"

	# Squid, not the client, connected to the origins: intercepted.
	si_wait_log "$T/log/access.log" \
	    ' CONNECT 127\.0\.0\.3:443 .* refused:sni-not-destination -$' \
	    "the refused listed SNI at another address, with its reason"
	si_wait_log "$T/log/access.log" ' CONNECT 127\.0\.0\.2:443 .* ORIGINAL_DST/127\.0\.0\.2 ' \
	    "the spliced tunnel went to the original destination"

	si_wait_log "$T/log/access.log" ' CONNECT 127\.0\.0\.2:443 .* bumped:no-sni -$' \
	    "the intercepted connection without SNI, bumped with its reason"
	# The same decisions in the TLS decision log, with the original
	# destination as the host.
	si_wait_count "$T/log/tls.log" '"decision"' 4 "the TLS decision records"
	si_assert_eq "$(si_tls_log)" "127.0.0.2 bank.origin.test spliced:no-inspect - splice
127.0.0.3 bank.origin.test refused:sni-not-destination - terminate
127.0.0.4 bank.origin.test refused:sni-not-destination - terminate
127.0.0.2 - bumped:no-sni - bump" "the TLS decision log"

	# Not TLS on the intercepted port 443: refused, with its reason.
	python3 - <<'PY' || si_fail "plain HTTP to an intercepted port 443: client failed"
import socket
s = socket.create_connection(("127.0.0.4", 443), timeout=10)
s.sendall(b"GET / HTTP/1.1\r\nHost: www.origin.test\r\n\r\n")
try:
    while s.recv(65536):
        pass
except (socket.timeout, ConnectionResetError):
    pass
PY
	si_wait_log "$T/log/access.log" ' ERR_PROTOCOL_UNKNOWN/[^ ]* refused:not-tls -$' \
	    "the intercepted connection that was not TLS, refused with its reason"
	si_assert_nomatch "$(cat "$T/log/origin-access.log" 2>/dev/null)" '"GET / HTTP/1.1" 400' \
	    "the plain request never reached the origin"

	# A bumped site is inspected: its requests are in access.log.
	page=$(curl -sS --max-time 20 --cacert "$SI_ORG_ROOT" \
	    --resolve www.origin.test:443:127.0.0.4 https://www.origin.test/index.html) ||
	    si_fail "curl through the interception"
	si_assert_match "$page" "sslinspect test origin" "the bumped page"
	si_wait_log "$T/log/access.log" ' GET https://www\.origin\.test/index\.html ' \
	    "the bumped request in access.log"
	si_assert_nomatch "$(cat "$T/log/access.log")" "GET https://(bank|127\.0\.0\.2)" \
	    "nothing inside the spliced tunnel is visible"
	elsewhere_page
}

# elsewhere_page: the "blocked with a page" choice for a listed SNI sent to
# another address. Squid connects there before any request, so the page
# shows only where that address holds a certificate valid for the name
# (127.0.0.5); elsewhere (127.0.0.3) Squid's own page names the mismatch.
# bank_at ADDR: GET the bank's page with its name sent to ADDR; prints the
# HTTP status, the body goes to $T/tmp/elsewhere.html.
bank_at()
{
	curl -sS --max-time 20 --cacert "$SI_ORG_ROOT" -o "$T/tmp/elsewhere.html" \
	    -w '%{http_code}' --resolve "bank.origin.test:443:$1" \
	    https://bank.origin.test/index.html
}

elsewhere_page()
{
	local code body
	si_stop_one squid
	SI_BUMP_SED='s/^#\(ssl_bump bump sslinspect_intercepted sslinspect_[a-z_]* sslinspect_sni_elsewhere_blocked\)/\1/'
	si_squid_start
	si_wait_port "$INTERCEPT_PORT" squid
	: > "$T/log/origin-access.log"
	code=$(bank_at 127.0.0.5) || si_fail "curl to the listed SNI elsewhere"
	body=$(cat "$T/tmp/elsewhere.html")
	si_log "page chosen, SNI bank.origin.test to 127.0.0.5: HTTP $code"
	si_assert_eq "$code" 403 "a listed SNI at another address gets the block page"
	si_assert_match "$body" "tls:sni-not-destination" "the page names the rule"
	si_wait_log "$T/log/audit.log" '"rule":"tls:sni-not-destination"' "the audit record"
	si_wait_log "$T/log/access.log" \
	    ' GET https://bank\.origin\.test/index\.html .* blocked:sni-not-destination [^ ]+$' \
	    "the blocked request, noted"
	si_assert_eq "$(wc -l < "$T/log/origin-access.log")" 0 "no origin saw the request"
	code=$(bank_at 127.0.0.3) || si_fail "curl to the listed SNI at evil"
	si_assert_eq "$code" 503 "the listed SNI at an address without its certificate: Squid's page"
	si_assert_match "$(cat "$T/tmp/elsewhere.html")" "DOMAIN_MISMATCH" "Squid's page names the mismatch"
	si_assert_eq "$(wc -l < "$T/log/origin-access.log")" 0 "no origin saw a request"
	# Still spliced where the name is at its address.
	si_assert_eq "$(hello 127.0.0.2 bank.origin.test)" spliced "the listed SNI at its address, page chosen"
}
