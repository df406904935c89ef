# scripts/install-deps on a machine where packages are missing, the way
# README's commands first run it: against stub dpkg-query and apt-get on
# PATH, with and without an existing policy-rc.d. It must exit 0 after a
# good install and 1 after a failed one, install exactly what is missing
# with services kept from starting, and leave an existing policy-rc.d (and
# the system's) untouched.

case_main()
{
	local stub=$T/stub sys_before rc policy=$T/policy-rc.d
	mkdir -p "$stub"
	sys_before=$(si_policy_state /usr/sbin/policy-rc.d)
	# dpkg-query: installed unless listed in $T/missing.
	cat > "$stub/dpkg-query" <<'SH'
#!/bin/sh
for p; do :; done
grep -qx "$p" "$SI_STUB_DIR/missing" && exit 1
printf 'install ok installed'
SH
	# apt-get: logs its arguments and whether services were held back.
	cat > "$stub/apt-get" <<'SH'
#!/bin/sh
state=absent
[ -x "$SSLINSPECT_POLICY_RC_D" ] && state=$("$SSLINSPECT_POLICY_RC_D" x start; echo "exit$?")
echo "apt-get $* policy=$state" >> "$SI_STUB_DIR/apt.log"
case " $* " in *" install "*) [ -e "$SI_STUB_DIR/apt-fails" ] && exit 100 ;; esac
exit 0
SH
	chmod 0755 "$stub/dpkg-query" "$stub/apt-get"
	export SI_STUB_DIR=$T SSLINSPECT_POLICY_RC_D=$policy

	# 1. No policy-rc.d: one is made for the install and removed after.
	printf 'squid-openssl\nc-icap\n' > "$T/missing"
	rc=0
	PATH=$stub:$PATH sh "$top_srcdir/scripts/install-deps" > "$T/out1" 2>&1 || rc=$?
	si_assert_eq "$rc" 0 "install-deps exit status (no policy-rc.d)"
	si_assert_match "$(cat "$T/apt.log")" "apt-get install -y -qq +squid-openssl c-icap policy=exit101" \
	    "the missing packages installed with services held back"
	[ ! -e "$policy" ] || si_fail "the temporary policy-rc.d was left behind"

	# 2. An existing policy-rc.d (these machines have one): kept as it was.
	printf '#!/bin/sh\n# the admin'"'"'s own\nexit 0\n' > "$policy"
	chmod 0755 "$policy"
	local before
	before=$(si_policy_state "$policy")
	: > "$T/apt.log"
	rc=0
	PATH=$stub:$PATH sh "$top_srcdir/scripts/install-deps" > "$T/out2" 2>&1 || rc=$?
	si_assert_eq "$rc" 0 "install-deps exit status (existing policy-rc.d)"
	si_assert_match "$(cat "$T/out2")" "install-deps: done" "done line"
	si_assert_eq "$(si_policy_state "$policy")" "$before" "existing policy-rc.d untouched"
	si_assert_match "$(cat "$T/apt.log")" "apt-get install .*policy=exit0" "the admin's policy in force"

	# 3. A failed install exits 1 and still cleans up.
	rm -f "$policy"
	touch "$T/apt-fails"
	rc=0
	# (its apt-get log is kept for the admin: in the run directory here)
	mkdir -p "$T/tmp"
	TMPDIR=$T/tmp PATH=$stub:$PATH sh "$top_srcdir/scripts/install-deps" > "$T/out3" 2>&1 || rc=$?
	si_assert_eq "$rc" 1 "install-deps exit status after a failed install"
	si_assert_match "$(cat "$T/out3")" "apt-get install failed \(full log: $T/tmp/sslinspect-apt[.]" "failure reported, with its log"
	[ ! -e "$policy" ] || si_fail "the temporary policy-rc.d was left behind after a failure"

	# 4. Nothing missing: no apt-get at all.
	: > "$T/missing"
	: > "$T/apt.log"
	rc=0
	PATH=$stub:$PATH sh "$top_srcdir/scripts/install-deps" > "$T/out4" 2>&1 || rc=$?
	si_assert_eq "$rc" 0 "install-deps exit status with nothing missing"
	[ ! -s "$T/apt.log" ] || si_fail "apt-get ran with nothing missing"

	si_assert_eq "$(si_policy_state /usr/sbin/policy-rc.d)" "$sys_before" \
	    "the system's policy-rc.d untouched"
}

# si_policy_state FILE: content digest and mode of FILE, or "absent".
si_policy_state()
{
	if [ -e "$1" ]; then
		printf '%s %s\n' "$(sha256sum < "$1")" "$(stat -c %a "$1")"
	else
		echo absent
	fi
}
