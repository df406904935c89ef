# The shipped Squid snippets, rendered with the values "make install"
# gives them, and the shipped site lists exactly as they are installed:
# "squid -k parse" accepts them without a single warning or error, on
# Squid 5.7 as on 6.13 (which warns about more, such as an empty ACL). An
# admin's entries in the lists keep it that way. tls_key_log, which the
# bump snippet mentions, is a Squid 6 directive: 5.7 refuses it.

# parse_conf EXTRA: squid -k parse of a Debian-shaped squid.conf that
# includes the rendered snippets, with EXTRA appended; output in $T/log.
parse_conf()
{
	local conf=$T/etc/squid.conf user="" rc=0
	[ "$(id -u)" = 0 ] && user="cache_effective_user proxy"
	# visible_hostname: Squid 6 otherwise looks the machine's name up and
	# warns when that fails, which depends on the machine, not on sslinspect.
	cat > "$conf" <<CONF
$user
visible_hostname sslinspect-test
pid_filename $T/squid-run/squid.pid
cache_log $T/log/cache.log
access_log none
include $T/etc/conf.d/*.conf
http_access allow localhost
http_access deny all
$1
CONF
	chmod -R a+rX "$T/etc"
	"$SQUID" -k parse -f "$conf" > "$T/log/parse.log" 2>&1 || rc=$?
	return $rc
}

# no_warnings WHAT: the last parse logged nothing worse than information
# (no_suid: a Squid run by a user other than root cannot switch users).
no_warnings()
{
	si_assert_nomatch "$(grep -v no_suid "$T/log/parse.log")" \
	    "FATAL|ERROR|WARNING|Warning|Bungled|[Uu]nrecognized" "$1"
}

case_main()
{
	local render=$top_srcdir/squid-conf/render major
	si_port PROXY_PORT
	si_pki_org || si_fail "making the org CA"
	cp "$top_srcdir/squid-conf/no-inspect.txt" "$top_srcdir/squid-conf/pinned-apps.txt" \
	    "$T/etc/"
	si_port INTERCEPT_PORT
	$render BUMP_PORT="127.0.0.1:$PROXY_PORT" \
	    INTERCEPT_PORT="127.0.0.1:$INTERCEPT_PORT" \
	    BUMP_BUNDLE="$T/ca/squid-bundle.pem" \
	    CERTGEN_PROGRAM="$SQUID_LIBEXECDIR/security_file_certgen -s $T/ssl_db -M 4MB" \
	    CERTGEN_CHILDREN='4 startup=2 idle=1 concurrency=16' \
	    CERTVERIFY_PROGRAM=/usr/lib/sslinspect/sslinspect-certverify \
	    CERTVERIFY_CHILDREN='4 startup=1 idle=1 concurrency=32' CERTVERIFY_TTL=60 \
	    NO_INSPECT_LIST="$T/etc/no-inspect.txt" \
	    PINNED_LIST="$T/etc/pinned-apps.txt" \
	    CATEGORY_HELPER="$top_builddir/categories/sslinspect-category-acl -c -d $T/categories.mdb" \
	    CATEGORY_TTL=10 NO_INSPECT_CATEGORIES="finance health" \
	    OUTGOING_CAFILE=/etc/ssl/certs/ca-certificates.crt \
	    TLS_LOG="stdio:$T/log/tls.log" \
	    < "$top_srcdir/squid-conf/sslinspect-bump.conf.in" \
	    > "$T/etc/conf.d/sslinspect-bump.conf" || si_fail "render bump snippet"
	$render ICAP_ADDRESS=127.0.0.1:1344 ICAP_SERVICE=sslinspect \
	    REQUEST_BUFFER_LINE="$(si_request_buffer_line)" \
	    < "$top_srcdir/squid-conf/sslinspect-icap.conf.in" \
	    > "$T/etc/conf.d/sslinspect-icap.conf" || si_fail "render icap snippet"

	parse_conf "" || si_fail "squid -k parse rejected the shipped snippets: $(cat "$T/log/parse.log")"
	no_warnings "squid -k parse of the shipped snippets and lists"
	# The shipped do-not-inspect list holds only comments: the ACL must
	# not be empty because of it.
	si_assert_nomatch "$(grep -v '^#' "$T/etc/no-inspect.txt")" '[a-z]' \
	    "the shipped no-inspect.txt has no entries (this case checks that an empty list parses cleanly)"

	printf '.bank.example\nonline.health.example\n' >> "$T/etc/no-inspect.txt"
	printf '.pinned-app.example\n' >> "$T/etc/pinned-apps.txt"
	parse_conf "" || si_fail "squid -k parse rejected the lists with an admin's entries"
	no_warnings "squid -k parse with an admin's entries in the lists"

	# The intercepting port as an admin enables it: uncommented.
	sed -i 's/^#\(https_port .* intercept \)/\1/' "$T/etc/conf.d/sslinspect-bump.conf"
	si_assert_match "$(grep '^https_port' "$T/etc/conf.d/sslinspect-bump.conf")" \
	    "^https_port 127\.0\.0\.1:$INTERCEPT_PORT name=sslinspect_intercept intercept ssl-bump " \
	    "the intercepting port line"
	parse_conf "" || si_fail "squid -k parse rejected the intercepting port: $(cat "$T/log/parse.log")"
	no_warnings "squid -k parse with the intercepting port enabled"
	sed -i 's/^\(https_port .* intercept \)/#\1/' "$T/etc/conf.d/sslinspect-bump.conf"

	# A covered subdomain is what Squid warns about: the check above can
	# see a warning when there is one.
	printf '.www.bank.example\n' >> "$T/etc/no-inspect.txt"
	parse_conf "" || true
	si_assert_match "$(cat "$T/log/parse.log")" "is a subdomain of" \
	    "Squid warns about a covered subdomain"
	sed -i '/^\.www\.bank\.example$/d' "$T/etc/no-inspect.txt"

	# The lines the build renders for this Squid's version are the ones
	# the harness renders (a "#" lost in the Makefile once shipped an
	# empty line instead of the commented default).
	si_assert_eq "$(grep '^#*client_request_buffer_max_size' \
	    "$top_builddir/squid-conf/sslinspect-icap.conf")" \
	    "$(si_request_buffer_line)" "the built ICAP snippet's request buffer line"
	if si_squid_holds; then
		si_assert_match "$(cat "$top_builddir/icap_service/sslinspect.conf")" \
		    '^#sslinspect.MaxHoldSize 256M' "the built sslinspect.conf's hold line"
	else
		si_assert_match "$(cat "$top_builddir/icap_service/sslinspect.conf")" \
		    '^sslinspect.MaxHoldSize 60K' "the built sslinspect.conf's hold line"
	fi

	major=$("$SQUID" -v | sed -n 's/^Squid Cache: Version \([0-9]*\)\..*/\1/p')
	[ -n "$major" ] || si_fail "no version in squid -v"
	si_log "Squid $major"
	if [ "$major" -ge 6 ]; then
		parse_conf "tls_key_log $T/log/tls-keys.log" ||
		    si_fail "Squid $major rejected tls_key_log: $(cat "$T/log/parse.log")"
		no_warnings "tls_key_log on Squid $major"
	elif parse_conf "tls_key_log $T/log/tls-keys.log"; then
		si_fail "Squid $major accepted tls_key_log (a Squid 6 directive)"
	fi
}
