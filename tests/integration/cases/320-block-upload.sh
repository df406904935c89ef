# Uploads (REQMOD) through real Squid + c-icap + TLS origin: a card number
# in a multipart file part, in a urlencoded form and in a JSON body is
# blocked with the 403 page before anything reaches the origin; a clean
# upload and an upload of the same bytes to an allowed host go through. A
# 4 MB upload with the card number at its very end gets the block page too,
# and nothing of it reaches the origin.

SI_NEEDS_MODULE=1
SI_ORIGIN_NAMES="www.origin.test partner.origin.test"

case_main()
{
	local out code n
	cat > "$T/etc/policy.yaml" <<'YAML'
version: 1
rules:
  - name: partner-allowed
    match: { host: [partner.origin.test], direction: upload }
    action: allow
default: { action: inspect }
YAML
	chmod a+r "$T/etc/policy.yaml"
	# Every upload here is held whole, however slow the machine: the
	# case is about the page, and nothing reaching the origin. Past
	# MaxUploadHoldTime the request would go on ahead (case 402).
	SI_CICAP_EXTRA="sslinspect.PolicyFile $T/etc/policy.yaml
sslinspect.MaxUploadHoldTime 60"
	si_start_all
	printf 'Invoice\nPay with card 4111111111111111 please\n' > "$T/tmp/card.txt"
	head -c 100000 /dev/urandom | base64 > "$T/tmp/clean.txt"

	code=$(si_curl -o "$T/tmp/up1" -w '%{http_code}' -F "note=hi" \
	    -F "file=@$T/tmp/card.txt" "$(si_url /upload)")
	si_assert_eq "$code" 403 "multipart card upload status"
	si_assert_match "$(cat "$T/tmp/up1")" "This transfer was blocked" "upload block page"

	code=$(si_curl -o /dev/null -w '%{http_code}' --data "a=1&card=4111111111111111" \
	    "$(si_url /upload)")
	si_assert_eq "$code" 403 "urlencoded card upload status"

	out=$(si_curl -H 'Content-Type: application/json' -H 'Accept: application/json' \
	    --data '{"card":"\u0034111111111111111"}' "$(si_url /upload)")
	si_assert_match "$out" '"blocked":true' "JSON card upload blocked (escaped digit)"

	out=$(si_curl -F "file=@$T/tmp/clean.txt" "$(si_url /upload)")
	si_assert_eq "$out" "received" "clean upload"
	out=$(si_curl -F "file=@$T/tmp/card.txt" "$(si_url /upload partner.origin.test)")
	si_assert_eq "$out" "received" "upload to allowed host"

	# Squid logs each upload when it ends, after the origin saw it (if
	# it did): once all five are in access.log, the origin's count holds.
	si_wait_count "$T/log/access.log" " POST https://[^ ]*/upload" 5 \
	    "the uploads in Squid's access log"
	n=$(grep -c 'POST /upload' "$T/log/origin-access.log" || true)
	si_assert_eq "$n" 2 "only the two allowed uploads reached the origin"

	{ head -c 3000000 /dev/urandom | base64; cat "$T/tmp/card.txt"; } > "$T/tmp/big.txt"
	code=$(si_curl -o "$T/tmp/up4" -w '%{http_code}' -H 'Content-Type: text/plain' \
	    --data-binary @"$T/tmp/big.txt" "$(si_url /upload)")
	si_assert_eq "$code" 403 "big card upload status"
	si_assert_match "$(cat "$T/tmp/up4")" "This transfer was blocked" "big upload block page"
	si_wait_count "$T/log/access.log" " POST https://[^ ]*/upload" 6 \
	    "the big upload in Squid's access log"
	n=$(grep -c 'POST /upload' "$T/log/origin-access.log" || true)
	si_assert_eq "$n" 2 "the big card upload never reached the origin"
}
