# Users and groups from real Squid proxy authentication: Squid asks for
# basic credentials (its own basic_ncsa_auth helper, an apr1 password
# file), curl sends them on the CONNECT of an ssl-bumped connection, and
# the policy decides on what Squid passes to c-icap: the user name
# (X-Client-Username), groups from the policy's groups: mapping, and
# groups an external ACL helper returned as "group=" notes, which
# adaptation_meta sends as X-Client-Groups ("a,b" for several, no header
# without a note; the notes log shows what Squid sent). A user or group a
# rule blocks gets the 403 block page over HTTPS with the user on it and
# in the audit log; another user gets the file byte-identical. Without
# credentials, or with a wrong password, Squid refuses (407).

SI_NEEDS_MODULE=1
SI_ORIGIN_NAMES="www.origin.test"

# si_auth_curl USER:PASS ARGS...: curl through the proxy as a user.
si_auth_curl()
{
	local cred=$1
	shift
	si_curl --proxy-user "$cred" --proxy-basic "$@"
}

case_main()
{
	local out code u hash
	: > "$T/etc/passwd"
	for u in eve bob mallory carol; do
		hash=$(openssl passwd -apr1 "pw-$u") || si_fail "openssl passwd"
		printf '%s:%s\n' "$u" "$hash" >> "$T/etc/passwd"
	done
	# The group helper: an external ACL helper in Squid's protocol, one
	# user per line in, "OK group=..." out (a directory lookup in real life).
	cat > "$T/bin/groups-helper" <<'SH'
#!/bin/sh
while read -r user _; do
	case $user in
	carol) echo "OK group=contractors" ;;
	bob) echo "OK group=staff group=auditors" ;;
	*) echo "OK" ;;
	esac
done
SH
	chmod 0755 "$T/bin/groups-helper"
	# conf.d is included before the harness's "http_access allow localhost",
	# so these rules come first, as an admin's own conf.d file would.
	cat > "$T/etc/conf.d/00-auth.conf" <<CONF
auth_param basic program $SQUID_LIBEXECDIR/basic_ncsa_auth $T/etc/passwd
auth_param basic realm sslinspect-test
auth_param basic children 2 startup=1 idle=1
acl si_authed proxy_auth REQUIRED
external_acl_type si_groups ttl=60 children-max=2 %LOGIN $T/bin/groups-helper
acl si_grouped external si_groups
http_access deny !si_authed
http_access deny !si_grouped
acl si_has_group note group
adaptation_meta X-Client-Groups "%note{group}" si_has_group
logformat si_notes %ts %rm %ru %un [%note]
access_log stdio:$T/log/notes.log si_notes
CONF
	cat > "$T/etc/policy.yaml" <<'YAML'
version: 1
groups:
  sales: [mallory]
rules:
  - name: eve-blocked
    match: { user: eve }
    action: block
    reason: This user may not download
  - name: sales-no-uploads
    match: { group: sales, direction: upload }
    action: block
    reason: Sales may not upload
  - name: auditors-only-reports
    match: { group: auditors, url_regex: '/audit-report' }
    action: block
    reason: Auditors may not fetch reports
  - name: contractors-blocked
    match: { group: contractors }
    action: block
    reason: Contractors are not allowed here
default: { action: inspect }
YAML
	chmod a+r "$T/etc/policy.yaml" "$T/etc/passwd"
	touch "$T/log/audit.log"
	si_own c-icap "$T/log/audit.log"
	SI_CICAP_EXTRA="sslinspect.PolicyFile $T/etc/policy.yaml
sslinspect.AuditLog $T/log/audit.log"
	si_start_all
	head -c 200000 /dev/urandom > "$T/www/data.bin"
	chmod a+r "$T/www/data.bin"

	# No credentials, wrong password: Squid refuses the CONNECT.
	code=$(curl -s -o /dev/null -w '%{http_connect}' --max-time 20 \
	    --proxy "http://127.0.0.1:$PROXY_PORT" --cacert "$SI_ORG_ROOT" \
	    "$(si_url /data.bin)") && si_fail "fetched without credentials"
	si_assert_eq "$code" 407 "no credentials"
	code=$(si_auth_curl eve:wrong -o /dev/null -w '%{http_connect}' \
	    "$(si_url /data.bin)" 2>/dev/null) && si_fail "fetched with a wrong password"
	si_assert_eq "$code" 407 "wrong password"

	# A rule by user: eve gets the block page over HTTPS.
	code=$(si_auth_curl eve:pw-eve -o "$T/tmp/eve.html" -w '%{http_code}' \
	    "$(si_url /data.bin)")
	si_assert_eq "$code" 403 "blocked user status"
	out=$(cat "$T/tmp/eve.html")
	si_assert_match "$out" "This user may not download" "reason on the page"
	si_assert_match "$out" "eve-blocked" "rule on the page"
	si_assert_match "$out" "<td>eve</td>" "user on the page"

	# Another user: the same file, byte-identical.
	si_auth_curl bob:pw-bob -o "$T/tmp/bob.bin" "$(si_url /data.bin)" ||
	    si_fail "bob's download"
	cmp -s "$T/tmp/bob.bin" "$T/www/data.bin" || si_fail "bob's file differs"

	# A group from the policy's groups: mapping: mallory may download but
	# not upload.
	si_auth_curl mallory:pw-mallory -o "$T/tmp/mallory.bin" "$(si_url /data.bin)" ||
	    si_fail "mallory's download"
	cmp -s "$T/tmp/mallory.bin" "$T/www/data.bin" || si_fail "mallory's file differs"
	code=$(si_auth_curl mallory:pw-mallory -o "$T/tmp/mallory.html" -w '%{http_code}' \
	    -F "file=@$T/www/data.bin" "$(si_url /upload)")
	si_assert_eq "$code" 403 "group-mapped user upload status"
	si_assert_match "$(cat "$T/tmp/mallory.html")" "Sales may not upload" "upload reason"
	out=$(si_auth_curl bob:pw-bob -F "file=@$T/www/data.bin" "$(si_url /upload)")
	si_assert_eq "$out" "received" "another user's upload"

	# Several groups: Squid joins the helper's group= notes with commas.
	printf 'numbers\n' > "$T/www/audit-report.txt"
	chmod a+r "$T/www/audit-report.txt"
	code=$(si_auth_curl bob:pw-bob -o /dev/null -w '%{http_code}' \
	    "$(si_url /audit-report.txt)")
	si_assert_eq "$code" 403 "second group from Squid's notes"

	# A group only Squid knows (the helper's note): carol is blocked.
	code=$(si_auth_curl carol:pw-carol -o "$T/tmp/carol.html" -w '%{http_code}' \
	    -H 'Accept: application/json' "$(si_url /data.bin)")
	si_assert_eq "$code" 403 "helper-grouped user status"
	out=$(cat "$T/tmp/carol.html")
	si_assert_match "$out" '"rule":"contractors-blocked"' "group rule from Squid's note"
	si_assert_match "$out" '"user":"carol"' "user in the JSON block body"

	# What Squid sent: the notes log shows the adaptation_meta header.
	si_wait_log "$T/log/notes.log" "GET https://[^ ]*/data.bin carol" \
	    "carol's request in the notes log"
	out=$(cat "$T/log/notes.log")
	si_assert_match "$out" "audit-report.txt bob \\[X-Client-Groups: staff,auditors" \
	    "X-Client-Groups as Squid sent it"
	si_assert_nomatch "$out" "mallory \\[X-Client-Groups" "no header without a group note"
	out=$(cat "$T/log/audit.log")
	si_assert_match "$out" '"user":"eve".*"verdict":"block".*"rule":"eve-blocked"' \
	    "eve's block audited with the user"
	si_assert_match "$out" '"user":"carol".*"verdict":"block".*"rule":"contractors-blocked"' \
	    "carol's block audited with the user"
	si_assert_match "$out" '"user":"mallory".*"verdict":"block".*"rule":"sales-no-uploads"' \
	    "mallory's upload block audited"
	si_assert_match "$out" '"user":"bob".*"verdict":"allow"' "bob's download audited"
	si_assert_nomatch "$out" '"user":"bob".*"path":"/data.bin".*"verdict":"block"' \
	    "bob's download never blocked"
	# Only bob's upload reached the origin.
	out=$(grep -c 'POST /upload' "$T/log/origin-access.log" || true)
	si_assert_eq "$out" 1 "uploads that reached the origin"
}
