# What an engine did not look at is in the audit record: with signatures
# loaded (one of our own, so that ClamAV demonstrably scans), a download
# over sslinspect.ClamAVMaxSize is allowed on the other engines' verdict
# and its line says "skipped":[{"engine":"clamav",...,"why":"larger than
# ClamAVMaxSize"}]; one under it was scanned by ClamAV ("skipped":[]),
# and the file that matches the signature is blocked by ClamAV. A script
# host's program is scanned by its name: the same text that passes as
# notes.txt (plain text is not sent to ClamAV) is blocked as run.js, and
# with a JPEG header in front of it as run.bat.

SI_NEEDS_MODULE=1
SI_ORIGIN_NAMES="www.origin.test"

# audit_line PATH: the audit line of the last request for PATH.
audit_line()
{
	si_wait_log "$T/log/audit.log" "\"path\":\"$1\""
	grep -F "\"path\":\"$1\"" "$T/log/audit.log" | tail -n 1
}

case_main()
{
	local line sum
	mkdir -p "$T/clamdb"
	head -c 3000 /dev/urandom > "$T/www/bad.bin"
	head -c 3000 /dev/urandom > "$T/www/small.bin"
	head -c 200000 /dev/urandom > "$T/www/big.bin"
	sum=$(md5sum < "$T/www/bad.bin" | cut -d' ' -f1)
	echo "$sum:3000:Sslinspect.Test.Bad" > "$T/clamdb/test.hdb"
	printf 'echo sslinspect-dropper-marker\r\n' > "$T/www/notes.txt"
	cp "$T/www/notes.txt" "$T/www/run.js"
	{ printf '\377\330\377\340\000\020JFIF\000\001\001\000\000\001\000\001\000\000\r\n'
	  cat "$T/www/notes.txt"; } > "$T/www/run.bat"
	echo "Sslinspect.Test.Dropper:0:*:$(printf 'sslinspect-dropper-marker' | od -An -tx1 | tr -d ' \n')" \
	    > "$T/clamdb/test.ndb"
	chmod -R a+rX "$T/clamdb" "$T/www"
	SI_CICAP_EXTRA="sslinspect.ClamAVDbDir $T/clamdb
sslinspect.ClamAVMaxSize 64K"
	si_start_all

	si_curl -o "$T/tmp/small" "$(si_url /small.bin)" || si_fail "small download"
	cmp -s "$T/tmp/small" "$T/www/small.bin" || si_fail "small download differs"
	line=$(audit_line /small.bin)
	si_assert_match "$line" '"verdict":"allow".*"skipped":\[\],' "a body ClamAV scanned"

	si_curl -o "$T/tmp/big" "$(si_url /big.bin)" || si_fail "big download"
	cmp -s "$T/tmp/big" "$T/www/big.bin" || si_fail "big download differs"
	line=$(audit_line /big.bin)
	si_assert_match "$line" '"verdict":"allow"' "a body over ClamAVMaxSize passes on the other engines"
	si_assert_match "$line" '"skipped":\[\{"engine":"clamav","what":"[^"]*","why":"larger than ClamAVMaxSize","count":1\}\]' \
	    "what ClamAV did not scan is said"

	si_curl -o "$T/tmp/bad" -w '%{http_code}' "$(si_url /bad.bin)" > "$T/tmp/bad.code" ||
	    si_fail "bad download"
	si_assert_eq "$(cat "$T/tmp/bad.code")" 403 "the file matching the signature"
	line=$(audit_line /bad.bin)
	si_assert_match "$line" '"verdict":"block".*Sslinspect\.Test\.Bad' "blocked by ClamAV"

	si_curl -o "$T/tmp/notes" "$(si_url /notes.txt)" || si_fail "notes.txt"
	cmp -s "$T/tmp/notes" "$T/www/notes.txt" || si_fail "notes.txt differs"
	for f in run.js run.bat; do
		si_curl -o "$T/tmp/$f" -w '%{http_code}' "$(si_url "/$f")" \
		    > "$T/tmp/$f.code" || si_fail "$f download"
		si_assert_eq "$(cat "$T/tmp/$f.code")" 403 "$f, a script by its name"
		line=$(audit_line "/$f")
		si_assert_match "$line" '"verdict":"block".*Sslinspect\.Test\.Dropper' \
		    "$f blocked by ClamAV"
	done
	line=$(audit_line /notes.txt)
	si_assert_match "$line" '"verdict":"allow"' "the same text as notes.txt"
}
