# Rotating the issuing CA under a running Squid must not break a single new
# handshake. Squid runs in SMP mode (workers 2) under continuous load: two
# curl loops (a new connection, TLS handshake and request each) and a loop
# of bare TCP connects. Through several "sslinspect-ca rotate --reload
# 'squid -k reconfigure'" not one connect may be refused and not one
# handshake or request may fail. After each rotation every worker must
# serve leaves of the new issuing CA; curl and Chromium (trusting the org
# root through its NSS database) work before and after.
#
# Why SMP: a single Squid process (5.7 and 6.13 alike) closes and reopens
# its listening socket during a reconfigure and refuses a connect made in
# that window; run with one worker, this case fails on exactly that. With workers 2 the
# coordinator keeps the listening socket open across the reconfigure and
# a connect waits in its backlog until a worker takes it.
#
# Squid's own security_file_certgen (used until sslinspect-certgen is built)
# keys its disk cache without the CA, so it would keep serving leaves of the
# old issuing CA; for it the reload command also points the helper at a
# fresh database. sslinspect-certgen keys its cache by CA and needs nothing.

SI_SQUID_WORKERS=2
# The check requests are told apart by their query in the access logs.
SI_SQUID_EXTRA="strip_query_terms off"
ROTATIONS=3
LOOPS=2

ca_tool()
{
	"$top_builddir/cert_helper/sslinspect-ca" -d "$T/ca" "$@"
}

# aki: the authority key id of the first certificate read from stdin.
aki()
{
	openssl x509 -noout -ext authorityKeyIdentifier 2>/dev/null |
	    tail -1 | sed 's/keyid://' | tr -d ' :' | tr A-F a-f
}

# leaf_issuer: the key id of the CA that signed the leaf the proxy serves.
leaf_issuer()
{
	si_served_cert www.origin.test | aki
}

chromium_get()
{
	HOME=$T/home timeout 60 /usr/bin/chromium --headless --no-sandbox \
	    --disable-gpu --disable-quic --no-first-run \
	    --disable-background-networking --disable-component-update \
	    --disable-sync --user-data-dir="$T/chromium-$1" \
	    --proxy-server="http://127.0.0.1:$PROXY_PORT" \
	    --dump-dom "$(si_url /index.html)" 2>"$T/log/chromium-$1.err"
}

# handshake_loop N: new connections (one handshake each) until $T/stop
# exists; one status line per attempt in $T/loop-N.txt.
handshake_loop()
{
	local code
	while [ ! -e "$T/stop" ]; do
		code=$(si_curl -o /dev/null -w '%{http_code}' "$(si_url /hello.txt)" 2>>"$T/log/loop-$1.err") ||
		    code="curl-exit-$?"
		echo "$code" >> "$T/loop-$1.txt"
	done
}

# connect_loop: bare TCP connects to the proxy, up to a hundred a second,
# until $T/stop exists; "ok" or "refused" per attempt in $T/connects.txt.
# The curl loops need a good part of a second per connection on a busy
# machine and could miss a short window in which Squid has no listening
# socket; these cannot.
connect_loop()
{
	# The pause is a read that times out on a FIFO nobody writes to: no
	# process is started per attempt, which would slow the loop down.
	mkfifo "$T/tick"
	exec 4<>"$T/tick"
	while [ ! -e "$T/stop" ]; do
		if true 3<>"/dev/tcp/127.0.0.1/$PROXY_PORT"; then
			echo ok
		else
			echo refused
		fi 2>/dev/null
		read -r -t 0.01 -u 4 || true
	done > "$T/connects.txt"
}

# check_one ID: one request tagged ID; prints "ID ISSUER-KEY-ID".
check_one()
{
	local issuer
	issuer=$(si_curl -o /dev/null -w '%{certs}' "$(si_url "/hello.txt?chk=$1")" | aki)
	echo "$1 ${issuer:-none}"
}

# check_batch PREFIX: 8 tagged requests at once (so that every worker gets
# some), waiting only for them, not for the load loops.
check_batch()
{
	(
		for i in 1 2 3 4 5 6 7 8; do
			check_one "$1-$i" &
		done
		wait
	)
}

# workers_serving ROTATION KEYID: the workers that logged a request of this
# rotation's checks whose leaf came from the CA with key id KEYID.
workers_serving()
{
	local id issuer f
	while read -r id issuer; do
		[ "$issuer" = "$2" ] || continue
		for f in "$T"/log/access-kid*.log; do
			grep -qF "?chk=$id " "$f" && echo "${f##*/}"
		done
	done < "$T/checks-$1.txt" | sort -u | wc -l
}

# every_worker_new ROTATION KEYID: parallel tagged requests until each
# worker has served at least one leaf of the CA KEYID (attributed through
# its access log), then a last batch in which every leaf must come from it.
every_worker_new()
{
	local r=$1 ca=$2 b n=0 seen=0 old
	: > "$T/checks-$r.txt"
	for b in $(seq 1 20); do
		check_batch "$r-$b" >> "$T/checks-$r.txt"
		seen=$(workers_serving "$r" "$ca")
		[ "$seen" -ge "$SI_SQUID_WORKERS" ] && break
		sleep 0.5
	done
	[ "$seen" -ge "$SI_SQUID_WORKERS" ] ||
	    si_fail "rotation $r: only $seen of $SI_SQUID_WORKERS workers served the new issuing CA $ca: $(sort -k2 "$T/checks-$r.txt" | awk '{print $2}' | uniq -c | tr '\n' ' ')"
	check_batch "$r-final" > "$T/final-$r.txt"
	old=$(awk -v k="$ca" '$2 != k' "$T/final-$r.txt")
	[ -z "$old" ] || si_fail "rotation $r: leaves not from the new issuing CA $ca after every worker had it: $old"
	n=$(wc -l < "$T/checks-$r.txt")
	si_log "rotation $r: all $SI_SQUID_WORKERS workers serve issuing CA $ca ($n tagged connections, then 8 of 8)"
}

case_main()
{
	local ca1 ca dom total=0 bad=0 refused=0 reload r i f prev
	local connects refused_tcp
	local -a loop_pids=()
	[ -x "$top_builddir/cert_helper/sslinspect-ca" ] || exit 77
	[ -x /usr/bin/chromium ] && command -v certutil >/dev/null || exit 77
	si_start_all
	printf 'hello\n' > "$T/www/hello.txt"
	mkdir -p "$T/home/.pki/nssdb"
	certutil -N -d "sql:$T/home/.pki/nssdb" --empty-password || si_fail "certutil -N"
	certutil -A -d "sql:$T/home/.pki/nssdb" -n "sslinspect org root" -t "C,," \
	    -i "$SI_ORG_ROOT" || si_fail "certutil -A"

	ca1=$(cat "$T/ca/current")
	si_assert_eq "$(si_curl "$(si_url /hello.txt)")" "hello" "curl before rotation"
	si_assert_eq "$(leaf_issuer)" "$ca1" "leaf issued by the first issuing CA"
	dom=$(chromium_get before) || si_fail "Chromium before rotation failed: $(tail -3 "$T/log/chromium-before.err")"
	si_assert_match "$dom" "sslinspect test origin" "Chromium page before rotation"
	every_worker_new 0 "$ca1"

	reload="$SQUID -k reconfigure $SQUID_CTL"
	case $CERTGEN_PROGRAM in
	*security_file_certgen*)
		reload="$SQUID_LIBEXECDIR/security_file_certgen -c -s $T/ssl_db.2 -M 4MB >/dev/null &&
		    chown -R proxy $T/ssl_db.2 &&
		    sed -i 's|-s $T/ssl_db |-s $T/ssl_db.2 |' $T/etc/conf.d/sslinspect-bump.conf &&
		    $reload" ;;
	esac
	for i in $(seq 1 "$LOOPS"); do
		: > "$T/loop-$i.txt"
		handshake_loop "$i" &
		loop_pids+=($!)
	done
	connect_loop &
	loop_pids+=($!)
	sleep 2
	prev=$ca1
	for r in $(seq 1 "$ROTATIONS"); do
		ca_tool rotate --reload "$reload" > "$T/log/rotate-$r.out" 2>&1 ||
		    si_fail "rotation $r failed: $(cat "$T/log/rotate-$r.out")"
		ca=$(cat "$T/ca/current")
		[ "$ca" != "$prev" ] || si_fail "rotation $r kept the issuing CA"
		every_worker_new "$r" "$ca"
		prev=$ca
		sleep 1
	done
	sleep 2
	touch "$T/stop"
	wait "${loop_pids[@]}"
	for f in "$T"/loop-*.txt; do
		total=$((total + $(wc -l < "$f")))
		refused=$((refused + $(grep -c '^curl-exit-7$' "$f")))
		bad=$((bad + $(grep -v '^curl-exit-7$' "$f" | grep -vc '^200$')))
	done
	connects=$(wc -l < "$T/connects.txt")
	refused_tcp=$(grep -c '^refused$' "$T/connects.txt")
	si_log "load during $ROTATIONS rotations: $total curl connections ($refused refused, $bad failed handshakes or requests), $connects bare connects ($refused_tcp refused)"
	[ "$total" -ge 50 ] || si_fail "only $total curl connections ran during the rotations"
	[ "$connects" -ge 500 ] || si_fail "only $connects bare connects ran during the rotations"
	[ "$refused" = 0 ] && [ "$refused_tcp" = 0 ] ||
	    si_fail "connects refused during the reconfigures: $refused of $total by curl, $refused_tcp of $connects bare"
	[ "$bad" = 0 ] || si_fail "$bad of $total handshakes or requests failed during the rotations: $(cat "$T"/loop-*.txt | sort | uniq -c | tr '\n' ' ') $(tail -3 "$T"/log/loop-*.err)"

	si_assert_eq "$(leaf_issuer)" "$ca" "leaf issued by the last issuing CA"
	si_served_cert www.origin.test > "$T/leaf.pem"
	openssl verify -CAfile "$SI_ORG_ROOT" -untrusted "$T/ca/squid-bundle.pem" \
	    "$T/leaf.pem" >/dev/null || si_fail "new leaf does not chain to the org root"
	si_assert_eq "$(si_curl "$(si_url /hello.txt)")" "hello" "curl after rotation"
	dom=$(chromium_get after) || si_fail "Chromium after rotation failed: $(tail -3 "$T/log/chromium-after.err")"
	si_assert_match "$dom" "sslinspect test origin" "Chromium page after rotation"
}
