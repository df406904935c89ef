# Past one machine (doc/scaling.md), on loopback: two Squid nodes, each
# with its own issuing CA under the one intermediate ("sslinspect-ca
# rotate --node", delivered by the reload command into the node's own
# directory, holding its key and no other), two c-icap hosts shared by
# both as an adaptation_service_set (in opposite orders, so each host
# serves), audit records of both hosts at one syslog collector, the CRLs
# of all nodes published from one place. Then host A dies and both nodes
# go on; then node A's issuing CA is revoked: its leaves fail revocation
# checking while node B's still verify and its bundle is untouched; a new
# rotation brings node A back.

SI_NEEDS_MODULE=1

ca_tool()
{
	"$top_builddir/cert_helper/sslinspect-ca" -d "$T/ca" "$@"
}

# deploy NODE: a rotation for NODE whose reload command copies the node's
# directory to where that node reads it ($T/deploy/NODE), as an admin's
# would copy it to the node over ssh.
deploy()
{
	mkdir -p "$T/deploy/$1"
	# shellcheck disable=SC2016 # expanded by the reload command's shell
	ca_tool rotate --node "$1" --reload \
	    'cp -p "$SSLINSPECT_NODE_DIR"/* "'"$T"'/deploy/$SSLINSPECT_NODE/" && echo "$SSLINSPECT_BUNDLE" > "'"$T"'/deploy/$SSLINSPECT_NODE.reloaded"' \
	    > "$T/tmp/rotate-$1.out" || si_fail "rotate --node $1: $(cat "$T/tmp/rotate-$1.out")"
	si_assert_eq "$(cat "$T/deploy/$1.reloaded")" \
	    "$T/ca/nodes/$1/squid-bundle.pem" "the reload command's SSLINSPECT_BUNDLE"
}

# node_b_start: the second Squid node, node A's configuration with its
# own port, logs, certgen cache, node directory, and the service sets in
# the other order.
node_b_start()
{
	local f
	si_port PORT_B
	mkdir -p "$T/etc/b.d" "$T/log/b" "$T/squid-run/b" "$T/certgen-b"
	si_own proxy "$T/log/b" "$T/squid-run/b" "$T/certgen-b"
	for f in "$T"/etc/conf.d/*.conf; do
		sed -e "s|127.0.0.1:$PROXY_PORT|127.0.0.1:$PORT_B|" \
		    -e "s|$T/deploy/proxy-a|$T/deploy/proxy-b|g" \
		    -e "s|--cache-dir $T/certgen |--cache-dir $T/certgen-b |" \
		    -e "s|$T/log/|$T/log/b/|g" \
		    -e 's|^\(adaptation_service_set si_[a-z]*\) \(si_[a-z]*_a\) \(si_[a-z]*_b\)$|\1 \3 \2|' \
		    "$f" > "$T/etc/b.d/$(basename "$f")"
	done
	sed -e "s|$T/etc/conf.d/|$T/etc/b.d/|" -e "s|$T/log/|$T/log/b/|g" \
	    -e "s|$T/squid-run/|$T/squid-run/b/|" "$T/etc/squid.conf" \
	    > "$T/etc/squid-b.conf"
	chmod -R a+rX "$T/etc"
	grep -q "adaptation_service_set si_resp si_resp_b si_resp_a" \
	    "$T/etc/b.d/sslinspect-icap.conf" || si_fail "node B's set order"
	si_spawn squid-b "$SQUID" -N -n "sib$$" -f "$T/etc/squid-b.conf"
	si_wait_listen "$PORT_B" squid-b 30 "$T/log/b/cache.log"
}

# leaf NODEPORT NAME: the leaf served through that node, into $T/tmp/NAME.
leaf()
{
	PROXY_PORT=$1 si_served_cert www.origin.test > "$T/tmp/$2.pem"
	[ -s "$T/tmp/$2.pem" ] || si_fail "no leaf through port $1"
}

# verify_crl NAME NODE: verify leaf NAME as a client that checks
# revocation does, each level against the CRL its issuer publishes at the
# URL in the certificate: the node's issuing CA against the intermediate's
# CRL, the leaf against the issuing CA's (the org root publishes none).
verify_crl()
{
	openssl x509 -in "$T/deploy/$2/squid-bundle.pem" -out "$T/tmp/iss-$2.pem"
	cat "$T/ca/intermediate.pem" "$T/tmp/iss-$2.pem" > "$T/tmp/untrusted-$2.pem"
	openssl verify -crl_check -crl_download -CAfile "$SI_ORG_ROOT" \
	    -untrusted "$T/ca/intermediate.pem" "$T/tmp/iss-$2.pem" 2>&1 &&
	openssl verify -crl_check -crl_download -CAfile "$SI_ORG_ROOT" \
	    -untrusted "$T/tmp/untrusted-$2.pem" "$T/tmp/$1.pem" 2>&1
}

# eicar NODEPORT: EICAR through that node gets the block page; prints the
# incident id.
eicar()
{
	local id
	PROXY_PORT=$1 si_curl -o /dev/null -D "$T/tmp/head" \
	    "$(si_url /eicar.com)" || si_fail "EICAR through port $1"
	id=$(sed -n 's/^X-Sslinspect-Incident: \([0-9a-f]\{16\}\)\r\{0,1\}$/\1/p' \
	    "$T/tmp/head")
	[ -n "$id" ] || si_fail "no block page through port $1"
	echo "$id"
}

case_main()
{
	local kida kidb out log ia ib a i sum n p
	[ -x "$top_builddir/cert_helper/sslinspect-ca" ] || exit 77
	si_port CRL_PORT
	SI_CRL_URL="http://127.0.0.1:$CRL_PORT/{ca}.crl"
	si_pki_org || si_fail "the org CA"
	deploy proxy-a
	deploy proxy-b
	kida=$(cat "$T/ca/nodes/proxy-a/current")
	kidb=$(cat "$T/ca/nodes/proxy-b/current")
	[ "$kida" != "$kidb" ] || si_fail "the nodes share an issuing CA"
	# Each node's directory: its bundle (one key, its own), its settings
	# and the revocations; nothing of the other node or the intermediate.
	for n in proxy-a proxy-b; do
		si_assert_eq "$(cd "$T/deploy/$n" && ls | tr '\n' ' ')" \
		    "ca.conf current revoked.tsv squid-bundle.pem " "$n's directory"
		si_assert_eq "$(grep -c 'BEGIN PRIVATE KEY' "$T/deploy/$n/squid-bundle.pem")" 1 \
		    "$n's bundle holds one key"
	done
	[ "$(openssl pkey -in "$T/deploy/proxy-a/squid-bundle.pem" -pubout)" = \
	    "$(openssl pkey -in "$T/ca/issuing/$kida.key" -pubout)" ] ||
	    si_fail "node A's bundle key is not its issuing CA's"
	si_assert_match "$(openssl x509 -in "$T/deploy/proxy-b/squid-bundle.pem" -noout -subject)" \
	    "CN ?= ?proxy-b issuing CA [0-9]{8}T[0-9]{6}Z" "node B's issuing CA names it"

	# shellcheck disable=SC2016 # the EICAR string, literally
	printf '%s' 'X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*' \
	    > "$T/www/eicar.com"
	head -c 1500000 /dev/urandom > "$T/www/clean.bin"
	chmod a+r "$T/www/"*
	si_syslog_collector LOGPORT "$T/log/collector.txt"
	SI_CICAP_EXTRA="sslinspect.AuditSyslog udp://127.0.0.1:$LOGPORT"
	si_origin_start
	si_cicap_start
	si_cicap_b_start
	si_crl_start
	SI_BUMP_DIR=$T/deploy/proxy-a
	SI_ICAP_CONF="icap_enable on
icap_service si_req_a reqmod_precache icap://127.0.0.1:$ICAP_PORT/sslinspect bypass=off on-overload=wait
icap_service si_req_b reqmod_precache icap://127.0.0.1:$ICAP_PORT_B/sslinspect bypass=off on-overload=wait
icap_service si_resp_a respmod_precache icap://127.0.0.1:$ICAP_PORT/sslinspect bypass=off on-overload=wait
icap_service si_resp_b respmod_precache icap://127.0.0.1:$ICAP_PORT_B/sslinspect bypass=off on-overload=wait
icap_service_failure_limit -1
icap_connect_timeout 3 seconds
adaptation_service_set si_req si_req_a si_req_b
adaptation_service_set si_resp si_resp_a si_resp_b
acl si_connect method CONNECT
adaptation_access si_req deny si_connect
adaptation_access si_req allow all
adaptation_access si_resp deny si_connect
adaptation_access si_resp allow all
acl si_decrypted proto HTTPS
cache deny si_decrypted"
	si_squid_start
	node_b_start

	# Each node mints from its own issuing CA; both chains verify with
	# every CRL fetched from the one publication point.
	leaf "$PROXY_PORT" a1
	leaf "$PORT_B" b1
	si_assert_match "$(openssl x509 -in "$T/tmp/a1.pem" -noout -issuer)" \
	    "proxy-a issuing CA" "node A's leaf issuer"
	si_assert_match "$(openssl x509 -in "$T/tmp/b1.pem" -noout -issuer)" \
	    "proxy-b issuing CA" "node B's leaf issuer"
	out=$(verify_crl a1 proxy-a) || si_fail "node A's leaf: $out"
	out=$(verify_crl b1 proxy-b) || si_fail "node B's leaf: $out"

	# Both hosts serve (each node's first), both send to the collector.
	ia=$(eicar "$PROXY_PORT")
	ib=$(eicar "$PORT_B")
	PROXY_PORT=$PORT_B si_curl -o "$T/tmp/got" "$(si_url /clean.bin)" &&
	    cmp -s "$T/tmp/got" "$T/www/clean.bin" || si_fail "clean download through node B"
	grep -q "\"incident\":\"$ia\"" "$T/log/audit.log" || si_fail "host A did not judge node A's EICAR"
	grep -q "\"incident\":\"$ib\"" "$T/log/audit-b.log" || si_fail "host B did not judge node B's EICAR"
	si_wait_count "$T/log/collector.txt" . 3 "records of both hosts at the collector"
	log=$(python3 -c '
import sys
for l in open(sys.argv[1]):
    print(bytes.fromhex(l.strip()).decode("utf-8", "replace"))' "$T/log/collector.txt")
	si_assert_match "$log" "incident=\"$ia\" verdict=\"block\"" "node A's block at the collector"
	si_assert_match "$log" "incident=\"$ib\" verdict=\"block\"" "node B's block at the collector"

	# Host A dies: both nodes go on through host B.
	a=$(awk '$2 == "c-icap" { p = $1 } END { print p }' "$SI_PIDS")
	{ kill -9 -- "-$a"; wait "$a"; } 2>/dev/null || true
	for i in $(seq 1 50); do
		(exec 3<>"/dev/tcp/127.0.0.1/$ICAP_PORT") 2>/dev/null || break
		sleep 0.1
	done
	for p in "$PROXY_PORT" "$PORT_B"; do
		PROXY_PORT=$p si_curl -o "$T/tmp/got" "$(si_url /clean.bin)" &&
		    cmp -s "$T/tmp/got" "$T/www/clean.bin" ||
		    si_fail "clean download through port $p after host A died"
		i=$(eicar "$p")
		grep -q "\"incident\":\"$i\"" "$T/log/audit-b.log" ||
		    si_fail "host B did not judge port $p's EICAR"
	done

	# Node A is lost: its issuing CA is revoked, node B is untouched.
	sum=$(sha256sum < "$T/ca/nodes/proxy-b/squid-bundle.pem")
	ca_tool revoke --node proxy-a --reason keyCompromise > "$T/tmp/revoke.out" 2>&1 ||
	    si_fail "revoke --node: $(cat "$T/tmp/revoke.out")"
	si_assert_match "$(cat "$T/tmp/revoke.out")" "revoked 1 certificate" "one issuing CA revoked"
	si_assert_eq "$(sha256sum < "$T/ca/nodes/proxy-b/squid-bundle.pem")" "$sum" \
	    "node B's bundle after node A's revocation"
	si_assert_match "$(cat "$T/ca/nodes/proxy-b/revoked.tsv")" "issuing-ca" \
	    "node B's copy of the revocations"
	out=$(verify_crl a1 proxy-a) && si_fail "node A's leaf still verifies after revocation"
	si_assert_match "$out" "certificate revoked" "node A's leaf refused by the CRL"
	out=$(verify_crl b1 proxy-b) || si_fail "node B's leaf after node A's revocation: $out"
	out=$(ca_tool status --issued "$T/certgen/issued.tsv") && si_fail "status OK with a revoked node"
	si_assert_match "$out" "CRITICAL: node proxy-a: the current issuing CA $kida is revoked" \
	    "status names the revoked node"
	si_assert_nomatch "$out" "node proxy-b:" "status has nothing against node B"

	# Node A comes back with a new issuing CA; Squid re-reads its bundle.
	deploy proxy-a
	[ "$(cat "$T/ca/nodes/proxy-a/current")" != "$kida" ] || si_fail "no new issuing CA for node A"
	# shellcheck disable=SC2086 # SQUID_CTL is a list of arguments
	eval "$SQUID -k reconfigure $SQUID_CTL" || si_fail "squid -k reconfigure"
	for i in $(seq 1 100); do
		si_served_cert www.origin.test > "$T/tmp/a2.pem"
		! cmp -s "$T/tmp/a1.pem" "$T/tmp/a2.pem" && [ -s "$T/tmp/a2.pem" ] && break
		sleep 0.2
	done
	out=$(verify_crl a2 proxy-a) || si_fail "node A's new leaf: $out"
	out=$(ca_tool status --issued "$T/certgen/issued.tsv" 2>&1)
	si_assert_nomatch "$out" "CRITICAL" "status after node A's new rotation"
}
