#!/bin/bash
# Load through the inspecting proxy, on loopback, bounded in time: Squid
# (workers 2) + sslinspect-certgen + c-icap + srv_sslinspect + nginx, and
# tests/load/loadclient driving many bumped transfers at once: downloads
# and uploads of 1 KiB to 20 MiB, a few infected ones (each must be
# blocked), every body checked by SHA-256. The same load then runs bumped
# without inspection (a second Squid with the same workers, caching no
# decrypted reply, as the inspecting one) and spliced, in the same run,
# as baselines. Memory of
# c-icap and Squid (PSS) is sampled every 5 s; "flat" means the last third of
# the run used no more than the first third after warm-up (+10%), and
# cicap_min_mb / squid_min_mb list each minute's peak, so that growth
# that stops (warm-up) shows apart from growth that goes on.
#
#   tests/load/run.sh [BUILDDIR]     (default: the current directory)
#
# LOAD_SECONDS per mode (default 60; the issue's run is 600), LOAD_CONC
# concurrent transfers (default 100; the issue's run is 500), LOAD_UPLOADS
# (browser, the default, or urlencoded: see make_files), LOAD_MODES the
# modes to run, in order (default "inspect bump splice"; "hold" also runs
# the bump-only Squid with an eCAP adapter that holds every body whole and
# inspects nothing, tests/load/ecap_hold.cc, and "ecap" with the same
# adapter showing every body to the engines too: what holding, and holding
# with inspection, cost inside Squid's process, for comparison with
# inspect; they need g++ and libecap3-dev; "front" runs the same load
# through the eCAP front end, sslinspect_ecap.so, in that Squid),
# LOAD_BASELINE_SECONDS the bump and splice runs' length (default
# LOAD_SECONDS: the baselines need only a steady rate, not the whole run;
# the inspecting modes always run LOAD_SECONDS),
# LOAD_TMPDIR where c-icap spools held bodies (tmpfs, the default, or disk).
set -u
top_builddir=$(cd "${1:-.}" && pwd)
top_srcdir=$(cd "$(dirname "$0")/../.." && pwd)
export top_srcdir top_builddir
. "$top_srcdir/tests/integration/lib.sh"
secs=${LOAD_SECONDS:-60}
conc=${LOAD_CONC:-100}
client=$top_builddir/tests/load/loadclient
[ -x "$client" ] || { echo "load: build $client first (make check)" >&2; exit 2; }
# shellcheck disable=SC2016 # the EICAR string, literally
EICAR='X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'

# shellcheck disable=SC2034 # read by lib.sh
SI_ORIGIN_NAMES="www.origin.test splice.origin.test hold.origin.test ecap.origin.test front.origin.test"
# The origin keeps an idle connection longer than any transfer of the run
# lasts. With nginx's default of 75 s, the connection Squid pinned to a
# bumped client's connection can close, idle, while that client's next
# request is in REQMOD: Squid then never answers that request (its defect,
# case 401, doc/reliability.md), about once in 11,000 transfers at 500 on
# Squid 6.13. Each mode's report counts that shape as pinned_gone.
# shellcheck disable=SC2034
SI_ORIGIN_HTTP="keepalive_timeout 1h;"
# shellcheck disable=SC2034
SI_NO_INSPECT=".splice.origin.test"
SI_SQUID_WORKERS=2
# c-icap sized for the load as srv_sslinspect(5) SIZING says: every
# transfer in flight holds a thread, and Max-Connections is half the
# threads less one child's, so that no transfer waits for an ICAP
# connection and some threads always stay free (a c-icap with every
# thread taken can lose a connection it accepted). (A transfer
# that waits makes no progress; an upload that waits fills Squid's request
# buffer, which Squid 5.7 then takes for the client's end, bug 5405.)
# Every child starts at once: c-icap adds one a second while its spare
# threads are few, and in the burst of the first seconds a connection
# that arrives before there is a thread for it can wait in the listen
# queue, its preview unanswered, until the client gives up (seen at 100
# transfers on Squid 5.7; doc/reliability.md).
SI_CICAP_EXTRA="sslinspect.MaxConnections $((conc + 40))
StartServers 8
MaxServers 8
ThreadsPerChild $(((2 * (conc + 40) + 6) / 7))
sslinspect.AuditLog off"

# make_files: the transfers' bodies, and a manifest for each origin name.
# Uploads are what browsers send: a form (urlencoded) of 1 or 16 KiB, and
# files of 64 KiB and more as multipart/form-data, each file part random
# bytes of type application/octet-stream. LOAD_UPLOADS=urlencoded sends
# every upload as curl's default instead, random bytes declared
# application/x-www-form-urlencoded, the costliest body to inspect (every
# form view decodes all of it).
make_files()
{
	local s f sha h up u type
	up=$(printf 'received\n' | sha256sum | cut -d' ' -f1)
	for s in 1K 16K 64K 256K 1M 4M 20M; do
		f=$T/www/d$s.bin
		head -c "$s" /dev/urandom > "$f"
		sha=$(sha256sum < "$f" | cut -d' ' -f1)
		u=$T/tmp/u$s.bin
		type=""
		if [ "${LOAD_UPLOADS:-browser}" = urlencoded ] ||
		    [ "$s" = 1K ] || [ "$s" = 16K ]; then
			head -c "$s" /dev/urandom > "$u"
		else
			{
				printf -- '--sslinspectload\r\nContent-Disposition: form-data; name="file"; filename="u%s.bin"\r\nContent-Type: application/octet-stream\r\n\r\n' "$s"
				head -c "$s" /dev/urandom
				printf -- '\r\n--sslinspectload--\r\n'
			} > "$u"
			type=" multipart/form-data;boundary=sslinspectload"
		fi
		for h in www.origin.test splice.origin.test hold.origin.test ecap.origin.test front.origin.test; do
			echo "GET /d$s.bin 200 $sha" >> "$T/manifest.$h"
			# Uploads go to http.server, which reads a body whole
			# before it answers (nginx answers /upload at once).
			echo "POST https://$h:$PYORIGIN_PORT/upload 200 $up $u$type" \
			    >> "$T/manifest.$h"
		done
	done
	chmod a+r "$T/www/"*
}

# make_infected: the inspected run's manifest, with one infected kind in
# eight (each caught while held, on every Squid: blocked with the page).
make_infected()
{
	printf '%s' "$EICAR" > "$T/www/eicar.txt"
	{ printf '%s' "$EICAR"; head -c 4M /dev/urandom; } > "$T/www/eicar4m.bin"
	printf 'name=a&card=4111 1111 1111 1111\n' > "$T/tmp/card.txt"
	chmod a+r "$T/www/"*
	{
		cat "$T/manifest.www.origin.test"
		echo "GET /eicar.txt 403 -"
		echo "GET /eicar4m.bin 403 -"
		echo "POST https://www.origin.test:$PYORIGIN_PORT/upload 403 - $T/tmp/card.txt"
	} > "$T/manifest.inspect"
}

# memsample: one line, "C S T": the memory of all c-icap and of all Squid
# processes, in KB, as their summed PSS (each shared page counted once,
# split among the processes that map it), and the KB in use on the tmpfs
# of c-icap's TmpDir ("-" on a disk: its spool files are unlinked as they
# are made, so only the file system's count sees them). Summed RSS counts
# the shared libraries (and Squid's shared memory) once per process, so
# it grows whenever load reaches another c-icap child or another child
# first runs a path into a library, without any memory being used. A few
# processes per sample, not one per process measured: the sampler shares
# the CPU with what it measures.
memsample()
{
	local f n c="" s=""
	for f in /proc/[0-9]*/comm; do
		read -r n 2>/dev/null < "$f" || continue
		case $n in
		c-icap) c="$c ${f%comm}smaps_rollup" ;;
		squid) s="$s ${f%comm}smaps_rollup" ;;
		esac
	done
	# A process may be gone by the time its file is read: it counts 0.
	awk -v c="$c" -v s="$s" '
	    function pss(list, n, f, i, l, w, t) {
		n = split(list, f, " ")
		for (i = 1; i <= n; i++) {
			while ((getline l < f[i]) > 0)
				if (l ~ /^Pss:/) { split(l, w, " "); t += w[2]; break }
			close(f[i])
		}
		return t
	    }
	    BEGIN { printf "%d %d ", pss(c), pss(s) }'
	if [ -n "${SI_TMPFS:-}" ]; then
		df -k --output=used "$SI_TMPFS" | tail -n 1
	else
		echo -
	fi
}

# pinned_gone: how many requests both Squids logged as never forwarded
# because the server connection pinned to their client's had closed
# (HIER_NONE with ERR_ZERO_SIZE_OBJECT: FwdState::usePinned), the shape of
# the defect case 401 shows.
pinned_gone()
{
	cat "$T/log/access.log" "$T/log/plain/access.log" 2>/dev/null |
	    grep -Ec 'HIER_NONE/-.* ERR_ZERO_SIZE_OBJECT/'
}

# cpusample: the CPU time (clock ticks) each part has used so far, a
# "part ticks" line each. A part is what si_spawn started, by session:
# c-icap with its children, each Squid with its workers, each origin; the
# helpers (sslinspect-*) are a part of their own.
cpusample()
{
	{ cat /proc/[0-9]*/stat; echo THREADS; cat /proc/[0-9]*/task/[0-9]*/stat; } \
	    2>/dev/null | awk -v pids="$SI_PIDS" '
	    BEGIN { while ((getline l < pids) > 0) { split(l, w, " "); part[w[1]] = w[2] } }
	    $0 == "THREADS" { threads = 1; next }
	    {
		# after the ") " that ends the command name: state, ppid,
		# pgrp, session (4), ..., utime (12), stime (13)
		comm = $0; sub(/^[0-9]+ \(/, "", comm); rest = comm
		sub(/\) [^)]*$/, "", comm); sub(/.*\) /, "", rest)
		split(rest, f, " ")
		if ((p = part[f[4]]) == "") next
		if (threads) {
			# the threads of the eCAP front end in a Squid
			# process: their time moved from that Squid to "scan"
			if (p ~ /^squid/ && comm ~ /^sslinspect-(scan|load)$/) {
				t[p] -= f[12] + f[13]
				t["scan"] += f[12] + f[13]
			}
			next
		}
		if (comm ~ /^sslinspect-/) p = "helpers"
		t[p] += f[12] + f[13]
	    }
	    END { for (p in t) print p, t[p] }'
}

# cpuline MODE REPORT: each part's CPU time per MB the client moved (down
# and up), in ms, from the samples taken before and after the mode's run;
# proxy_ms_per_mb is the proxy's own (Squid, helpers, c-icap), what an
# inspecting node spends where client and origins run elsewhere; "scan" is
# the part of Squid's time its eCAP front end's threads took (scanning and
# loading the engines), "squid" the rest.
cpuline()
{
	awk -v out="$2" -v hz="$(getconf CLK_TCK)" '
	    BEGIN {
		n = split(out, kv, " ")
		for (i = 1; i <= n; i++) { split(kv[i], w, "="); v[w[1]] = w[2] }
		mb = (v["down_mbps"] + v["up_mbps"]) * v["seconds"]
		if (mb <= 0) mb = 1
	    }
	    FNR == NR { a[$1] = $2; next }
	    { d[$1] = ($2 - a[$1]) * 1000 / hz / mb }
	    END {
		d["client"] = v["client_cpu"] * v["seconds"] * 1000 / mb
		np = split("squid scan squid-plain helpers c-icap client origin pyorigin", parts, " ")
		for (i = 1; i <= np; i++) {
			s = s (i > 1 ? "," : "") sprintf("%s:%.1f", parts[i], d[parts[i]])
			if (i <= 5) proxy += d[parts[i]]
		}
		printf "cpu_ms_per_mb=%s proxy_ms_per_mb=%.1f", s, proxy
	    }' "$T/cpu0.$1" "$T/cpu1.$1"
}

# run MODE PROXYPORT HOST MANIFEST CAFILE: one bounded load run; prints
# its report line with the memory samples taken during it.
run()
{
	local mode=$1 proxy=$2 host=$3 manifest=$4 out sampler t=$secs gone
	case $mode in
	bump | splice) t=${LOAD_BASELINE_SECONDS:-$secs} ;;
	esac
	gone=$(pinned_gone)
	: > "$T/mem.$mode"
	( while :; do memsample; sleep 5; done >> "$T/mem.$mode" ) &
	sampler=$!
	cpusample > "$T/cpu0.$mode"
	out=$("$client" -x "http://127.0.0.1:$proxy" -C "$5" \
	    -u "https://$host:$ORIGIN_PORT" -r "$host:$ORIGIN_PORT:127.0.0.1" \
	    -r "$host:$PYORIGIN_PORT:127.0.0.1" -m "$manifest" \
	    -c "$conc" -t "$t" 2> "$T/log/load-$mode.err")
	local rc=$?
	cpusample > "$T/cpu1.$mode"
	kill "$sampler" 2>/dev/null
	wait "$sampler" 2>/dev/null
	gone=$(($(pinned_gone) - gone))
	echo "mode=$mode $out pinned_gone=$gone $(memline "$T/mem.$mode") $(cpuline "$mode" "$out")"
	# Which requests were sent again, and why (the first few).
	grep -m 5 ': sent again ' "$T/log/load-$mode.err" >&2
	[ $rc = 0 ] || { head -n 20 "$T/log/load-$mode.err" >&2; return 1; }
}

# memline FILE: first and last third's peak memory (PSS, MB) of c-icap and Squid,
# each minute's peak (the trend: growth that stops is warm-up), and the
# most c-icap's TmpDir held.
memline()
{
	awk '{ c[NR] = $1; s[NR] = $2; if ($3 == "-") tmp = "-"; else if ($3 > tmp) tmp = $3 }
	    END {
		n = NR; a = int(n / 3); if (a < 1) a = 1
		for (i = 2; i <= a + 1 && i <= n; i++) { if (c[i] > c1) c1 = c[i]; if (s[i] > s1) s1 = s[i] }
		for (i = n - a + 1; i <= n; i++) { if (c[i] > c3) c3 = c[i]; if (s[i] > s3) s3 = s[i] }
		for (i = 1; i <= n; i++) {
			m = int((i - 1) / 12)
			if (c[i] > cm[m]) cm[m] = c[i]
			if (s[i] > sm[m]) sm[m] = s[i]
		}
		for (j = 0; j <= m; j++) {
			ct = ct (j ? "," : "") sprintf("%.0f", cm[j] / 1024)
			st = st (j ? "," : "") sprintf("%.0f", sm[j] / 1024)
		}
		printf "cicap_mb=%.0f->%.0f squid_mb=%.0f->%.0f flat=%s cicap_min_mb=%s squid_min_mb=%s tmp_mb=%s",
		    c1 / 1024, c3 / 1024, s1 / 1024, s3 / 1024,
		    (c3 <= c1 * 1.1 + 2048 && s3 <= s1 * 1.1 + 2048) ? "yes" : "no", ct, st,
		    tmp == "-" ? "-" : sprintf("%.0f", tmp / 1024)
	    }' "$1"
}

# hold_setup: build tests/load/ecap_hold.cc (with ecap_scan.c and the
# build's libsvc: the body pipeline and the engines) and have the
# bump-only Squid load it for hold.origin.test (hold only) and
# ecap.origin.test (hold and scan) alone: www.origin.test stays
# unadapted, the bump baseline. It spools where c-icap spools.
hold_setup()
{
	local so=$T/ecap_hold.so flags deps m v svc=$top_builddir/icap_service
	flags=$(pkg-config --cflags --libs libecap 2>/dev/null) ||
	    si_fail "LOAD_MODES hold, ecap: libecap3-dev is not installed (scripts/install-deps)"
	[ -f "$svc/.libs/libsvc.a" ] && [ -f "$svc/libsvc.la" ] ||
	    si_fail "LOAD_MODES hold, ecap: build the project in $top_builddir first"
	deps=$(sed -n "s/^dependency_libs='\(.*\)'/\1/p" "$svc/libsvc.la")
	# shellcheck disable=SC2086 # pkg-config's and libtool's words
	gcc -O2 -fPIC -c -o "$T/ecap_scan.o" -I"$top_builddir" \
	    -I"$top_srcdir/icap_service" -I"$top_srcdir/icap_service/engines" \
	    -I"$top_srcdir/common" "$top_srcdir/tests/load/ecap_scan.c" &&
	    g++ -std=c++11 -O2 -Wall -fPIC -shared -Wl,--no-undefined -o "$so" \
	    "$top_srcdir/tests/load/ecap_hold.cc" "$T/ecap_scan.o" \
	    "$svc/.libs/libsvc.a" $flags $deps ||
	    si_fail "LOAD_MODES hold, ecap: cannot build tests/load/ecap_hold.cc"
	chmod a+r "$so"
	mkdir -p "$T/icap-tmp/hold"
	si_own proxy "$T/icap-tmp/hold"
	SI_PLAIN_EXTRA="loadable_modules $so
ecap_enable on"
	# service and its host name: hold.origin.test, ecap.origin.test
	for m in hold:hold scan:ecap; do
		v=${m%:*}
		SI_PLAIN_EXTRA="$SI_PLAIN_EXTRA
ecap_service si_${v}_req reqmod_precache uri=ecap://sslinspect.test/$v spool=$T/icap-tmp/hold bypass=off
ecap_service si_${v}_resp respmod_precache uri=ecap://sslinspect.test/$v spool=$T/icap-tmp/hold bypass=off
acl si_$v dstdomain ${m#*:}.origin.test
adaptation_access si_${v}_req allow si_$v
adaptation_access si_${v}_req deny all
adaptation_access si_${v}_resp allow si_$v
adaptation_access si_${v}_resp deny all"
	done
}

# front_setup: the eCAP front end (sslinspect_ecap.so, the product) in
# the bump-only Squid for front.origin.test alone, with the service's
# defaults and its spool where c-icap spools.
front_setup()
{
	local so=$T/lib/sslinspect_ecap.so
	# a copy Squid's user can reach (a build directory may be private)
	cp "$top_builddir/ecap_adapter/.libs/sslinspect_ecap.so" "$so" ||
	    si_fail "LOAD_MODES front: build the project in $top_builddir first"
	chmod a+r "$so"
	mkdir -p "$T/icap-tmp/front"
	touch "$T/log/front-audit.log"
	si_own proxy "$T/icap-tmp/front" "$T/log/front-audit.log"
	SI_PLAIN_EXTRA="${SI_PLAIN_EXTRA:-}
loadable_modules $so
ecap_enable on
adaptation_send_client_ip on
ecap_service si_front_req reqmod_precache uri=ecap://sslinspect.org/sslinspect bypass=off
ecap_service si_front_resp respmod_precache uri=ecap://sslinspect.org/sslinspect bypass=off TmpDir=$T/icap-tmp/front AuditLog=$T/log/front-audit.log
acl si_front dstdomain front.origin.test
adaptation_access si_front_req allow si_front
adaptation_access si_front_req deny all
adaptation_access si_front_resp allow si_front
adaptation_access si_front_resp deny all"
}

# hold_get HOST PATH: the response headers of a download through the
# bump-only Squid.
hold_get()
{
	si_curl --proxy "http://127.0.0.1:$PLAIN_PORT" -D - -o /dev/null \
	    "$(si_url "$2" "$1")" ||
	    si_fail "a download of https://$1$2 through the bump-only Squid failed"
}

# hold_check: downloads through the adapter say they were held whole, the
# scanning one blocks EICAR, and the bump baseline's are not adapted.
hold_check()
{
	local h
	for h in hold.origin.test ecap.origin.test; do
		si_assert_match "$(hold_get $h /d1M.bin)" "X-Sslinspect-Held: 1048576" \
		    "$h: the adapter held 1 MiB whole"
	done
	si_assert_match "$(hold_get ecap.origin.test /eicar4m.bin)" "^HTTP/1.1 403" \
	    "ecap.origin.test: the adapter's engines blocked EICAR"
	h=$(hold_get www.origin.test /d1M.bin)
	case $h in
	*X-Sslinspect-Held*) si_fail "hold: the bump baseline went through the adapter" ;;
	esac
}

si_init load
# c-icap's TmpDir on a tmpfs, as srv_sslinspect(5) SIZING suggests for a
# busy node (LOAD_TMPDIR=disk keeps it on the disk, under TMPDIR): bodies
# past MaxMemObject are spooled there while they are held and scanned.
# Each mode's report gives the most it held (tmp_mb).
[ "${LOAD_TMPDIR:-tmpfs}" != tmpfs ] || si_tmpfs "$T/icap-tmp"
# A second c-icap access log with what ties a transaction to Squid's
# icap.log: when c-icap ended it (%ts), the bytes it received and sent
# (%I, %O; Squid's icap.log gives the bytes it read from c-icap), and the
# URL. A transaction that one side ended and the other did not shows as
# a line on one side only, or with bytes that differ.
SI_CICAP_EXTRA="$SI_CICAP_EXTRA
LogFormat si_load \"%ts %im %is %I %O %huo\"
AccessLog $T/log/icap-bytes.log si_load"
si_start_all
si_pyorigin_start
# after c-icap took its TmpDir over
case " ${LOAD_MODES:-} " in
*" hold "*|*" ecap "*) hold_setup ;;
esac
case " ${LOAD_MODES:-} " in
*" front "*) front_setup ;;
esac
si_plain_squid_start
make_files
make_infected
case " ${LOAD_MODES:-} " in
*" hold "*|*" ecap "*) hold_check ;;
esac
rc=0
for mode in ${LOAD_MODES:-inspect bump splice}; do
	case $mode in
	inspect) run inspect "$PROXY_PORT" www.origin.test \
	    "$T/manifest.inspect" "$SI_ORG_ROOT" || rc=1 ;;
	bump) run bump "$PLAIN_PORT" www.origin.test \
	    "$T/manifest.www.origin.test" "$SI_ORG_ROOT" || rc=1 ;;
	splice) run splice "$PROXY_PORT" splice.origin.test \
	    "$T/manifest.splice.origin.test" "$T/pki/web-root.pem" || rc=1 ;;
	hold) run hold "$PLAIN_PORT" hold.origin.test \
	    "$T/manifest.hold.origin.test" "$SI_ORG_ROOT" || rc=1 ;;
	ecap) sed 's|//www.origin.test:|//ecap.origin.test:|' "$T/manifest.inspect" \
	    > "$T/manifest.ecap"
	    run ecap "$PLAIN_PORT" ecap.origin.test "$T/manifest.ecap" \
	    "$SI_ORG_ROOT" || rc=1 ;;
	front) sed 's|//www.origin.test:|//front.origin.test:|' "$T/manifest.inspect" \
	    > "$T/manifest.front"
	    run front "$PLAIN_PORT" front.origin.test "$T/manifest.front" \
	    "$SI_ORG_ROOT" || rc=1 ;;
	*) echo "load: unknown mode $mode (LOAD_MODES: inspect bump splice hold ecap front)" >&2
	   rc=2 ;;
	esac
done
exit $rc
