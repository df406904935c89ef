# The shipped tmpfiles.d entry makes the state directories with the owners
# and modes the daemons need: sslinspect-certgen, run by Squid as "proxy",
# can create its cache in certgen/, nobody else can read it, and "proxy"
# cannot write beside it; c-icap can write its audit log, group adm can
# read it, nobody else can.

case_main()
{
	local conf=$top_builddir/dist/tmpfiles.d/sslinspect.conf root=$T/root dir
	command -v systemd-tmpfiles >/dev/null || si_fail "systemd-tmpfiles not installed"
	[ -f "$conf" ] || si_fail "$conf not built"
	# With --root, users are looked up in the root's own passwd and group.
	mkdir -p "$root/etc"
	cp /etc/passwd /etc/group "$root/etc/"
	systemd-tmpfiles --create --root="$root" "$conf" 2>"$T/log/tmpfiles.err" ||
	    si_fail "systemd-tmpfiles --create failed: $(cat "$T/log/tmpfiles.err")"
	dir=$root$(sed -n 's/^d \([^[:space:]]*\/certgen\)[[:space:]].*/\1/p' "$conf")
	[ "$dir" != "$root" ] || si_fail "no certgen directory in $conf"
	si_assert_eq "$(stat -c '%U %G %a' "$dir")" "proxy proxy 700" "certgen dir owner and mode"
	si_assert_eq "$(stat -c '%U %a' "$(dirname "$dir")")" "root 755" "state dir owner and mode"

	# The test root must be traversable by proxy, as / is on a real system.
	local up=$dir
	while up=$(dirname "$up") && [ "$up" != "$(dirname "$T")" ]; do
		[ "$up" = "$(dirname "$dir")" ] || chmod 755 "$up" || si_fail "chmod $up"
	done
	runuser -u proxy -- touch "$dir/probe" || si_fail "proxy cannot write its cache dir"
	runuser -u proxy -- touch "$(dirname "$dir")/probe" 2>/dev/null &&
	    si_fail "proxy can write the shared state dir"
	runuser -u www-data -- ls "$dir" >/dev/null 2>&1 &&
	    si_fail "another user can list the certgen cache"

	dir=$root$(sed -n 's/^d \([^[:space:]]*\/log\/sslinspect\)[[:space:]].*/\1/p' "$conf")
	[ "$dir" != "$root" ] || si_fail "no log directory in $conf"
	si_assert_eq "$(stat -c '%U %G %a' "$dir")" "c-icap adm 2750" "log dir owner and mode"
	up=$dir
	while up=$(dirname "$up") && [ "$up" != "$(dirname "$T")" ]; do
		chmod 755 "$up" || si_fail "chmod $up"
	done
	runuser -u c-icap -- touch "$dir/audit.log" || si_fail "c-icap cannot write its audit log"
	si_assert_eq "$(stat -c %G "$dir/audit.log")" adm "the audit log's group"
	runuser -u www-data -- ls "$dir" >/dev/null 2>&1 &&
	    si_fail "another user can list the audit log directory"
	return 0
}
