# Origin validation while OCSP responders are dead (issue 14, part 2). A
# validator that answers in turn makes every site wait behind one whose
# responder never answers. Here one sslinspect-certverify process (Squid's
# concurrency=32) meets six silent responders, each named by the
# certificates of three origins that are all asked at once:
# - all eighteen wait on their responders together (eighteen connections
#   of the helper to them at the same moment);
# - meanwhile other sites are judged at once: a good one loads, an expired
#   one gets its page, and none of the eighteen has been answered yet;
# - then each of the eighteen gets Squid's page naming the missing
#   revocation answer (revocation-timeout blocks here);
# - a fourth origin behind a responder that has just failed is answered
#   without another wait (the server is remembered, not each certificate).

CV_DEAD=6
CV_WAIT=20	# the helper's --timeout, longer than any other wait here
CV_SILENT_NAMES=$(for k in $(seq 0 $((CV_DEAD - 1))); do
	printf 's%s-1.test s%s-2.test s%s-3.test s%s-4.test ' "$k" "$k" "$k" "$k"
done)
SI_ORIGIN_NAMES="good.test expired.test crlgood.test $CV_SILENT_NAMES"
SI_CERTVERIFY_CHILDREN="1 startup=1 idle=1 concurrency=32"
SI_CERTVERIFY_ARGS="--timeout $CV_WAIT --revocation-timeout block"

# cv_waiting: how many connections the helper has open to the silent
# responders right now.
cv_waiting()
{
	local p n=0 c
	for p in ${CV_SILENT_PORTS//,/ }; do
		c=$(ss -Htnp state established "dport = :$p" 2>/dev/null |
		    grep -c 'sslinspect-cert') || true
		n=$((n + c))
	done
	echo "$n"
}

# cv_get HOST: status and body of https://HOST/ through the proxy, in
# $T/tmp/HOST.out (the last line is the status).
cv_get()
{
	si_curl --max-time 60 -w '\n%{http_code}' "https://$1:$ORIGIN_PORT/" \
	    > "$T/tmp/$1.out" 2>&1 || true
}

case_main()
{
	local k m host i n out pids=""
	[ -x "$top_builddir/cert_helper/sslinspect-certverify" ] || exit 77
	si_certverify_origins "$CV_DEAD"
	si_squid_start

	for k in $(seq 0 $((CV_DEAD - 1))); do
		for m in 1 2 3; do
			cv_get "s$k-$m.test" &
			pids="$pids $!"
		done
	done
	# Answered in turn, the helper would hold one connection at a time
	# for $CV_WAIT seconds each: eighteen at once shows they all wait
	# together.
	n=0
	for i in $(seq 1 150); do
		n=$(cv_waiting)
		[ "$n" -ge $((CV_DEAD * 3)) ] && break
		sleep 0.1
	done
	si_log "the helper waits on $n responder connections at once"
	si_assert_eq "$n" $((CV_DEAD * 3)) "every origin behind a dead responder is asked at once"

	cv_get good.test
	cv_get expired.test
	cv_get crlgood.test
	out=$(cat "$T/tmp/good.test.out")
	si_assert_eq "${out##*$'\n'}" 200 "good.test loads while the others wait"
	si_assert_match "$out" "certverify origin reached" "good.test: the origin's page"
	out=$(cat "$T/tmp/crlgood.test.out")
	si_assert_eq "${out##*$'\n'}" 200 "crlgood.test (CRL fetched) loads while the others wait"
	out=$(cat "$T/tmp/expired.test.out")
	si_assert_eq "${out##*$'\n'}" 503 "expired.test is refused while the others wait"
	si_assert_match "$out" "X509_V_ERR_CERT_HAS_EXPIRED" "expired.test: the page names the error"
	si_assert_eq "$(cv_waiting)" $((CV_DEAD * 3)) "the eighteen are still waiting"
	si_assert_eq "$(grep -c 'did not answer' "$T/log/cache.log")" 0 "none of them answered yet"
	si_log "other sites judged while eighteen waited on dead responders"

	for i in $pids; do
		wait "$i"
	done
	for k in $(seq 0 $((CV_DEAD - 1))); do
		for m in 1 2 3; do
			host=s$k-$m.test
			out=$(cat "$T/tmp/$host.out")
			si_assert_eq "${out##*$'\n'}" 503 "$host refused once its responder timed out"
			si_assert_match "$out" "X509_V_ERR_UNABLE_TO_GET_CRL" "$host: the page names the missing revocation answer"
			si_assert_match "$(cat "$T/log/cache.log")" \
			    "$host: blocked revocation-timeout \(http://127\.0\.0\.1:[0-9]+ did not answer within $CV_WAIT s\)" \
			    "cache.log says why $host was blocked"
		done
	done
	si_log "each of the eighteen refused, naming the missing revocation answer"

	# The responders failed a moment ago: their fourth origins are
	# answered from that, with no new wait (curl would give up first).
	for k in $(seq 0 $((CV_DEAD - 1))); do
		host=s$k-4.test
		out=$(si_curl --max-time $((CV_WAIT / 2)) -w '\n%{http_code}' \
		    "https://$host:$ORIGIN_PORT/" 2>&1) ||
		    si_fail "$host: no answer within $((CV_WAIT / 2)) s"
		si_assert_eq "${out##*$'\n'}" 503 "$host refused at once"
		si_wait_log "$T/log/cache.log" \
		    "$host: blocked revocation-timeout \(.*did not answer within $CV_WAIT s \(its server, a moment ago" \
		    "cache.log says $host's responder failed a moment ago"
	done
	# Squid names a helper "(sslinspect-certverify)"; its arguments are ours.
	si_assert_eq "$(pgrep -c -f -- "--ca-file $T/pki/web-root.pem")" 1 "one helper process did it all"
	si_log "a responder that just failed costs no second wait"
}
