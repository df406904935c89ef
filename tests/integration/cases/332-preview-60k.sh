# sslinspect.PreviewSize 61440, as srv_sslinspect(5) suggests: bodies of
# up to 60 KiB come whole in the preview and are answered from it, chunked
# ones included (204 instead of an echo), while larger ones, known size or
# chunked, still pass byte-identical (echoed) from 3 KB to 5 MB, both ways.

SI_ORIGIN_NAMES="www.origin.test"

# origin_gzip: the origin compresses .txt on the fly (gzip, chunked).
origin_gzip()
{
	local i h
	sed -i 's|^\t\troot \(.*\);$|\t\troot \1;\n\t\tgzip on; gzip_proxied any; gzip_min_length 1; gzip_types text/plain;|' \
	    "$T/origin/nginx.conf"
	"$NGINX" -p "$T/origin" -c "$T/origin/nginx.conf" -s reload 2>/dev/null ||
	    si_fail "origin reload"
	for i in $(seq 1 50); do
		h=$(curl -sS -o /dev/null -D - --compressed --max-time 5 \
		    --cacert "$T/pki/web-root.pem" \
		    --resolve "www.origin.test:$ORIGIN_PORT:127.0.0.1" \
		    "$(si_url /t3000.txt)" 2>/dev/null || true)
		case $h in *[Cc]ontent-[Ee]ncoding:\ gzip*) return 0 ;; esac
		sleep 0.1
	done
	si_fail "origin does not compress"
}

# icap_line METHOD SHAPE: c-icap's log line for the REQMOD or RESPMOD of
# the request curl marked SHAPE.
icap_line()
{
	grep "^$1 [0-9]* shape=$2 " "$T/log/icap-shapes.log" | tail -n 1
}

case_main()
{
	local s out sizes="3000 30000 60000 61440 65536 70000 200000 1000000 5000000"
	touch "$T/log/icap-shapes.log"
	si_own c-icap "$T/log/icap-shapes.log"
	SI_CICAP_EXTRA="sslinspect.PreviewSize 61440
LogFormat si_shapes \"%im %is shape=%{X-Shape}>ho allow=%{Allow}>ih preview=%{Preview}>ih out=%Ob\"
AccessLog $T/log/icap-shapes.log si_shapes"
	si_start_all
	[ "$SI_ICAP_SERVICE" = sslinspect ] || si_fail "module not built"
	for s in $sizes; do
		head -c "$s" /dev/urandom > "$T/www/r$s.bin"
		awk -v n="$s" 'BEGIN { while (t < n) { l = sprintf("line %d, %d\n", i++, rand() * 1e9);
		    printf "%s", l; t += length(l) } }' | head -c "$s" > "$T/www/t$s.txt"
	done
	chmod a+r "$T/www/"*
	origin_gzip
	for s in $sizes; do
		si_curl -H "X-Shape: r$s" -o "$T/tmp/r$s" "$(si_url /r$s.bin)" ||
		    si_fail "download r$s"
		cmp -s "$T/tmp/r$s" "$T/www/r$s.bin" || si_fail "download r$s differs"
		si_curl -H "X-Shape: t$s" --compressed -o "$T/tmp/t$s" \
		    "$(si_url /t$s.txt)" || si_fail "chunked download t$s"
		cmp -s "$T/tmp/t$s" "$T/www/t$s.txt" || si_fail "chunked download t$s differs"
		out=$(si_curl -H "X-Shape: u$s" -H 'Transfer-Encoding: chunked' \
		    -H 'Content-Type: application/octet-stream' \
		    --data-binary @"$T/www/r$s.bin" "$(si_url /upload)") ||
		    si_fail "chunked upload u$s"
		si_assert_eq "$out" received "chunked upload u$s"
	done
	sleep 0.5

	out=$(icap_line RESPMOD r60000)
	si_assert_match "$out" '^RESPMOD 204 shape=r60000 allow=204, 206, trailers preview=60000 out=0$' \
	    "60000 bytes of known size: one preview, 204"
	out=$(icap_line RESPMOD r65536)
	si_assert_match "$out" '^RESPMOD 200 shape=r65536 allow=206, trailers preview=61440 out=65536$' \
	    "64 KiB: over the preview, echoed"
	out=$(icap_line REQMOD u60000)
	si_assert_match "$out" '^REQMOD 204 shape=u60000 allow=206, trailers preview=61440 out=0$' \
	    "60000-byte chunked upload: 204 from the preview"
	out=$(icap_line REQMOD u61440)
	si_assert_match "$out" '^REQMOD 204 shape=u61440 allow=206, trailers preview=61440 out=0$' \
	    "61440-byte chunked upload: 204 from the preview"
	out=$(icap_line REQMOD u70000)
	si_assert_match "$out" '^REQMOD 200 shape=u70000 allow=206, trailers preview=61440 out=70000$' \
	    "70000-byte chunked upload: echoed"
	out=$(icap_line RESPMOD t70000)
	si_assert_match "$out" '^RESPMOD 204 shape=t70000 allow=206, trailers preview=61440 out=0$' \
	    "compressed chunked download under 60 KiB: 204 from the preview"
	si_assert_nomatch "$(cat "$T/log/icap-shapes.log")" '^[A-Z]+ 206 ' "a 206 answer"
}
