# sslinspect-policy: "check" accepts the shipped example and refuses a bad
# file naming file:line:column; "explain" names the deciding rule and why;
# --help prints to standard output and exits 0, a wrong type name exits 2.

case_main()
{
	local cli=$top_builddir/icap_service/sslinspect-policy out
	[ -x "$cli" ] || si_fail "sslinspect-policy not built"
	out=$("$cli" --help 2>/dev/null) || si_fail "--help exited $?"
	si_assert_match "$out" "usage: sslinspect-policy check FILE" "--help on stdout"
	out=$("$cli" explain --help 2>/dev/null) || si_fail "explain --help exited $?"
	si_assert_match "$out" "--content-type TYPE" "explain --help lists its options"
	"$cli" explain https://a.test/ --type msi > /dev/null 2>&1
	si_assert_eq "$?" 2 "explain --type msi"
	"$cli" --no-such-option > /dev/null 2>&1
	si_assert_eq "$?" 2 "unknown option"
	out=$("$cli" check "$top_srcdir/icap_service/policy.example.yaml") ||
	    si_fail "example policy refused: $out"
	si_assert_match "$out" "OK, 6 rules" "example policy"

	printf 'rules:\n  - name: x\n    action: block\n    match: { host: [a.test], colour: red }\n' \
	    > "$T/etc/bad.yaml"
	if out=$("$cli" check "$T/etc/bad.yaml" 2>&1); then
		si_fail "bad policy accepted"
	fi
	si_assert_match "$out" "bad.yaml:4:30: unknown key 'colour'" "error position"

	out=$("$cli" explain -p "$top_srcdir/icap_service/policy.example.yaml" \
	    https://webmail.example.net/send --upload --user carol)
	si_assert_match "$out" "rule: +no-webmail-uploads" "upload rule"
	si_assert_match "$out" "action: +block" "upload action"
	si_assert_match "$out" "why: +host webmail.example.net, direction upload" "why"
	out=$("$cli" explain -p "$top_srcdir/icap_service/policy.example.yaml" \
	    https://files.example.org/x --download --user bob --ip 192.0.2.1)
	si_assert_match "$out" "rule: +finance-strict" "group rule for bob"
	si_assert_match "$out" "profile: +strict" "profile"
	out=$("$cli" explain -p "$top_srcdir/icap_service/policy.example.yaml" \
	    https://files.example.org/x --download --ip 10.20.1.1)
	si_assert_match "$out" "rule: +lab-monitor" "CIDR rule"
	out=$("$cli" explain -p "$top_srcdir/icap_service/policy.example.yaml" \
	    https://files.example.org/setup.exe --download --type pe --size 5M)
	si_assert_match "$out" "rule: +no-executables" "true type rule"
	out=$("$cli" explain -p "$top_srcdir/icap_service/policy.example.yaml" \
	    https://files.example.org/doc.pdf --download)
	si_assert_match "$out" "rule: +default" "default"
	si_assert_match "$out" "note: .*decides again" "pending note"
}
