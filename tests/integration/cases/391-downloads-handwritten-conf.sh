# The same downloads as case 390 through a Squid configured by hand the
# way admins write it (two plain icap_service lines with bypass=off, no
# CONNECT exclusion, no icap_service_failure_limit, no cache deny), a
# small c-icap (StartServers 1, MaxServers 2, ThreadsPerChild 8) and
# Python's http.server as the origin: blocks followed by clean downloads
# of 1 KB to 200 MB, many rounds, each finishing in seconds and
# byte-identical, every byte of them scanned (the audit log); several at
# once. With a Squid that cannot wait for a held download, an infected one
# past the hold is cut off within DL_CUT_MAX (5 s; the design target is
# 1 s) of its EICAR bytes reaching the proxy, the origin trickling on.

SI_NEEDS_MODULE=1

. "$top_srcdir/tests/integration/dl-lib.sh"

case_main()
{
	local i s
	SI_ICAP_HANDWRITTEN=1
	SI_CICAP_THREADS=8
	dl_setup
	si_origin_start
	si_pyorigin_start
	dl_trickle_start
	si_cicap_start
	si_squid_start
	dl_make_files

	for i in 1 2 3 4 5; do
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
	dl_infected "$PYORIGIN_PORT" /eicar-60m.bin "EICAR behind 60 MB"
	dl_infected "$PYORIGIN_PORT" /eicar-200m.bin "EICAR behind 200 MB"
	if ! si_squid_holds; then
		dl_cut_soon "/eicar-60m-b.bin?pause=$((60 * 1048576 + ${#EICAR}))" \
		    "EICAR behind 60 MB, the origin trickling on"
	fi
	dl_clean "$PYORIGIN_PORT" /c100M.bin "100M after it"
	dl_clean "$PYORIGIN_PORT" /c200M.bin "200M"

	# Six at once, clean and infected mixed, on the 16 c-icap threads.
	dl_six_at_once "$PYORIGIN_PORT"
	dl_audit_whole $((DL_CLEAN_N + 6))
}
