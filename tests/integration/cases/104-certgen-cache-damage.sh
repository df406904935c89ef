# shellcheck shell=bash
# sslinspect-certgen's shared cache damaged under running helpers: two
# helper processes, as Squid runs them, share one cache directory; the root
# page of the cache file is zeroed while they run (what a crash can leave
# of a page written without fsync). The helper that meets the damage
# rebuilds the file, the other moves to the new one when it meets it, both
# go on answering, share leaves again, and neither falls back to memory
# alone. Requests are written as Squid writes them, straight to the pipes.

# cg_start NAME FDIN FDOUT: a helper on the shared cache, its stdin on fd
# FDIN and its stdout on fd FDOUT of this shell; stderr is its cache.log.
cg_start()
{
	local name=$1
	mkfifo "$T/$name.in" "$T/$name.out"
	# the helper gets none of the other helpers' pipes
	si_spawn "certgen-$name" sh -c 'exec 3>&- 4>&- 5>&- 6>&- 7>&- 8>&-
	    exec "$0" --cache-dir "$1" --crl-url http://crl.test/{ca}.crl \
	    < "$2" > "$3"' \
	    "$T/bin/sslinspect-certgen" "$T/certgen" "$T/$name.in" "$T/$name.out"
	eval "exec $2> \"\$T/\$name.in\" $3< \"\$T/\$name.out\""
}

# cg_ask FDIN FDOUT HOST: one request for HOST signed by the run's issuing
# CA; prints the leaf of the reply (nothing for an ERR or no reply).
cg_ask()
{
	local body reply
	body=$(printf 'host=%s\n' "$3"; cat "$T/signer.pem")
	printf 'new_certificate %d %s\n' "${#body}" "$body" >&"$1"
	IFS= read -r -d $'\1' -t 20 -u "$2" reply || return 0
	case $reply in
	"OK "*) printf '%s\n' "${reply#OK * }" | openssl x509 2>/dev/null ;;
	esac
}

# zero_root_page FILE: zero the page the newer meta page names as the main
# database's root (LMDB's 64-bit layout: page size at byte 40 of page 0,
# root page number at 128, transaction id at 144, of each meta page).
zero_root_page()
{
	local f=$1 psize t0 t1 root
	psize=$(od -An -tu4 -j40 -N4 "$f" | tr -d ' ')
	t0=$(od -An -tu8 -j144 -N8 "$f" | tr -d ' ')
	t1=$(od -An -tu8 -j$((psize + 144)) -N8 "$f" | tr -d ' ')
	if [ "$t1" -gt "$t0" ]; then
		root=$(od -An -tu8 -j$((psize + 128)) -N8 "$f" | tr -d ' ')
	else
		root=$(od -An -tu8 -j128 -N8 "$f" | tr -d ' ')
	fi
	[ "$root" -ge 2 ] || si_fail "no root page found in $f (psize $psize)"
	dd if=/dev/zero of="$f" bs="$psize" seek="$root" count=1 \
	    conv=notrunc status=none || si_fail "cannot write $f"
	si_log "zeroed page $root of $f"
}

case_main()
{
	local n leaf1 leaf2 leaf3 leaf
	[ -x "$top_builddir/cert_helper/sslinspect-certgen" ] || exit 77
	export LC_ALL=C		# ${#body} counts bytes
	si_pki_org || si_fail "cannot make the test CA"
	openssl x509 -in "$T/ca/squid-bundle.pem" > "$T/signer.pem"
	openssl pkey -in "$T/ca/squid-bundle.pem" >> "$T/signer.pem"
	cp "$top_builddir/cert_helper/sslinspect-certgen" "$T/bin/"
	cg_start a 7 8
	cg_start b 5 6

	for n in $(seq 1 40); do
		[ -n "$(cg_ask 7 8 "h$n.damage.test")" ] || si_fail "no leaf for h$n"
	done
	# a writes the shared cache once its replies are out: one more
	# answer from it means the last entry is in the file
	[ -n "$(cg_ask 7 8 sync.damage.test)" ] || si_fail "no leaf for sync"
	zero_root_page "$T/certgen/cache.mdb"

	leaf1=$(cg_ask 7 8 after.damage.test)
	[ -n "$leaf1" ] || si_fail "a: no leaf after the damage"
	[ -n "$(cg_ask 7 8 sync2.damage.test)" ] || si_fail "no leaf for sync2"
	si_wait_log "$T/log/certgen-a.out" "cache.mdb: MDB_[A-Z_]+: .*; rebuilding the cache" \
	    "helper a rebuilt the damaged cache"
	leaf2=$(cg_ask 5 6 after.damage.test)
	si_assert_eq "$leaf2" "$leaf1" "b serves a's leaf from the rebuilt file"
	si_wait_log "$T/log/certgen-b.out" "another process rebuilt the cache already" \
	    "helper b moved to the new file"
	leaf=$(cg_ask 5 6 h7.damage.test)
	[ -n "$leaf" ] || si_fail "b: no leaf for a name of the old file"

	# a helper started now finds both in the new file
	cg_start c 3 4
	leaf3=$(cg_ask 3 4 after.damage.test)
	si_assert_eq "$leaf3" "$leaf1" "a new helper shares the rebuilt file"
	si_assert_eq "$(cg_ask 3 4 h7.damage.test)" "$leaf" "b's new leaf is shared"

	for n in a b c; do
		si_alive "certgen-$n" || si_fail "helper $n exited"
	done
	si_assert_nomatch "$(cat "$T"/log/certgen-*.out)" "memory only" \
	    "no helper fell back to memory alone"
}
