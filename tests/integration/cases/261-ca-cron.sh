# The cron alternative for hosts without systemd (/etc/cron.d/sslinspect,
# rendered with this build's paths): every line is a valid cron.d line run
# as root; before the CA is set up nothing runs; with systemd running the
# rotate and CRL lines do nothing (the timers do it); without it the rotate
# line mints a new issuing CA and runs Squid's reconfigure, the CRL line
# writes CRLs with a larger number, and the status line prints the report
# (cron mails it) only when status warns.

# run_line N: the command of the Nth job line, as cron would run it (sh),
# with /run/systemd/system and Squid replaced by stand-ins in $T.
run_line()
{
	local cmd
	cmd=$(grep -v -e '^#' -e '^$' -e '=' "$T/cron" | sed -n "${1}p" | cut -f3-)
	sh -c "$cmd"
}

case_main()
{
	local kid n1 n2 out
	[ -x "$top_builddir/cert_helper/sslinspect-ca" ] || exit 77
	printf '#!/bin/sh\necho "$@" >> %s/squid-calls\n' "$T" > "$T/bin/squid"
	chmod +x "$T/bin/squid"
	sed -e "s|%SBINDIR%|$top_builddir/cert_helper|g" -e "s|%CADIR%|$T/ca|g" \
	    -e "s|%SQUID%|$T/bin/squid|g" -e "s|/run/systemd/system|$T/systemd|g" \
	    "$top_srcdir/dist/cron/sslinspect.in" > "$T/cron"
	grep -q '%[A-Z]*%' "$T/cron" && si_fail "unrendered placeholders in the cron file"
	# cron.d(5): five time fields, the user, the command.
	awk -F'\t' '!/^#/ && !/^$/ && !/=/ {
		if (NF != 3 || split($1, t, " ") != 5 || $2 != "root") { print "bad line: " $0; bad = 1 }
	} END { exit bad }' "$T/cron" || si_fail "cron.d syntax"

	run_line 1 || si_fail "rotate line before the CA exists"
	[ ! -e "$T/ca/current" ] || si_fail "rotated before the CA was set up"
	"$top_builddir/cert_helper/sslinspect-ca" -d "$T/ca" demo-init \
	    --crl-url 'http://crl.example.test/{ca}.crl' > /dev/null || si_fail "demo-init"
	"$top_builddir/cert_helper/sslinspect-ca" -d "$T/ca" rotate > /dev/null || si_fail "rotate"
	kid=$(cat "$T/ca/current")

	mkdir "$T/systemd"
	run_line 1 || si_fail "rotate line with systemd"
	si_assert_eq "$(cat "$T/ca/current")" "$kid" "with systemd the timers rotate, not cron"
	rmdir "$T/systemd"
	run_line 1 || si_fail "rotate line without systemd"
	[ "$(cat "$T/ca/current")" != "$kid" ] || si_fail "the rotate line did not rotate"
	si_assert_match "$(cat "$T/squid-calls")" "^-k reconfigure" "Squid reconfigured"

	kid=$(cat "$T/ca/current")
	n1=$(openssl crl -in "$T/ca/crl/$kid.pem" -noout -crlnumber | cut -d= -f2)
	run_line 2 || si_fail "CRL line"
	n2=$(openssl crl -in "$T/ca/crl/$kid.pem" -noout -crlnumber | cut -d= -f2)
	[ "$((n2))" -gt "$((n1))" ] || si_fail "CRL number $n1 -> $n2"

	out=$(run_line 3 2>&1) || si_fail "status line: $out"
	si_assert_eq "$out" "" "no mail while status is OK"
	sed -i 's|status|status --warn 1000|g' "$T/cron"
	out=$(run_line 3) && si_fail "the status line exited 0 on a warning"
	si_assert_match "$out" "status: WARNING" "the report when status warns"
}
