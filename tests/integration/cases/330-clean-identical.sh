# Clean traffic is byte-identical through Squid + c-icap + srv_sslinspect,
# small (204 path) and large (echo path) bodies, both ways. A download
# over MaxHoldSize is released while it is scanned (logged so) and still
# arrives whole; an upload over MaxUploadSize is blocked.

SI_NEEDS_MODULE=1

case_main()
{
	local size code got
	touch "$T/log/audit.log"
	si_own c-icap "$T/log/audit.log"
	SI_CICAP_EXTRA="sslinspect.MaxUploadSize 3M
sslinspect.AuditLog $T/log/audit.log"
	# A Squid before 6.13 keeps the shipped 60K hold (it cannot wait longer).
	si_squid_holds && SI_CICAP_EXTRA="$SI_CICAP_EXTRA
sslinspect.MaxHoldSize 3M"
	si_start_all
	for size in 0 1 4095 4096 4097 65535 65536 70000 1000000 2500000; do
		head -c $size /dev/urandom > "$T/www/r$size.bin"
	done
	head -c 5000000 /dev/urandom > "$T/www/big.bin"
	chmod a+r "$T/www/"*

	for size in 0 1 4095 4096 4097 65535 65536 70000 1000000 2500000; do
		si_curl -o "$T/tmp/d$size" "$(si_url /r$size.bin)" || si_fail "download $size"
		cmp -s "$T/tmp/d$size" "$T/www/r$size.bin" || si_fail "download $size differs"
		got=$(si_curl --data-binary @"$T/www/r$size.bin" \
		    -H 'Content-Type: application/octet-stream' "$(si_url /upload)") ||
		    si_fail "upload $size"
		si_assert_eq "$got" "received" "upload $size"
	done

	si_curl -o "$T/tmp/big" "$(si_url /big.bin)" || si_fail "big download"
	cmp -s "$T/tmp/big" "$T/www/big.bin" || si_fail "big download released while scanned differs"
	code=$(si_curl -o /dev/null -w '%{http_code}' --data-binary @"$T/www/big.bin" \
	    "$(si_url /upload)")
	si_assert_eq "$code" 403 "upload over MaxUploadSize"
	si_wait_log "$T/log/audit.log" '"path":"/big.bin","direction":"download","verdict":"allow","rule":"default","reason":"released while scanned"' \
	    "download over the hold limit logged"
	si_wait_log "$T/log/audit.log" '"direction":"upload","verdict":"block","rule":"default","reason":"too large to inspect"' \
	    "oversize upload logged"
	# Every byte of it was scanned: "bytes" counts what was spooled and
	# scanned, whatever the hold.
	si_assert_match "$(grep -F '"path":"/big.bin"' "$T/log/audit.log")" '"bytes":5000000,' \
	    "the download over the hold limit was scanned whole"
}
