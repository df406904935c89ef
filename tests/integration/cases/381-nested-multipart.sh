# Nested multipart uploads through real Squid + c-icap + TLS origin: a
# card number in a base64 or quoted-printable file inside a multipart/mixed
# form field (curl's subparts and encoders) is decoded and blocked before
# it reaches the origin; the same form without it goes through; a body
# nested deeper than the limit is blocked as uninspectable.

SI_NEEDS_MODULE=1
SI_ORIGIN_NAMES="www.origin.test"

case_main()
{
	local code out n i b
	touch "$T/log/audit.log"
	si_own c-icap "$T/log/audit.log"
	SI_CICAP_EXTRA="sslinspect.AuditLog $T/log/audit.log"
	si_start_all
	printf 'Invoice\nPay with card 4111111111111111 please\n' > "$T/tmp/card.txt"
	printf 'Invoice\nPay by bank transfer\n' > "$T/tmp/clean.txt"

	for enc in base64 quoted-printable; do
		code=$(si_curl -o "$T/tmp/up-$enc" -w '%{http_code}' -F "note=hi" \
		    -F "files=(;type=multipart/mixed" \
		    -F "a=@$T/tmp/clean.txt;encoder=$enc" \
		    -F "b=@$T/tmp/card.txt;encoder=$enc" -F "=)" \
		    "$(si_url /upload)")
		si_assert_eq "$code" 403 "card in a nested $enc part"
		si_assert_match "$(cat "$T/tmp/up-$enc")" "This transfer was blocked" \
		    "nested $enc block page"
	done
	out=$(si_curl -F "note=hi" -F "files=(;type=multipart/mixed" \
	    -F "a=@$T/tmp/clean.txt;encoder=base64" -F "=)" "$(si_url /upload)")
	si_assert_eq "$out" "received" "clean nested upload"

	# Nine levels, one more than the limit.
	b=""
	for i in 1 2 3 4 5 6 7 8; do
		b="$b--b$i\r\nContent-Type: multipart/mixed; boundary=b$((i + 1))\r\n\r\n"
	done
	b="$b--b9\r\n\r\nhidden\r\n"
	for i in 9 8 7 6 5 4 3 2 1; do b="$b--b$i--\r\n"; done
	printf '%b' "$b" > "$T/tmp/deep.txt"
	code=$(si_curl -o "$T/tmp/deep.out" -w '%{http_code}' \
	    -H 'Content-Type: multipart/form-data; boundary=b1' \
	    --data-binary @"$T/tmp/deep.txt" "$(si_url /upload)")
	si_assert_eq "$code" 403 "nesting over the limit"

	# Squid logs each upload when it ends, after the origin saw it (if
	# it did), and after the service wrote its audit line.
	si_wait_count "$T/log/access.log" " POST https://[^ ]*/upload" 4 \
	    "the four uploads in Squid's access log"
	n=$(grep -c 'POST /upload' "$T/log/origin-access.log" || true)
	si_assert_eq "$n" 1 "only the clean upload reached the origin"
	out=$(cat "$T/log/audit.log")
	si_assert_match "$out" '"verdict":"block".*"findings":\[\{[^]]*card' \
	    "nested card finding audited"
	si_assert_match "$out" '"verdict":"block","rule":"default","reason":"[^"]*multipart' \
	    "deep nesting audited with a multipart reason"
}
