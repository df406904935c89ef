# Which ICAP answers Squid 5.7 accepts and the service gives, shape by
# shape, from Squid's "Allow:" header and c-icap's status in c-icap's
# access log. Squid offers "Allow: 204, 206" only for a body of known size
# under 64 KiB and "Allow: 206" (inside the preview only) otherwise, so:
#  - known size under 64 KiB, inspected in full: 204 after the body;
#  - 1 MB, inspected in full: echoed (ICAP 200), no 204/206 possible;
#  - a chunked body that fits in the preview ("0; ieof"): decided in the
#    preview and answered 204 there, for a response (gzip, chunked) and a
#    request; EICAR or a card number in it is still blocked; a longer
#    chunked body is echoed;
#  - 1 MB from a host the policy allows: 204 in the preview, no echo.
# Squid is offered 206 but never needs it: no answer is a 206. Every
# clean body arrives byte-identical.

SI_NEEDS_MODULE=1
SI_ORIGIN_NAMES="www.origin.test cdn.origin.test"

. "$top_srcdir/tests/integration/svc-origin.sh"

case_main()
{
	local code out long method shape want what
	cat > "$T/etc/policy.yaml" <<'YAML'
version: 1
rules:
  - name: trusted-cdn
    match: { host: cdn.origin.test }
    action: allow
default: { action: inspect }
YAML
	chmod a+r "$T/etc/policy.yaml"
	SI_CICAP_EXTRA="sslinspect.PolicyFile $T/etc/policy.yaml
$(svc_shapes_conf)"
	si_start_all
	head -c 30000 /dev/urandom > "$T/www/small.bin"
	head -c 1000000 /dev/urandom > "$T/www/large.bin"
	awk 'BEGIN { for (i = 0; i < 400; i++) printf "line %d of a plain text file\n", i }' \
	    > "$T/www/text.txt"
	printf '%s' 'X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*' \
	    > "$T/www/eicar.txt"
	head -c 3000 "$T/www/text.txt" > "$T/www/short.txt"
	{ cat "$T/www/short.txt"; echo "card 4111111111111111"; } > "$T/www/card.txt"
	chmod a+r "$T/www/"*
	svc_origin_gzip /text.txt

	si_curl -H 'X-Shape: small' -o "$T/tmp/small" "$(si_url /small.bin)" ||
	    si_fail "small download"
	cmp -s "$T/tmp/small" "$T/www/small.bin" || si_fail "small download differs"
	si_curl -H 'X-Shape: large' -o "$T/tmp/large" "$(si_url /large.bin)" ||
	    si_fail "large download"
	cmp -s "$T/tmp/large" "$T/www/large.bin" || si_fail "large download differs"
	si_curl -H 'X-Shape: chunked' --compressed -D "$T/tmp/chunked.h" \
	    -o "$T/tmp/chunked" "$(si_url /text.txt)" || si_fail "chunked download"
	cmp -s "$T/tmp/chunked" "$T/www/text.txt" || si_fail "chunked download differs"
	si_assert_match "$(cat "$T/tmp/chunked.h")" '[Cc]ontent-[Ee]ncoding: gzip' \
	    "the chunked download was compressed"
	si_assert_nomatch "$(cat "$T/tmp/chunked.h")" '[Cc]ontent-[Ll]ength' \
	    "the chunked download had no length"
	code=$(si_curl -H 'X-Shape: chunkedeicar' --compressed -o "$T/tmp/card.html" \
	    -w '%{http_code}' "$(si_url /eicar.txt)")
	si_assert_eq "$code" 403 "EICAR in a chunked download"
	si_assert_match "$(cat "$T/tmp/card.html")" 'incident' "block page"
	out=$(si_curl -H 'X-Shape: upload' -H 'Transfer-Encoding: chunked' \
	    -H 'Content-Type: text/plain' --data-binary @"$T/www/short.txt" \
	    "$(si_url /upload)") || si_fail "chunked upload"
	si_assert_eq "$out" received "chunked upload"
	out=$(si_curl -H 'X-Shape: uploadlong' -H 'Transfer-Encoding: chunked' \
	    -H 'Content-Type: text/plain' --data-binary @"$T/www/text.txt" \
	    "$(si_url /upload)") || si_fail "long chunked upload"
	si_assert_eq "$out" received "long chunked upload"
	code=$(si_curl -H 'X-Shape: uploadcard' -H 'Transfer-Encoding: chunked' \
	    -H 'Content-Type: text/plain' --data-binary @"$T/www/card.txt" \
	    -o /dev/null -w '%{http_code}' "$(si_url /upload)")
	si_assert_eq "$code" 403 "card number in a chunked upload"
	si_curl -H 'X-Shape: allowed' -o "$T/tmp/allowed" \
	    "$(si_url /large.bin cdn.origin.test)" || si_fail "allowed download"
	cmp -s "$T/tmp/allowed" "$T/www/large.bin" || si_fail "allowed download differs"

	# What c-icap logged for each request, as a table: method, the shape
	# curl marked it with, the expected log line (@TEXT@ is the size of
	# text.txt) and what it shows. c-icap logs a request after Squid has
	# its answer, so each line is waited for.
	long=$(wc -c < "$T/www/text.txt")
	while IFS='|' read -r method shape want what; do
		si_wait_log "$T/log/icap-shapes.log" "^$method [0-9]+ shape=$shape " \
		    "$what: logged"
		si_assert_match "$(svc_shape "$method" "$shape")" \
		    "${want//@TEXT@/$long}" "$what"
	done <<'SHAPES'
RESPMOD|small|^RESPMOD 204 shape=small allow=204, 206, trailers preview=4096 |known size under 64 KiB: 204 after the whole body
RESPMOD|large|^RESPMOD 200 shape=large allow=206, trailers preview=4096 out=1000000$|1 MB inspected: 206 offered for the preview only, body echoed
RESPMOD|chunked|^RESPMOD 204 shape=chunked allow=206, trailers preview=4096 |chunked response inside the preview: 204 from the preview
RESPMOD|chunkedeicar|^RESPMOD 200 shape=chunkedeicar allow=206, trailers |chunked response blocked
REQMOD|upload|^REQMOD 204 shape=upload allow=206, trailers preview=4096 out=0$|chunked request inside the preview: 204 from the preview
REQMOD|uploadlong|^REQMOD 200 shape=uploadlong allow=206, trailers preview=4096 out=@TEXT@$|chunked request longer than the preview: echoed
REQMOD|uploadcard|^REQMOD 200 shape=uploadcard |chunked request blocked
RESPMOD|allowed|^RESPMOD 204 shape=allowed allow=206, trailers preview=4096 out=0$|allowed host: 204 in the preview, nothing echoed
SHAPES
	si_assert_nomatch "$(cat "$T/log/icap-shapes.log")" '^[A-Z]+ 206 ' "a 206 answer"
	si_assert_nomatch "$(cat "$T/log/cache.log")" 'ICAP|essential' "ICAP errors in Squid"
}
