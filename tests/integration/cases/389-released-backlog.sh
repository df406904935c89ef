# A download held for MaxHoldTime and then released while the origin is
# still sending: Squid reads the origin only while the store entry of the
# adapted reply has room within read_ahead_gap of what the client took
# (HttpStateData::readReply, MemObject::readAheadPolicyCanRead), and the
# adapted body waiting in the ICAP answer fills that room first. Released
# all at once, what the hold read ahead would keep the origin unread for as
# long as a slow client takes to catch up; an origin that gives up on an
# idle connection (nginx send_timeout, 3 s here) then cuts the download.
# Small socket buffers on both ends keep the kernel from absorbing what
# Squid does not read, as it cannot under load.
# The service releases such a backlog in step with what the origin sends,
# so the origin is read all along: the download arrives whole.

SI_NEEDS_MODULE=1

. "$top_srcdir/tests/integration/dl-lib.sh"
. "$top_srcdir/tests/integration/svc-origin.sh"

case_main()
{
	local got=$T/tmp/got w rc=0
	SI_CICAP_EXTRA="sslinspect.MaxHoldTime 2"
	SI_SQUID_EXTRA="tcp_recv_bufsize 32 KB"
	dl_setup
	si_start_all
	mkdir -p "$T/www/paced"
	head -c 12M /dev/urandom > "$T/www/paced/big.bin"
	chmod -R a+rX "$T/www"
	sed -i "s|listen 127.0.0.1:$ORIGIN_PORT ssl;|listen 127.0.0.1:$ORIGIN_PORT ssl sndbuf=32k;|" \
	    "$T/origin/nginx.conf"
	svc_origin_add "location /paced/ { limit_rate 2m; send_timeout 3s; }" \
	    /paced/big.bin "200 OK"

	w=$(curl -sS --max-time 120 --limit-rate 400k \
	    --proxy "http://127.0.0.1:$PROXY_PORT" --cacert "$SI_ORG_ROOT" \
	    -o "$got" -w '%{http_code} %{size_download} %{time_total}' \
	    "$(si_url /paced/big.bin)" 2> "$got.err") || rc=$?
	si_log "12 MB at 400 KB/s to the client, 2 MB/s from the origin: $w"
	[ "$rc" = 0 ] || si_fail "the download failed (curl $rc: $(cat "$got.err"); origin: $(grep -c 'timed out' "$T/log/origin-error.log") send timeouts)"
	cmp -s "$got" "$T/www/paced/big.bin" || si_fail "the body differs from the origin's"
	si_wait_log "$T/log/audit.log" \
	    '"path":"/paced/big[.]bin","direction":"download","verdict":"allow","rule":"default","reason":"released while scanned"' \
	    "the download was released while scanned"
}
