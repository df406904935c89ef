# Where data hides, through real Squid + c-icap to nginx (issue 12): a card
# number in the query of a GET (a request without a body) or a POST, in a
# cookie, in a header of its own, in a multipart file name, as JSON \u
# escapes sent as text/plain, spread over the elements of a JSON array,
# over four form fields (urlencoded and multipart) and over four query
# fields. The request line and headers are inspected like a form. The
# audit log keeps no card number of a URL, and every line of it is valid
# UTF-8 JSON whatever the request held. The DLP engine counts a card
# only with evidence beyond its digits (a context word such as "card"
# within 100 bytes, an expiry date, other cards), so each attempt names
# what it sends, as a form, a cookie or a JSON key does; the same digits
# under a name that says nothing pass. Ordinary browsing, numbers that are
# no card, and clean uploads pass.

. "$top_srcdir/tests/integration/corpus-lib.sh"

case_main()
{
	local idx cardq
	cx_setup
	si_start_all
	[ "$SI_ICAP_SERVICE" = sslinspect ] || si_fail "module not built"
	idx=$(si_url /index.html)
	cardq='4111%201111%201111%201111'

	cx_download "GET, card in the query" block - "$idx?card=$cardq"
	cx_download "GET, card in the path" block - "$(si_url /card/4111111111111111/receipt)"
	cx_download "GET, card spread over four query fields" block - \
	    "$idx?card1=4111&card2=1111&card3=1111&card4=1111"
	cx_download "GET, card %u-escaped in the query (IIS)" block - \
	    "$idx?card=%u0034111%20%u0031111%201111%201111"
	cx_download "GET, card in a cookie" block - -H "Cookie: sid=abc; card=$CX_CARD" "$idx"
	cx_download "GET, card in a header of its own" block - \
	    -H "X-Card-Number: $CX_CARD" "$idx"
	cx_upload "POST, card in the query, clean body" block --data "note=hello" \
	    "$(si_url "/upload?card=$cardq")"
	printf 'invoice\n' > "$T/tmp/invoice.txt"
	cx_upload "multipart, card in the file name" block \
	    -F "file=@$T/tmp/invoice.txt;filename=card $CX_CARD.txt" "$(si_url /upload)"
	cx_upload "JSON \\u escapes sent as text/plain" block -H "Content-Type: text/plain" \
	    --data-binary '{"card":"\u0034\u0031\u0031\u0031 1111 1111 1111"}' "$(si_url /upload)"
	cx_upload "JSON, card spread over array elements" block \
	    -H "Content-Type: application/json" --data-binary '{"card":[4111,1111,1111,1111]}' \
	    "$(si_url /upload)"
	cx_upload "JSON, card as strings in an array, sent as text/plain" block \
	    -H "Content-Type: text/plain" \
	    --data-binary '{"card":["4111","1111","1111","1111"]}' "$(si_url /upload)"
	cx_upload "form, card spread over four fields" block \
	    --data 'card1=4111&card2=1111&card3=1111&card4=1111' "$(si_url /upload)"
	cx_upload "multipart, card spread over four fields" block \
	    -F card1=4111 -F card2=1111 -F card3=1111 -F card4=1111 "$(si_url /upload)"

	# What must keep working.
	cx_download "GET, an ordinary page" pass "$T/www/index.html" "$idx"
	cx_download "GET, a page with ids and a timestamp in the query" pass "$T/www/index.html" \
	    "$idx?id=1234567890123456&ts=1764844800123&page=2"
	cx_download "GET, a Luhn-valid 16-digit id under a name that says nothing" pass \
	    "$T/www/index.html" "$idx?order=4111111111111111"
	cx_download "GET, ordinary cookies and headers" pass "$T/www/index.html" \
	    -H "Cookie: sid=0f1e2d3c4b5a69788796a5b4c3d2e1f0; theme=dark" \
	    -H "X-Request-Id: 6f9619ff-8b86-d011-b42d-00cf4fc964ff" "$idx"
	cx_upload "form with a quantity and a phone number" pass \
	    --data 'qty=4&zip=10115&phone=%2B49%2030%20123456' "$(si_url /upload)"
	cx_upload "JSON with numbers that are no card" pass -H "Content-Type: application/json" \
	    --data-binary '{"ids":[4021,1999,2024,1234],"year":2026}' "$(si_url /upload)"

	# The audit log: nothing of a card in a URL, valid UTF-8 JSON throughout.
	cx_download "GET, bytes that are not UTF-8 in the query" pass "$T/www/index.html" \
	    "$idx?q=%ff%fe%c3%28"
	si_wait_log "$T/log/audit.log" '"path":"/index.html\?card=.*"verdict":"block"' \
	    "the query block audited"
	si_wait_log "$T/log/audit.log" '"direction":"request".*"verdict":"block"' \
	    "a request without a body blocked and audited as one"
	si_assert_nomatch "$(cat "$T/log/audit.log")" '4111(%20| |)1111(%20| |)1111' \
	    "no card number in the audit log"
	si_assert_nomatch "$(cat "$T/log/audit.log")" 'card1=4111|card2=1111|/4111' \
	    "no card number spread over fields in the audit log"
	python3 - "$T/log/audit.log" <<'PY' || si_fail "audit log: not valid UTF-8 JSON lines"
import json, sys
for n, line in enumerate(open(sys.argv[1], "rb").read().split(b"\n"), 1):
    if line:
        json.loads(line.decode("utf-8", errors="strict"))
PY
}
