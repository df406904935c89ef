# Every program's command-line conventions (issue 13, section 3): --help
# and -h print the usage on standard output, nothing on standard error, and
# exit 0; an unknown option exits 2. A fatal bad input exits non-zero and is
# never labelled WARNING: the Squid helpers say FATAL (cache.log shows
# their standard error as it is, and an admin greps it for FATAL), the
# admin tools name themselves and the cause. Needs no daemon.

# cli_run WHAT PROGRAM ARGS...: run with no input; $rc, $out and $err.
cli_run()
{
	local what=$1
	shift
	rc=0
	"$@" < /dev/null > "$T/out" 2> "$T/err" || rc=$?
	out=$(cat "$T/out")
	err=$(cat "$T/err")
	si_log "$what: exit $rc"
}

# cli_fatal WHAT LABEL PROGRAM ARGS...: a fatal error, its label LABEL
# (a regex; "" for an admin tool's "program: cause").
cli_fatal()
{
	local what=$1 label=$2
	shift 2
	cli_run "$what" "$@"
	[ "$rc" != 0 ] || si_fail "$what: exited 0"
	[ -n "$err" ] || si_fail "$what: nothing said on standard error"
	si_assert_nomatch "$err" "WARNING" "$what: a fatal error labelled WARNING"
	[ -z "$label" ] || si_assert_match "$err" "$label" "$what: labelled"
}

case_main()
{
	local b=$top_builddir p name opt rc out err
	local progs="cert_helper/sslinspect-ca cert_helper/sslinspect-certgen
	    cert_helper/sslinspect-certverify icap_service/sslinspect-policy
	    categories/sslinspect-lists categories/sslinspect-category-acl
	    dist/sbin/sslinspect-enable dist/sbin/sslinspect-disable"

	for p in $progs; do
		[ -x "$b/$p" ] || si_fail "$p not built"
		name=${p##*/}
		for opt in --help -h; do
			cli_run "$name $opt" "$b/$p" "$opt"
			si_assert_eq "$rc" 0 "$name $opt: exit status"
			si_assert_match "$out" "^usage: $name" "$name $opt: usage on stdout"
			si_assert_eq "$err" "" "$name $opt: standard error"
		done
		cli_run "$name --no-such-option" "$b/$p" --no-such-option
		si_assert_eq "$rc" 2 "$name: an unknown option"
	done

	# The helpers, as Squid starts them with a bad option or file.
	printf 'no-such-key 1\n' > "$T/etc/bad.conf"
	cli_fatal "certgen, a size out of range" "\]: FATAL: cache-size" \
	    "$b/cert_helper/sslinspect-certgen" --cache-size 1
	cli_fatal "certgen, no config file" "\]: FATAL: .*none.conf" \
	    "$b/cert_helper/sslinspect-certgen" -c "$T/etc/none.conf"
	cli_fatal "certgen, a bad config line" "\]: FATAL: .*bad.conf:1" \
	    "$b/cert_helper/sslinspect-certgen" -c "$T/etc/bad.conf"
	cli_fatal "certverify, a number out of range" "\]: FATAL: .*timeout" \
	    "$b/cert_helper/sslinspect-certverify" --timeout 0
	cli_fatal "certverify, no config file" "\]: FATAL: .*none.conf" \
	    "$b/cert_helper/sslinspect-certverify" -c "$T/etc/none.conf"
	cli_fatal "certverify, a bad config line" "\]: FATAL: .*bad.conf:1" \
	    "$b/cert_helper/sslinspect-certverify" -c "$T/etc/bad.conf"
	# The admin tools, on a file or directory that is not there.
	cli_fatal "ca, no CA directory" "^sslinspect-ca: " \
	    "$b/cert_helper/sslinspect-ca" -d "$T/none" status
	cli_fatal "policy, no policy file" "^sslinspect-policy: " \
	    "$b/icap_service/sslinspect-policy" check "$T/none.yaml"
	cli_fatal "lists, no database" "^sslinspect-lists: " \
	    "$b/categories/sslinspect-lists" -d "$T/none.mdb" status
}
