# The eCAP front end in a Squid configured by hand, not with the snippet:
# the module loaded and two ecap_service lines of the admin's, one in the
# old form (bypass as "0", the URI without uri=), every directive on the
# line and no Config file, no CONNECT exclusion, no cache deny; Python's
# http.server as the origin. Blocks followed by clean downloads of 1 KB
# to 200 MB, many rounds, byte for byte and each scanned whole (the audit
# log); six at once with a block among them; EICAR behind 60 MB held and
# answered with the page, on any Squid (the front end waits for a held
# download where c-icap cannot); EICAR behind 200 MB, past MaxHoldSize,
# cut off without its EICAR bytes and the retry paged from the verdict
# cache.

SI_NEEDS_MODULE=1
SI_ECAP=1

. "$top_srcdir/tests/integration/dl-lib.sh"

case_main()
{
	local i s
	dl_setup
	# shellcheck disable=SC2034 # read by si_squid_start
	SI_ECAP_CONF="loadable_modules $T/lib/sslinspect_ecap.so
ecap_enable on
ecap_service admin_req reqmod_precache 0 ecap://sslinspect.org/sslinspect
ecap_service admin_resp respmod_precache ecap://sslinspect.org/sslinspect bypass=off TemplateDir=$T/lib/templates AuditLog=$T/log/audit.log TmpDir=$T/ecap-tmp MaxHoldSize=100M
adaptation_access admin_req allow all
adaptation_access admin_resp allow all"
	si_origin_start
	si_pyorigin_start
	si_squid_start
	dl_make_files

	for i in 1 2 3; do
		dl_infected "$PYORIGIN_PORT" /eicar-small.txt "round $i: EICAR" early
		dl_infected "$PYORIGIN_PORT" /eicar-start.bin "round $i: EICAR at byte 0" early
		# A URL of each round's own: without "cache deny" this Squid keeps
		# the small files (fresh by Last-Modified), and a hit, inspected on
		# its way into the cache, skips RESPMOD and leaves no audit line.
		for s in 1K 64K 1M 8M; do
			dl_clean "$PYORIGIN_PORT" "/c$s.bin?round=$i" "round $i: $s after blocks"
		done
		dl_clean "$PYORIGIN_PORT" "/c20M.bin?chunked=1" "round $i: 20M chunked"
	done
	# Held whole (under MaxHoldSize 100M), on 5.7 too: the page.
	dl_infected "$PYORIGIN_PORT" /eicar-60m.bin "EICAR behind 60 MB" early
	# Past MaxHoldSize: released while scanned, cut off at the end.
	dl_get "$PYORIGIN_PORT" /eicar-200m.bin "$T/tmp/got"
	dl_cut_retry "$PYORIGIN_PORT" /eicar-200m.bin "EICAR behind 200 MB" \
	    "$(stat -c %s "$T/www/eicar-200m.bin")"
	dl_clean "$PYORIGIN_PORT" /c100M.bin "100M after it"
	dl_clean "$PYORIGIN_PORT" /c200M.bin "200M"

	dl_six_at_once "$PYORIGIN_PORT"
	dl_audit_whole $((DL_CLEAN_N + 6))
}
