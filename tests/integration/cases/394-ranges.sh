# Transfer tricks with ranges and lengths, through real Squid + c-icap
# (issue 12): EICAR fetched as two Range requests, as a multi-range 206,
# with If-Range and Request-Range, as unsolicited 206s from the origin
# (one labelled image/png), a Content-Length that announces 200 MB for 68
# bytes, and Transfer-Encoding gzip both ways (Squid refuses it: no service
# sees it, no byte reaches the other side). A request for a range of inspected content goes on
# without its Range, so the whole comes back, is inspected, and the client
# gets all of it (200); a range the origin sends anyway is blocked unless
# it is an image or media. A download the policy passes uninspected keeps
# its Range.

. "$top_srcdir/tests/integration/corpus-lib.sh"

case_main()
{
	local url py
	# shellcheck disable=SC2034 # read by si_origin_start
	SI_ORIGIN_NAMES="www.origin.test media.origin.test"
	printf 'version: 1\nrules:\n  - name: media-cdn\n    match: { host: [media.origin.test], direction: download }\n    action: allow\n' \
	    > "$T/etc/policy.yaml"
	chmod a+r "$T/etc/policy.yaml"
	SI_CICAP_EXTRA="sslinspect.PolicyFile $T/etc/policy.yaml"
	cx_setup
	si_start_all
	si_pyorigin_start
	[ "$SI_ICAP_SERVICE" = sslinspect ] || si_fail "module not built"
	printf '%s' "$CX_EICAR" > "$T/www/eicar.txt"
	head -c 100000 /dev/urandom > "$T/www/clean.bin"
	head -c 100 "$T/www/clean.bin" > "$T/tmp/clean-100"
	{ printf '\211PNG\r\n\032\n\0\0\0\rIHDR'; head -c 5000 /dev/urandom; } > "$T/www/image.png"
	head -c 1000 "$T/www/image.png" > "$T/tmp/image-1000"
	chmod a+r "$T/www/"*
	url=$(cx_url "$ORIGIN_PORT" /eicar.txt)
	py=$PYORIGIN_PORT

	cx_download "EICAR, first of two Range requests (bytes 0-33)" block - -r 0-33 "$url"
	cx_download "EICAR, second of two Range requests (bytes 34-67)" block - -r 34-67 "$url"
	cx_download "EICAR as a multi-range 206 (0-33,34-67)" block - -r 0-33,34-67 "$url"
	cx_download "EICAR, Range with If-Range" block - -r 34-67 -H 'If-Range: "x"' "$url"
	cx_download "EICAR, Request-Range (the old name Apache reads)" block - \
	    -H "Request-Range: bytes=34-67" "$url"
	cx_download "EICAR, unsolicited 206 of bytes 0-33" block - "$(cx_url "$py" '/eicar.txt?part=0-33')"
	cx_download "EICAR, unsolicited 206 of bytes 34-67" block - "$(cx_url "$py" '/eicar.txt?part=34-67')"
	cx_download "EICAR, unsolicited 206 labelled image/png" block - \
	    "$(cx_url "$py" '/eicar.txt?part=34-67&ctype=image/png')"
	cx_download "EICAR, Content-Length 200 MB for 68 bytes" block - \
	    "$(cx_url "$py" '/eicar.txt?lie=209715200')"
	cx_download "EICAR, Transfer-Encoding: gzip, chunked (Squid refuses it)" block - \
	    "$(cx_url "$py" '/eicar.txt?te=gzip')"
	gzip -c "$T/www/eicar.txt" > "$T/tmp/eicar.gz"
	cx_upload "upload of EICAR in Transfer-Encoding: gzip, chunked" block \
	    -H "Transfer-Encoding: gzip, chunked" --data-binary "@$T/tmp/eicar.gz" \
	    "$(si_url /upload)"

	# What must keep working.
	cx_download "clean file asked for in a range: the whole comes back" pass \
	    "$T/www/clean.bin" -r 0-99 "$(cx_url "$ORIGIN_PORT" /clean.bin)"
	si_assert_eq "$CX_CODE" 200 "a stripped range is answered whole"
	cx_download "unsolicited 206 of an image's first 1000 bytes" pass "$T/tmp/image-1000" \
	    "$(cx_url "$py" '/image.png?part=0-999')"
	cx_download "range of a download the policy passes uninspected" pass "$T/tmp/clean-100" \
	    -r 0-99 "https://media.origin.test:$ORIGIN_PORT/clean.bin"
	si_assert_eq "$CX_CODE" 206 "the range was kept"

	si_wait_log "$T/log/audit.log" '"path":"/eicar.txt\?part=0-33".*"verdict":"block".*partial content' \
	    "unsolicited range audited with its reason"
	si_assert_nomatch "$(grep -c '"verdict":"block"' "$T/log/audit.log")" '^0$' "blocks audited"
}
