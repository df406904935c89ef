# sslinspect-enable and sslinspect-disable on a copy of the system's
# configuration: enable links the Squid snippets (the access log one only
# when squid.conf has no access_log of its own), adds one marked Include
# line to c-icap.conf and START=yes, refuses without a CA bundle or over a
# file that is not its link, and changes nothing when run twice; disable
# takes exactly that out again, leaving c-icap.conf as it was. --help is
# on stdout with exit 0, and sslinspect-enable(8) lists its options.
# Without systemd systemctl is never run; with it (a stub systemctl on PATH
# that answers as for enabled, running timers), enable switches both timers
# on and the package's prerm, "sslinspect-disable --quiet --reload",
# disables and stops both. With --ecap, enable links the eCAP snippet in
# place of the ICAP one and takes the Include line out, and refuses next
# to an ICAP file of the admin's. invoke-rc.d is a stub too: the machine's Squid
# and c-icap are not touched.

case_main()
{
	local en=$top_builddir/dist/sbin/sslinspect-enable dis=$top_builddir/dist/sbin/sslinspect-disable
	local out rc f opts man t stub=$T/stub
	if [ ! -x "$en" ] || [ ! -x "$dis" ]; then si_fail "sslinspect-enable not built"; fi
	mkdir -p "$T/sys/squid/conf.d" "$T/sys/snippets" "$T/sys/c-icap" "$T/sys/default" "$T/sys/ca" \
	    "$T/sys/examples"
	for f in sslinspect-bump.conf sslinspect-icap.conf sslinspect-log.conf; do
		echo "# $f" > "$T/sys/snippets/$f"
	done
	echo "# sslinspect-ecap.conf" > "$T/sys/examples/sslinspect-ecap.conf"
	printf 'http_port 3128\ninclude %s/*.conf\n' "$T/sys/squid/conf.d" > "$T/sys/squid/squid.conf"
	printf 'Port 1344\nService echo srv_echo.so\n' > "$T/sys/c-icap/c-icap.conf"
	cp "$T/sys/c-icap/c-icap.conf" "$T/sys/c-icap.orig"
	printf 'START=no\nDAEMON_ARGS=""\n' > "$T/sys/default/c-icap"
	printf '#!/bin/sh\necho "$@" >> %s/squid-calls\n' "$T" > "$T/bin/squid"
	chmod +x "$T/bin/squid"
	mkdir -p "$stub"
	# systemctl: logs its arguments; a timer asked about is enabled and
	# running.
	cat > "$stub/systemctl" <<'SH'
#!/bin/sh
echo "$*" >> "$SI_STUB_DIR/systemctl.log"
case $1 in
is-enabled) echo enabled ;;
is-active) echo active ;;
esac
exit 0
SH
	cat > "$stub/invoke-rc.d" <<'SH'
#!/bin/sh
echo "$*" >> "$SI_STUB_DIR/invoke-rc.d.log"
SH
	chmod 0755 "$stub/systemctl" "$stub/invoke-rc.d"
	export SI_STUB_DIR=$T PATH=$stub:$PATH
	export SSLINSPECT_TEST=1 SSLINSPECT_SNIPPET_DIR=$T/sys/snippets \
	    SSLINSPECT_ECAP_SNIPPET=$T/sys/examples/sslinspect-ecap.conf \
	    SSLINSPECT_SQUID_CONFD=$T/sys/squid/conf.d SSLINSPECT_SQUID_CONF=$T/sys/squid/squid.conf \
	    SSLINSPECT_CICAP_CONF=$T/sys/c-icap/c-icap.conf SSLINSPECT_CICAP_DEFAULT=$T/sys/default/c-icap \
	    SSLINSPECT_CA_DIR=$T/sys/ca SSLINSPECT_SQUID=$T/bin/squid \
	    SSLINSPECT_SYSTEMD_DIR=$T/no-systemd SSLINSPECT_CRON_FILE=$T/no-cron

	out=$("$en" --help) || si_fail "--help exited $?"
	si_assert_match "$out" "^usage: sslinspect-enable" "--help on stdout"
	rc=0; "$en" --bogus > /dev/null 2>&1 || rc=$?
	si_assert_eq "$rc" 2 "unknown option"
	# The man page's option list is the script's table.
	opts=$(printf '%s\n' "$out" | sed -n 's/^  \(-[^	]*\)	\{1,\}\(.*\)$/\1|\2/p')
	man=$(sed -n '/BEGIN GENERATED options/,/END GENERATED options/p' "$top_srcdir/doc/sslinspect-enable.8" |
	    awk '/^\.It Fl/ { sub(/^\.It /, ""); gsub(/Fl /, "-"); gsub(/ , /, ", "); opt = $0; next }
		opt != "" && !/^\./ { print opt "|" $0; opt = "" }')
	si_assert_eq "$man" "$opts" "sslinspect-enable(8) lists the options of --help"

	rc=0; out=$("$en" 2>&1) || rc=$?
	si_assert_eq "$rc" 1 "enable without a CA bundle"
	si_assert_match "$out" "no CA yet" "the reason"
	[ -z "$(ls -A "$T/sys/squid/conf.d")" ] || si_fail "a link was made without a CA"

	touch "$T/sys/ca/squid-bundle.pem"
	out=$("$en" --reload) || si_fail "enable failed: $out"
	for f in sslinspect-bump.conf sslinspect-icap.conf sslinspect-log.conf; do
		si_assert_eq "$(readlink "$T/sys/squid/conf.d/$f")" "$T/sys/snippets/$f" "$f linked"
	done
	si_assert_eq "$(grep -c '^Include sslinspect.conf$' "$T/sys/c-icap/c-icap.conf")" 1 "one Include line"
	si_assert_match "$(cat "$T/sys/default/c-icap")" "^START=yes" "START=yes"
	si_assert_match "$(cat "$T/squid-calls")" "^-k parse" "squid -k parse before reloading"
	out=$("$en") || si_fail "second enable failed"
	si_assert_match "$out" "already enabled" "second enable"
	si_assert_eq "$(grep -c '^Include sslinspect.conf$' "$T/sys/c-icap/c-icap.conf")" 1 "still one Include line"

	out=$("$dis") || si_fail "disable failed: $out"
	[ -z "$(ls -A "$T/sys/squid/conf.d")" ] || si_fail "links left: $(ls "$T/sys/squid/conf.d")"
	cmp -s "$T/sys/c-icap/c-icap.conf" "$T/sys/c-icap.orig" ||
	    si_fail "c-icap.conf not as it was: $(diff "$T/sys/c-icap.orig" "$T/sys/c-icap/c-icap.conf")"

	echo 'access_log stdio:/tmp/x.log squid' >> "$T/sys/squid/squid.conf"
	out=$("$en" --squid) || si_fail "enable --squid failed"
	[ -e "$T/sys/squid/conf.d/sslinspect-log.conf" ] &&
	    si_fail "the access log snippet linked beside an access_log of the admin's"
	si_assert_match "$out" "access_log line of its own" "says why"
	"$dis" --squid --quiet > /dev/null || si_fail "disable --squid"
	echo "# the admin's" > "$T/sys/squid/conf.d/sslinspect-bump.conf"
	rc=0; out=$("$en" --squid 2>&1) || rc=$?
	si_assert_eq "$rc" 1 "enable over a file of the admin's"
	si_assert_eq "$(cat "$T/sys/squid/conf.d/sslinspect-bump.conf")" "# the admin's" "the admin's file kept"
	"$dis" --squid > /dev/null || si_fail "disable with a file of the admin's"
	[ -f "$T/sys/squid/conf.d/sslinspect-bump.conf" ] || si_fail "disable removed the admin's file"
	[ ! -e "$T/systemctl.log" ] || si_fail "systemctl run without systemd: $(cat "$T/systemctl.log")"
	rm "$T/sys/squid/conf.d/sslinspect-bump.conf"

	# --ecap: the eCAP snippet in place of the ICAP one, and c-icap's
	# Include line out; without it, back again; never both snippets.
	"$en" --quiet > /dev/null || si_fail "enable before --ecap"
	out=$("$en" --ecap) || si_fail "enable --ecap failed: $out"
	si_assert_eq "$(readlink "$T/sys/squid/conf.d/sslinspect-ecap.conf")" "$T/sys/examples/sslinspect-ecap.conf" \
	    "--ecap links the eCAP snippet"
	[ -e "$T/sys/squid/conf.d/sslinspect-icap.conf" ] && si_fail "--ecap left the ICAP snippet linked"
	si_assert_match "$out" "disabled sslinspect-icap.conf" "--ecap says the ICAP snippet went"
	cmp -s "$T/sys/c-icap/c-icap.conf" "$T/sys/c-icap.orig" ||
	    si_fail "--ecap left the Include line in c-icap.conf"
	out=$("$en") || si_fail "enable back to c-icap failed: $out"
	[ -e "$T/sys/squid/conf.d/sslinspect-ecap.conf" ] && si_fail "back to c-icap left the eCAP snippet linked"
	si_assert_eq "$(readlink "$T/sys/squid/conf.d/sslinspect-icap.conf")" "$T/sys/snippets/sslinspect-icap.conf" \
	    "back to c-icap links the ICAP snippet"
	si_assert_eq "$(grep -c '^Include sslinspect.conf$' "$T/sys/c-icap/c-icap.conf")" 1 "the Include line back"
	"$en" --ecap --quiet > /dev/null || si_fail "enable --ecap again"
	out=$("$dis") || si_fail "disable after --ecap failed: $out"
	[ -z "$(ls -A "$T/sys/squid/conf.d")" ] || si_fail "links left after --ecap: $(ls "$T/sys/squid/conf.d")"
	echo "# the admin's own" > "$T/sys/squid/conf.d/sslinspect-icap.conf"
	rc=0; out=$("$en" --ecap 2>&1) || rc=$?
	si_assert_eq "$rc" 1 "--ecap beside an ICAP file of the admin's"
	si_assert_match "$out" "both front ends" "says why"
	rm "$T/sys/squid/conf.d/sslinspect-icap.conf"
	cmp -s "$T/sys/c-icap/c-icap.conf" "$T/sys/c-icap.orig" || si_fail "c-icap.conf not as it was after --ecap"

	# With systemd: the timers.
	mkdir -p "$T/systemd"
	export SSLINSPECT_SYSTEMD_DIR=$T/systemd
	out=$("$en") || si_fail "enable under systemd failed: $out"
	si_assert_eq "$(grep -v '^is-' "$T/systemctl.log")" \
	    "enable --now sslinspect-rotate.timer sslinspect-crl.timer" "enable switches both timers on"
	: > "$T/systemctl.log"
	: > "$T/invoke-rc.d.log"
	# What the prerm runs on removal.
	out=$("$dis" --quiet --reload 2>&1) || si_fail "prerm's disable failed: $out"
	[ -z "$out" ] || si_fail "prerm's disable --quiet said: $out"
	for t in sslinspect-rotate.timer sslinspect-crl.timer; do
		awk -v t="$t" '$1 == "disable" && / --now( |$)/ && index(" " $0 " ", " " t " ")' \
		    "$T/systemctl.log" | grep -q . ||
		    si_fail "removal did not disable --now $t: $(cat "$T/systemctl.log")"
	done
	si_assert_nomatch "$(cat "$T/systemctl.log")" "^(enable|start|restart|reenable)" \
	    "nothing switched on at removal"
	[ -z "$(ls -A "$T/sys/squid/conf.d")" ] || si_fail "links left by the prerm: $(ls "$T/sys/squid/conf.d")"
	cmp -s "$T/sys/c-icap/c-icap.conf" "$T/sys/c-icap.orig" || si_fail "c-icap.conf not as it was after the prerm"
	si_assert_match "$(cat "$T/invoke-rc.d.log")" "^squid reload" "the prerm reloads Squid"
	si_assert_match "$(cat "$T/invoke-rc.d.log")" "^c-icap try-restart" "and restarts c-icap if it runs"
}
