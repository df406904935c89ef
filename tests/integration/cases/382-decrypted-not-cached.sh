# Decrypted responses are not served from Squid's cache: a response the
# origin marks cacheable (Cache-Control: public, max-age) is fetched twice
# through the bump by two users, the first allowed, the second blocked by
# a download rule that only RESPMOD can apply. With the shipped
# "cache deny sslinspect_decrypted" both fetches are misses and both go
# through RESPMOD, so the second user gets the block page. The same Squid
# reconfigured without that line serves the second fetch from its memory
# cache, RESPMOD never sees it and the blocked user gets the file: the
# line, not chance, is what keeps inspection per user.
# Also: a GET blocked in REQMOD is audited with direction "request".

SI_NEEDS_MODULE=1
SI_ORIGIN_NAMES="www.origin.test"

. "$top_srcdir/tests/integration/svc-origin.sh"

# si_auth_curl USER:PASS ARGS...: curl through the proxy as a user.
si_auth_curl()
{
	local cred=$1
	shift
	si_curl --proxy-user "$cred" --proxy-basic "$@"
}

# downloads_audited PATH: RESPMOD decisions logged for PATH so far.
downloads_audited()
{
	grep -c "\"path\":\"$1\",\"direction\":\"download\"" "$T/log/audit.log" || true
}

case_main()
{
	local code n u hash
	: > "$T/etc/passwd"
	for u in alice eve; do
		hash=$(openssl passwd -apr1 "pw-$u") || si_fail "openssl passwd"
		printf '%s:%s\n' "$u" "$hash" >> "$T/etc/passwd"
	done
	cat > "$T/etc/conf.d/00-auth.conf" <<CONF
auth_param basic program $SQUID_LIBEXECDIR/basic_ncsa_auth $T/etc/passwd
auth_param basic realm sslinspect-test
auth_param basic children 2 startup=1 idle=1
acl si_authed proxy_auth REQUIRED
http_access deny !si_authed
CONF
	cat > "$T/etc/policy.yaml" <<'YAML'
version: 1
rules:
  - name: eve-no-downloads
    match: { user: eve, direction: download }
    action: block
    reason: This user may not download
  - name: no-secrets
    match: { url_regex: '/secret' }
    action: block
    reason: Secrets stay inside
default: { action: inspect }
YAML
	chmod a+r "$T/etc/policy.yaml" "$T/etc/passwd"
	touch "$T/log/audit.log"
	si_own c-icap "$T/log/audit.log"
	SI_CICAP_EXTRA="sslinspect.PolicyFile $T/etc/policy.yaml
sslinspect.AuditLog $T/log/audit.log"
	si_start_all
	svc_origin_add 'add_header Cache-Control "public, max-age=600" always;' \
	    /index.html "max-age=600"
	for n in 1 2; do
		head -c 100000 /dev/urandom > "$T/www/c$n.bin"
	done
	printf 'the plans\n' > "$T/www/secret.txt"
	chmod a+r "$T/www/"*

	# Shipped configuration: alice's fetch is not cached, eve's is inspected.
	si_auth_curl alice:pw-alice -o "$T/tmp/alice1.bin" "$(si_url /c1.bin)" ||
	    si_fail "alice's download"
	cmp -s "$T/tmp/alice1.bin" "$T/www/c1.bin" || si_fail "alice's file differs"
	si_auth_curl alice:pw-alice -o "$T/tmp/alice1b.bin" "$(si_url /c1.bin)" ||
	    si_fail "alice's second download"
	cmp -s "$T/tmp/alice1b.bin" "$T/www/c1.bin" || si_fail "alice's second file differs"
	code=$(si_auth_curl eve:pw-eve -o "$T/tmp/eve1.html" -w '%{http_code}' \
	    "$(si_url /c1.bin)")
	si_assert_eq "$code" 403 "blocked user after a cacheable fetch"
	si_assert_match "$(cat "$T/tmp/eve1.html")" "This user may not download" \
	    "block page for the second user"
	# Squid logs a fetch when it ends, after its RESPMOD was audited.
	si_wait_count "$T/log/access.log" 'origin.test:[0-9]*/c1.bin' 3 \
	    "the c1.bin fetches in Squid's access log"
	si_assert_eq "$(downloads_audited /c1.bin)" 3 "RESPMOD decisions for c1.bin"
	si_assert_match "$(cat "$T/log/audit.log")" \
	    '"user":"eve".*"path":"/c1.bin","direction":"download","verdict":"block","rule":"eve-no-downloads"' \
	    "eve's RESPMOD block audited"
	si_assert_nomatch "$(grep '/c1.bin' "$T/log/access.log")" '_HIT/' \
	    "a decrypted response served from the cache"
	n=$(grep -c 'origin.test:[0-9]*/c1.bin' "$T/log/access.log" || true)
	si_assert_eq "$n" 3 "c1.bin lines in Squid's access log"
	n=$(grep -c 'GET /c1.bin' "$T/log/origin-access.log" || true)
	si_assert_eq "$n" 3 "c1.bin fetches that reached the origin"

	# A GET blocked in REQMOD is a request, not an upload.
	code=$(si_auth_curl alice:pw-alice -o /dev/null -w '%{http_code}' \
	    "$(si_url /secret.txt)")
	si_assert_eq "$code" 403 "GET blocked by URL"
	si_wait_log "$T/log/audit.log" \
	    '"method":"GET","host":"www.origin.test","path":"/secret.txt","direction":"request","verdict":"block","rule":"no-secrets"' \
	    "a blocked GET audited as a request"
	n=$(grep -c 'GET /secret.txt' "$T/log/origin-access.log" || true)
	si_assert_eq "$n" 0 "the blocked GET reached the origin"

	# Control: without the line Squid caches the response and the second
	# user gets it without RESPMOD. Squid 5.7 does not keep every cacheable
	# response in memory (about one first fetch in ten was not kept, with
	# Content-Length, a finished ICAP transaction and no quick abort), so
	# alice fetches until her own fetch is a hit: then the object is in
	# the cache for eve.
	sed -i '/^cache deny sslinspect_decrypted/d' "$T/etc/conf.d/sslinspect-icap.conf"
	"$SQUID" -k reconfigure -f "$T/etc/squid.conf" || si_fail "squid reconfigure"
	si_wait_count "$T/log/cache.log" 'Accepting SSL bumped' 2 "Squid's reconfiguration"
	n=0
	while [ "$n" -lt 5 ]; do
		n=$((n + 1))
		si_auth_curl alice:pw-alice -o "$T/tmp/alice2.bin" "$(si_url /c2.bin)" ||
		    si_fail "alice's download (control)"
		cmp -s "$T/tmp/alice2.bin" "$T/www/c2.bin" ||
		    si_fail "control: alice's copy differs"
		si_wait_count "$T/log/access.log" 'origin.test:[0-9]*/c2.bin' "$n" \
		    "control: alice's c2.bin fetches in Squid's access log"
		grep 'origin.test:[0-9]*/c2.bin' "$T/log/access.log" | tail -n 1 |
		    grep -Eq 'TCP_(MEM_)?HIT/' && break
	done
	si_assert_match "$(grep '/c2.bin' "$T/log/access.log" | tail -n 1)" \
	    'TCP_(MEM_)?HIT/' "control: c2.bin in Squid's cache after $n fetches"
	code=$(si_auth_curl eve:pw-eve -o "$T/tmp/eve2.bin" -w '%{http_code}' \
	    "$(si_url /c2.bin)")
	si_assert_eq "$code" 200 "control: the cached copy reaches the blocked user"
	cmp -s "$T/tmp/eve2.bin" "$T/www/c2.bin" || si_fail "control: eve's copy differs"
	si_wait_count "$T/log/access.log" 'origin.test:[0-9]*/c2.bin' $((n + 1)) \
	    "control: the c2.bin fetches in Squid's access log"
	si_assert_match "$(grep '/c2.bin' "$T/log/access.log" | tail -n 1)" \
	    ' TCP_(MEM_)?HIT/200 .* eve ' "control: eve's fetch served from the cache"
	# Every miss of alice's was inspected; the hits were not.
	si_assert_eq "$(downloads_audited /c2.bin)" $((n - 1)) \
	    "control: RESPMOD decisions for c2.bin"
}
