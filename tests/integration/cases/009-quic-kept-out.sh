# QUIC kept out. An origin that advertises HTTP/3 (Alt-Svc: h3) must not
# teach a client through the proxy to go around it over UDP: the bump
# snippet removes Alt-Svc from bumped replies (the origin still sends it,
# as a direct fetch shows). The shipped nftables file that rejects UDP 443
# from clients is valid: loaded into a private network namespace, it
# rejects a UDP datagram to port 443 there and lets one to another port by
# (a listener on each port tells).

SI_ORIGIN_NAMES="www.origin.test"

. "$top_srcdir/tests/integration/svc-origin.sh"

case_main()
{
	local h nft=$top_srcdir/squid-conf/sslinspect-quic.nft out
	si_start_all
	svc_origin_add "add_header Alt-Svc 'h3=\":$ORIGIN_PORT\"; ma=86400' always;" \
	    /index.html "[Aa]lt-[Ss]vc: h3="
	h=$(si_curl -sS -o /dev/null -D - "$(si_url /index.html)") ||
	    si_fail "bumped fetch failed"
	si_assert_match "$h" "^HTTP/1.1 200" "bumped fetch status"
	si_assert_nomatch "$h" "[Aa]lt-[Ss]vc" "Alt-Svc removed from the bumped reply"

	command -v nft > /dev/null || si_fail "nft is missing (scripts/install-deps installs nftables)"
	# In a network namespace of its own: the rules and the probes touch
	# nothing outside it.
	out=$(unshare -n sh -c '
		ip link set lo up &&
		nft -f "$1" &&
		python3 - <<PY
import socket
def probe(port):
    srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    srv.bind(("127.0.0.1", port))
    srv.settimeout(1)
    cli = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        # A reject in the output chain fails the send itself (EPERM).
        cli.sendto(b"quic?", ("127.0.0.1", port))
        srv.recv(16)
        return "passed"
    except (socket.timeout, PermissionError):
        return "rejected"
print(probe(443), probe(8443))
PY
		nft list table inet sslinspect_quic' sh "$nft" 2>&1) ||
	    si_fail "loading sslinspect-quic.nft failed: $out"
	si_log "UDP 443, UDP 8443 in the namespace: $(printf '%s\n' "$out" | head -n 1)"
	si_assert_match "$(printf '%s\n' "$out" | head -n 1)" "^rejected passed$" \
	    "UDP 443 rejected, other UDP ports not"
	si_assert_match "$out" "udp dport 443 counter packets [1-9]" "the rule counted the probe"
}
