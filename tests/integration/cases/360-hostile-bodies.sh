# Hostile bodies against the real service with c-icap-client: corrupt and
# truncated gzip/br/zstd, a 10 GB-of-zeros gzip bomb, an invalid multipart
# boundary, 100k tiny parts and a 1 MB part header each end in a 403 with
# the reason, in bounded time, and the c-icap children stay small.

SI_NEEDS_MODULE=1

svc_icap()
{
	timeout 60 c-icap-client -i 127.0.0.1 -p "$ICAP_PORT" -s sslinspect "$@" 2>&1
}

expect_block()
{
	local what=$1 out t0 t1
	shift
	rm -f "$T/tmp/out"
	t0=$(date +%s)
	out=$(svc_icap -o "$T/tmp/out" -v "$@")
	t1=$(date +%s)
	si_assert_match "$out" "HTTP/1.1 403 Forbidden" "$what: blocked"
	[ $((t1 - t0)) -le 20 ] || si_fail "$what: took $((t1 - t0)) s"
	printf '%s: %s s\n' "$what" $((t1 - t0)) >&2
}

case_main()
{
	local rss
	touch "$T/log/audit.log"
	si_own c-icap "$T/log/audit.log"
	# c-icap-client, not Squid, is the client: the whole body is held
	# whatever the Squid version (srv_sslinspect(5), HOLD, THEN DECIDE).
	SI_CICAP_EXTRA="sslinspect.AuditLog $T/log/audit.log
sslinspect.MaxHoldSize 256M"
	si_cicap_start

	head -c 300000 /dev/urandom > "$T/tmp/rand"
	gzip -c < "$T/tmp/rand" > "$T/tmp/rand.gz"
	head -c 150000 "$T/tmp/rand.gz" > "$T/tmp/trunc.gz"
	expect_block "truncated gzip" -f "$T/tmp/trunc.gz" -rhx "Content-Encoding: gzip"
	cp "$T/tmp/rand.gz" "$T/tmp/corrupt.gz"
	printf 'GARBAGEGARBAGEGARBAGE' | dd of="$T/tmp/corrupt.gz" bs=1 seek=1000 conv=notrunc 2>/dev/null
	expect_block "corrupt gzip" -f "$T/tmp/corrupt.gz" -rhx "Content-Encoding: gzip"
	expect_block "not zstd" -f "$T/tmp/rand" -rhx "Content-Encoding: zstd"
	expect_block "not brotli" -f "$T/tmp/rand" -rhx "Content-Encoding: br"
	expect_block "unknown coding" -f "$T/tmp/rand" -rhx "Content-Encoding: compress"

	# 10 GiB of zeros: 10240 gzip members of 1 MiB each (about 10 MB).
	head -c 1048576 /dev/zero | gzip -9 > "$T/tmp/member.gz"
	python3 -c 'import sys; m = open(sys.argv[1], "rb").read(); open(sys.argv[2], "wb").write(m * 10240)' \
	    "$T/tmp/member.gz" "$T/tmp/bomb.gz"
	expect_block "10 GB gzip bomb" -f "$T/tmp/bomb.gz" -rhx "Content-Encoding: gzip"
	si_assert_match "$(cat "$T/tmp/out")" "decompression bomb" "bomb reason on the page"

	printf 'no boundary here' > "$T/tmp/mp"
	expect_block "multipart without boundary" -f "$T/tmp/mp" -req http://up.test/u \
	    -method POST -hx "Content-Type: multipart/form-data"
	awk 'BEGIN { for (i = 0; i < 100000; i++) printf "--b\r\n\r\nx\r\n"; printf "--b--\r\n" }' \
	    > "$T/tmp/parts"
	expect_block "100k tiny parts" -f "$T/tmp/parts" -req http://up.test/u \
	    -method POST -hx "Content-Type: multipart/form-data; boundary=b"
	si_assert_match "$(cat "$T/tmp/out")" "too many multipart parts" "parts reason"
	{ printf -- '--b\r\nX-Huge: '; head -c 1048576 /dev/zero | tr '\0' a; printf '\r\n\r\nx\r\n--b--\r\n'; } \
	    > "$T/tmp/hugehdr"
	expect_block "1 MB part header" -f "$T/tmp/hugehdr" -req http://up.test/u \
	    -method POST -hx "Content-Type: multipart/form-data; boundary=b"

	rss=$(for p in $(pgrep -f "c-icap -N -f $T/etc/c-icap.conf"); do
		awk '/VmHWM/ { print $2 }' "/proc/$p/status"; done | sort -n | tail -1)
	printf 'largest c-icap peak RSS: %s kB\n' "$rss" >&2
	[ "${rss:-0}" -lt 300000 ] || si_fail "c-icap peak RSS $rss kB"
	si_wait_count "$T/log/audit.log" '"verdict":"block"' 9 "blocks audited"
	si_assert_eq "$(grep -c '"verdict":"block"' "$T/log/audit.log")" 9 "blocks audited"
}
