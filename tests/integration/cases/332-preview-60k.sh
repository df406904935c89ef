# sslinspect.PreviewSize 61440, as srv_sslinspect(5) suggests: bodies of
# up to 60 KiB come whole in the preview and are answered from it, chunked
# ones included (204 instead of an echo), while larger ones, known size or
# chunked, still pass byte-identical (echoed) from 3 KB to 5 MB, both ways.

SI_NEEDS_MODULE=1
SI_ORIGIN_NAMES="www.origin.test"

. "$top_srcdir/tests/integration/svc-origin.sh"

case_main()
{
	local s rc out method shape want what sizes="3000 30000 60000 61440 65536 70000 200000 1000000 5000000"
	SI_CICAP_EXTRA="sslinspect.PreviewSize 61440
$(svc_shapes_conf)"
	si_start_all
	for s in $sizes; do
		head -c "$s" /dev/urandom > "$T/www/r$s.bin"
		awk -v n="$s" 'BEGIN { while (t < n) { l = sprintf("line %d, %d\n", i++, rand() * 1e9);
		    printf "%s", l; t += length(l) } }' | head -c "$s" > "$T/www/t$s.txt"
	done
	chmod a+r "$T/www/"*
	svc_origin_gzip /t3000.txt
	for s in $sizes; do
		si_curl -H "X-Shape: r$s" -o "$T/tmp/r$s" "$(si_url /r$s.bin)" ||
		    si_fail "download r$s"
		cmp -s "$T/tmp/r$s" "$T/www/r$s.bin" || si_fail "download r$s differs"
		rc=0
		si_curl -H "X-Shape: t$s" --compressed -o "$T/tmp/t$s" -D "$T/tmp/t$s.h" \
		    "$(si_url /t$s.txt)" || rc=$?
		[ $rc = 0 ] || si_lost_last_chunk $rc "$T/tmp/t$s.h" "$T/tmp/t$s" "$T/www/t$s.txt" ||
		    si_fail "chunked download t$s: curl exit $rc"
		cmp -s "$T/tmp/t$s" "$T/www/t$s.txt" || si_fail "chunked download t$s differs"
		out=$(si_curl -H "X-Shape: u$s" -H 'Transfer-Encoding: chunked' \
		    -H 'Content-Type: application/octet-stream' \
		    --data-binary @"$T/www/r$s.bin" "$(si_url /upload)") ||
		    si_fail "chunked upload u$s"
		si_assert_eq "$out" received "chunked upload u$s"
	done

	# What c-icap logged, as a table: method, shape, the expected log
	# line and what it shows; each line is waited for (c-icap logs a
	# request after Squid has its answer).
	while IFS='|' read -r method shape want what; do
		si_wait_log "$T/log/icap-shapes.log" "^$method [0-9]+ shape=$shape " \
		    "$what: logged"
		si_assert_match "$(svc_shape "$method" "$shape")" "$want" "$what"
	done <<'SHAPES'
RESPMOD|r60000|^RESPMOD 204 shape=r60000 allow=204, 206, trailers preview=60000 out=0$|60000 bytes of known size: one preview, 204
RESPMOD|r65536|^RESPMOD 200 shape=r65536 allow=206, trailers preview=61440 out=65536$|64 KiB: over the preview, echoed
REQMOD|u60000|^REQMOD 204 shape=u60000 allow=206, trailers preview=61440 out=0$|60000-byte chunked upload: 204 from the preview
REQMOD|u61440|^REQMOD 204 shape=u61440 allow=206, trailers preview=61440 out=0$|61440-byte chunked upload: 204 from the preview
REQMOD|u70000|^REQMOD 200 shape=u70000 allow=206, trailers preview=61440 out=70000$|70000-byte chunked upload: echoed
RESPMOD|t70000|^RESPMOD 204 shape=t70000 allow=206, trailers preview=61440 out=0$|compressed chunked download under 60 KiB: 204 from the preview
SHAPES
	si_assert_nomatch "$(cat "$T/log/icap-shapes.log")" '^[A-Z]+ 206 ' "a 206 answer"
}
