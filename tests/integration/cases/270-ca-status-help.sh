# sslinspect-ca for an admin and a monitoring system: --help prints the
# usage on standard output and exits 0 (also after a command), a usage
# error exits 2; "status" exits 0 when all is well, 3 with a WARNING line
# (crl-url left at its placeholder, the issuing CA within --warn hours) and
# 4 with a CRITICAL line (within --critical hours, no issuing CA at all).

ca_tool()
{
	"$top_builddir/cert_helper/sslinspect-ca" -d "$T/ca" "$@"
}

case_main()
{
	local out rc
	[ -x "$top_builddir/cert_helper/sslinspect-ca" ] || exit 77
	for args in "--help" "-h" "rotate --help" "help"; do
		# shellcheck disable=SC2086
		out=$(ca_tool $args 2>/dev/null) || si_fail "sslinspect-ca $args exited $?"
		si_assert_match "$out" "^usage: sslinspect-ca" "$args: usage on stdout"
		si_assert_match "$out" "--critical HOURS" "$args: every option listed"
	done
	out=$(ca_tool --version) || si_fail "--version exited $?"
	si_assert_match "$out" "^sslinspect-ca [0-9]" "--version"
	rc=0; ca_tool --no-such-option > /dev/null 2>&1 || rc=$?
	si_assert_eq "$rc" 2 "unknown option"
	rc=0; ca_tool status --force > /dev/null 2>&1 || rc=$?
	si_assert_eq "$rc" 2 "an option the command does not take"

	ca_tool demo-init --squid-user proxy > /dev/null || si_fail "demo-init"
	rc=0; out=$(ca_tool status --issued "$T/none.tsv") || rc=$?
	si_assert_eq "$rc" 4 "status without an issuing CA"
	si_assert_match "$out" "CRITICAL: no current issuing CA" "no issuing CA said"
	si_assert_match "$out" "status: CRITICAL" "summary line"

	ca_tool rotate > /dev/null || si_fail "rotate"
	rc=0; out=$(ca_tool status --issued "$T/none.tsv") || rc=$?
	si_assert_eq "$rc" 3 "status with the placeholder crl-url"
	si_assert_match "$out" "WARNING: crl-url is http://crl.sslinspect.invalid/" "placeholder said"

	printf 'crl-url http://crl.example.test/{ca}.crl\n' >> "$T/ca/ca.conf"
	rc=0; out=$(ca_tool status --issued "$T/none.tsv") || rc=$?
	si_assert_eq "$rc" 0 "status of a fresh setup ($out)"
	si_assert_match "$out" "status: OK" "summary OK"
	rc=0; out=$(ca_tool status --issued "$T/none.tsv" --warn 200) || rc=$?
	si_assert_eq "$rc" 3 "--warn 200 with a 7-day issuing CA"
	si_assert_match "$out" "WARNING: the current issuing CA [0-9a-f]+ expires in [67] days" \
	    "the warning names the CA and when"
	rc=0; ca_tool status --issued "$T/none.tsv" --critical 200 > /dev/null || rc=$?
	si_assert_eq "$rc" 4 "--critical 200"
	rc=0; ca_tool status --warn soon > /dev/null 2>&1 || rc=$?
	si_assert_eq "$rc" 1 "a bad number of hours"
}
