# The shipped systemd units: the services rendered with this build's paths
# pass systemd-analyze verify together with their timers, and the command
# line of each service does its job (CRLs rewritten with a larger number;
# a new issuing CA with the reload command run; for the per-node template,
# a new issuing CA of that node, delivered by the reload command of the
# node's environment file).

case_main()
{
	local u n1 n2 kid cmd
	command -v systemd-analyze >/dev/null || exit 77
	[ -x "$top_builddir/cert_helper/sslinspect-ca" ] || exit 77
	mkdir -p "$T/units"
	for u in crl rotate rotate@; do
		sed -e "s|%SBINDIR%|$top_builddir/cert_helper|g" -e "s|%CADIR%|$T/ca|g" \
		    -e "s|%SYSCONFDIR%|$T/etc|g" \
		    "$top_srcdir/dist/systemd/sslinspect-$u.service.in" > "$T/units/sslinspect-$u.service"
		cp "$top_srcdir/dist/systemd/sslinspect-$u.timer" "$T/units/"
	done
	# A template is verified as an instance, its files beside it.
	mkdir -p "$T/etc/sslinspect/nodes"
	echo "SSLINSPECT_NODE_RELOAD='touch $T/node-reloaded'" > "$T/etc/sslinspect/nodes/proxy-a.env"
	cp "$T/units/sslinspect-rotate@.service" "$T/units/sslinspect-rotate@proxy-a.service"
	cp "$T/units/sslinspect-rotate@.timer" "$T/units/sslinspect-rotate@proxy-a.timer"
	SYSTEMD_LOG_LEVEL=err systemd-analyze verify --man=no \
	    "$T"/units/sslinspect-crl.* "$T"/units/sslinspect-rotate.* \
	    "$T"/units/sslinspect-rotate@proxy-a.* > "$T/log/verify.out" 2>&1 ||
	    si_fail "systemd-analyze verify: $(cat "$T/log/verify.out")"
	grep -q '^OnCalendar=' "$T/units/sslinspect-crl.timer" &&
	    grep -q '^WantedBy=timers.target' "$T/units/sslinspect-rotate.timer" || si_fail "timer sections"

	"$top_builddir/cert_helper/sslinspect-ca" -d "$T/ca" demo-init >/dev/null || si_fail "demo-init"
	cmd=$(sed -n 's/^ExecStart=//p' "$T/units/sslinspect-rotate.service")
	cmd=${cmd/systemctl reload squid.service/touch $T/reloaded}
	eval "$cmd" >/dev/null || si_fail "rotate service command failed: $cmd"
	[ -f "$T/reloaded" ] || si_fail "rotate service did not run its reload command"
	kid=$(cat "$T/ca/current")
	n1=$(openssl crl -in "$T/ca/crl/$kid.pem" -noout -crlnumber | cut -d= -f2)
	cmd=$(sed -n 's/^ExecStart=//p' "$T/units/sslinspect-crl.service")
	eval "$cmd" >/dev/null || si_fail "crl service command failed: $cmd"
	n2=$(openssl crl -in "$T/ca/crl/$kid.pem" -noout -crlnumber | cut -d= -f2)
	[ -n "$n1" ] && [ -n "$n2" ] && [ "$((n2))" -gt "$((n1))" ] || si_fail "crl service wrote no newer CRL ($n1 -> $n2)"

	# The node template's command line, as systemd runs it for proxy-a:
	# %i is the node, the reload command comes from its environment file.
	cmd=$(sed -n 's/^ExecStart=//p' "$T/units/sslinspect-rotate@.service")
	si_assert_match "$(sed -n 's/^EnvironmentFile=//p' "$T/units/sslinspect-rotate@.service")" \
	    "^$T/etc/sslinspect/nodes/%i.env$" "the template's environment file"
	cmd=${cmd//%i/proxy-a}
	# shellcheck disable=SC1090 # the node's environment file
	. "$T/etc/sslinspect/nodes/proxy-a.env"
	cmd=${cmd//\$\{SSLINSPECT_NODE_RELOAD\}/\"\$SSLINSPECT_NODE_RELOAD\"}
	eval "$cmd" >/dev/null || si_fail "node rotate service command failed: $cmd"
	[ -f "$T/node-reloaded" ] || si_fail "node rotate service did not run the node's reload command"
	[ -s "$T/ca/nodes/proxy-a/squid-bundle.pem" ] || si_fail "no bundle for node proxy-a"
}
