# Downloads of any size through real Squid (ssl-bump, the shipped
# snippets) + c-icap + srv_sslinspect, from nginx and from Python's
# http.server: clean files of 1 KB to 200 MB arrive byte-identical, also
# chunked, also right after blocks, round after round, each in seconds.
# Infected ones are blocked: with a Squid that can wait for a held
# download (6.13 on) every one gets the 403 page; with an older Squid
# (Debian 12's 5.7, bug 5352, srv_sslinspect(5)) one that is detected
# while still held gets the page, one detected later is cut off at once
# (the client never has the whole file nor the EICAR bytes; from an origin
# that trickles on after them, its connection ends within DL_CUT_MAX, 5 s,
# of their reaching the proxy: the design target is 1 s), and its retry
# gets the page from the verdict cache. Nothing stalls, and the audit log
# says every clean download was scanned whole.

SI_NEEDS_MODULE=1

. "$top_srcdir/tests/integration/dl-lib.sh"

case_main()
{
	local s rounds
	dl_setup
	si_start_all
	si_pyorigin_start
	dl_trickle_start
	dl_make_files

	for s in 1K 64K 1M 8M 20M 100M 200M; do
		dl_clean "$ORIGIN_PORT" "/c$s.bin" "nginx $s"
		dl_clean "$PYORIGIN_PORT" "/c$s.bin" "http.server $s"
	done
	dl_clean "$PYORIGIN_PORT" "/c20M.bin?chunked=1" "http.server chunked 20M"

	dl_infected "$ORIGIN_PORT" /eicar-start.bin "EICAR at byte 0 of 20 MB" early
	dl_infected "$ORIGIN_PORT" /eicar-end.zip "EICAR as the last entry of a 20 MB zip"
	dl_infected "$ORIGIN_PORT" /eicar-60m.bin "EICAR behind 60 MB"
	dl_infected "$ORIGIN_PORT" /eicar-200m.bin "EICAR behind 200 MB"
	dl_infected "$PYORIGIN_PORT" "/eicar-60m.bin?chunked=1" "EICAR behind 60 MB, chunked"
	if ! si_squid_holds; then
		dl_cut_soon "/eicar-60m-b.bin?pause=$((60 * 1048576 + ${#EICAR}))" \
		    "EICAR behind 60 MB, the origin trickling on"
		dl_cut_soon "/eicar-60m-b.bin?pause=$((60 * 1048576 + ${#EICAR}))&chunked=1" \
		    "EICAR behind 60 MB, chunked, the origin trickling on"
	fi
	dl_infected "$PYORIGIN_PORT" /eicar-small.txt "EICAR, 68 bytes" early

	# Right after the blocks, many rounds: nothing stalls, nothing differs.
	for rounds in 1 2 3; do
		dl_clean "$ORIGIN_PORT" /c8M.bin "round $rounds: nginx 8M"
		dl_clean "$PYORIGIN_PORT" /c20M.bin "round $rounds: http.server 20M"
		dl_infected "$ORIGIN_PORT" /eicar-start.bin "round $rounds: EICAR at byte 0" early
		dl_clean "$ORIGIN_PORT" /c1M.bin "round $rounds: nginx 1M after a block"
	done
	dl_audit_checks
}
