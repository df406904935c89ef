# srv_sslinspect in a real c-icap, driven with c-icap-client: the module
# loads from the one Service line with its defaults, answers OPTIONS with
# preview, 204 and 206, passes a clean body (204, or a byte-identical echo
# when 204 is not allowed), blocks the EICAR test file with a 403 page,
# and shows its counters in c-icap's info service.

SI_NEEDS_MODULE=1

svc_icap()
{
	c-icap-client -i 127.0.0.1 -p "$ICAP_PORT" -s sslinspect "$@" 2>&1
}

case_main()
{
	local out
	# c-icap-client, not Squid, is the client: the 60K hold that a Squid
	# before 6.13 needs does not apply (srv_sslinspect(5)).
	SI_CICAP_EXTRA="sslinspect.MaxHoldSize 256M"
	si_cicap_start

	out=$(svc_icap)
	si_assert_match "$out" "Preview: 4096" "OPTIONS preview"
	si_assert_match "$out" "Allow: 204, 206|Allow: 206, 204|Allow: 204,206" "OPTIONS allows 204 and 206"
	si_assert_match "$out" "ISTag: \"?[A-Z0-9]*sslinspect-" "ISTag"

	head -c 200000 /dev/urandom > "$T/tmp/clean.bin"
	out=$(svc_icap -f "$T/tmp/clean.bin" -v)
	si_assert_match "$out" "ICAP/1.0 204" "clean RESPMOD with Allow: 204"
	svc_icap -f "$T/tmp/clean.bin" -no204 -nopreview -o "$T/tmp/clean.out" > "$T/tmp/echo.log"
	si_assert_eq "$(sha256sum < "$T/tmp/clean.out")" "$(sha256sum < "$T/tmp/clean.bin")" \
	    "clean body echoed byte-identical"

	printf '%s' 'X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*' \
	    > "$T/tmp/eicar.com"
	out=$(svc_icap -f "$T/tmp/eicar.com" -v -o "$T/tmp/eicar.out" \
	    -req https://dl.origin.test/eicar.com)
	si_assert_match "$out" "HTTP/1.1 403 Forbidden" "EICAR blocked"
	si_assert_match "$(cat "$T/tmp/eicar.out")" "This transfer was blocked" "block page"
	si_assert_match "$(cat "$T/tmp/eicar.out")" "[0-9a-f]{16}" "incident id"
	si_assert_nomatch "$(cat "$T/tmp/eicar.out")" "EICAR-STANDARD" "no body leak"

	# The same file gzip-encoded, and gzip then deflate (chained), is found too.
	gzip -c "$T/tmp/eicar.com" > "$T/tmp/eicar.gz"
	out=$(svc_icap -f "$T/tmp/eicar.gz" -v -rhx "Content-Encoding: gzip")
	si_assert_match "$out" "HTTP/1.1 403 Forbidden" "gzip-encoded EICAR blocked"
	python3 -c 'import sys, zlib; sys.stdout.buffer.write(zlib.compress(open(sys.argv[1], "rb").read()))' \
	    "$T/tmp/eicar.gz" > "$T/tmp/eicar.gz.df"
	out=$(svc_icap -f "$T/tmp/eicar.gz.df" -v -rhx "Content-Encoding: gzip, deflate")
	si_assert_match "$out" "HTTP/1.1 403 Forbidden" "gzip+deflate EICAR blocked"

	out=$(c-icap-client -i 127.0.0.1 -p "$ICAP_PORT" -s "info?view=text" \
	    -req http://localhost/ 2>&1)
	si_assert_match "$out" "Service sslinspect" "stats group"
	si_assert_match "$out" "Blocked: detection *: *3" "detection counter"
}
