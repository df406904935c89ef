# Number shapes (issue 12), uploaded through real Squid + c-icap to nginx
# as forms, JSON and text: cards written with dots, slashes, tabs,
# no-break spaces, double spaces, mixed separators, glued to letters, 19
# digits, full-width digits, followed by an expiry date and a code; IBANs
# in small letters or with dashes; SSNs under JSON keys ssn_number,
# socialSecurityNumber and customerSsn. And the false blocks of §3, which
# must pass: 200 random 16-digit order ids each uploaded alone, all of
# them in one upload, the look-alikes of the benign corpus, and Debian's
# own harfbuzz changelog (16-digit OSS-Fuzz test case ids), gzipped as it
# is installed.

. "$top_srcdir/tests/integration/corpus-lib.sh"

case_main()
{
	local up b=$top_srcdir/tests/corpus/benign id n=0 hb
	cx_setup
	si_start_all
	[ "$SI_ICAP_SERVICE" = sslinspect ] || si_fail "module not built"
	up=$(si_url /upload)

	cx_upload "card with dots" block --data-urlencode 'card=4111.1111.1111.1111' "$up"
	cx_upload "card with slashes" block --data-urlencode 'cc_number=4111/1111/1111/1111' "$up"
	cx_upload "card with tabs" block -H 'Content-Type: text/plain' \
	    --data-binary "$(printf 'card\t4111\t1111\t1111\t1111')" "$up"
	cx_upload "card with no-break spaces" block -H 'Content-Type: text/plain' \
	    --data-binary "$(printf 'Visa: 4111\302\2401111\302\2401111\302\2401111')" "$up"
	cx_upload "card with double spaces" block --data-urlencode 'payment=4111  1111  1111  1111' "$up"
	cx_upload "card with mixed separators" block --data-urlencode 'card=4111 1111-1111.1111' "$up"
	cx_upload "card glued to letters" block -H 'Content-Type: text/plain' \
	    --data-binary 'ccnum4111111111111111exp1229' "$up"
	cx_upload "19-digit Visa" block -H 'Content-Type: application/json' \
	    --data-binary '{"pan":"4000000000000000006"}' "$up"
	cx_upload "full-width digits" block -H 'Content-Type: text/plain; charset=utf-8' \
	    --data-binary "$(printf 'card \357\274\224\357\274\221\357\274\221\357\274\221 \357\274\221\357\274\221\357\274\221\357\274\221 \357\274\221\357\274\221\357\274\221\357\274\221 \357\274\221\357\274\221\357\274\221\357\274\221')" "$up"
	cx_upload "card followed by expiry and CVV, no other word" block -H 'Content-Type: text/plain' \
	    --data-binary '4111111111111111 12/29 123' "$up"
	cx_upload "IBAN in small letters" block --data-urlencode 'iban=de89 3704 0044 0532 0130 00' "$up"
	cx_upload "IBAN with dashes" block --data-urlencode 'account=DE89-3704-0044-0532-0130-00' "$up"
	cx_upload "SSN under ssn_number" block -H 'Content-Type: application/json' \
	    --data-binary '{"ssn_number":"536-22-1234"}' "$up"
	cx_upload "SSN under socialSecurityNumber" block -H 'Content-Type: application/json' \
	    --data-binary '{"socialSecurityNumber":"536-22-1234"}' "$up"
	cx_upload "solid SSN under customerSsn" block -H 'Content-Type: application/json' \
	    --data-binary '{"customerSsn":"536221234"}' "$up"

	# The false blocks of issue 12 §3.
	while read -r id; do
		n=$((n + 1))
		cx_curl "$T/tmp/cx" -H 'Content-Type: application/json' \
		    --data-binary "{\"order_id\":\"$id\",\"qty\":1}" "$up"
		[ "$(cx_got "$T/tmp/cx")" = pass ] ||
		    cx_check "order id $n of 200 alone ($id)" pass "$(cx_got "$T/tmp/cx")"
	done < "$b/order-ids.txt"
	cx_check "200 random 16-digit order ids, each alone" pass pass
	cx_upload "200 random 16-digit order ids in one upload" pass \
	    -F "file=@$b/order-ids.txt" "$up"
	cx_upload "look-alikes of the widened shapes" pass \
	    -F "file=@$b/number-shapes-lookalikes.txt" "$up"
	cx_upload "order export look-alikes" pass -F "file=@$b/lookalikes.txt" "$up"
	cx_upload "API orders with ids and timestamps" pass -H 'Content-Type: application/json' \
	    --data-binary "@$b/api-orders.json" "$up"
	for hb in /usr/share/doc/libharfbuzz0b/changelog.gz /usr/share/doc/libharfbuzz-subset0/changelog.gz; do
		[ -f "$hb" ] || continue
		cx_upload "Debian's $hb" pass -F "file=@$hb" "$up"
	done
}
