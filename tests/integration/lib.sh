# Integration harness: real Squid, real c-icap and a TLS origin (nginx) on
# free loopback ports, all inside one temporary directory $T.
#
# Every daemon runs in its own session (setsid) so it and its children can
# be stopped as a group; si_cleanup stops them all on exit, failure or
# Ctrl-C, prints the logs only when the case failed, and removes $T.
# Nothing is written outside $T.
#
# Sourced by tests/integration/run-case (one case per file) and scripts/demo.

: "${top_srcdir:?top_srcdir must be set}"
: "${top_builddir:=$top_srcdir}"
: "${SQUID:=/usr/sbin/squid}"
: "${CICAP:=/usr/bin/c-icap}"
: "${SQUID_LIBEXECDIR:=/usr/lib/squid}"
NGINX=${NGINX:-/usr/sbin/nginx}
# The service module as the build leaves it.
SI_MODULE=$top_builddir/icap_service/.libs/srv_sslinspect.so

. "$top_srcdir/tests/integration/orgca.sh"

SI_FAILED=0
SI_PORTS=""

# si_log MSG: a progress line on stderr.
si_log()
{
	printf '  [%s] %s\n' "${SI_CASE:-sslinspect}" "$*" >&2
}

# si_fail MSG: record a failed assertion and stop the case.
si_fail()
{
	printf 'FAIL: %s\n' "$*" >&2
	SI_FAILED=1
	exit 1
}

# si_needs: check what the case says it needs before anything starts.
# SI_NEEDS_MODULE=1: the service module must have been built; without it
# c-icap would run only srv_echo, so the case fails.
si_needs()
{
	if [ -n "${SI_NEEDS_MODULE:-}" ] && [ ! -f "$SI_MODULE" ]; then
		si_fail "module not built: $SI_MODULE"
	fi
}

# si_init NAME [DIR]: create the run directory ($T) and install cleanup.
# With DIR (the demo) the directory is kept and nothing is stopped on exit.
si_init()
{
	SI_CASE=$1
	if [ -n "${2:-}" ]; then
		T=$2
		mkdir -p "$T"
	else
		T=$(mktemp -d "${TMPDIR:-/tmp}/sslinspect-$1.XXXXXX") || exit 99
		trap si_cleanup EXIT
		trap 'exit 130' INT TERM HUP
	fi
	chmod 0755 "$T"
	mkdir -p "$T/etc/conf.d" "$T/log" "$T/run" "$T/tmp" "$T/bin" "$T/lib" \
	    "$T/www" "$T/pki"
	mkdir -p "$T/squid-run"
	si_own proxy "$T/log" "$T/squid-run" "$T/tmp"
	SI_PIDS=$T/run/pids
	: > "$SI_PIDS"
}

# si_log_shipped: whether Squid's access.log has the shipped sslinspect
# format (error code and detail, incident id); with an admin's own ICAP
# lines it has Squid's default one, which gives neither.
si_log_shipped()
{
	grep -qs ' sslinspect$' "$T/etc/conf.d/sslinspect-log.conf"
}

# si_tmpfs DIR [MB]: mount a tmpfs (of MB, default half the memory) on
# DIR, unmounted on exit once everything is stopped. Root only.
si_tmpfs()
{
	mkdir -p "$1"
	mount -t tmpfs -o "${2:+size=${2}m,}mode=0755" sslinspect-test "$1" ||
	    si_fail "cannot mount a tmpfs on $1"
	SI_TMPFS=$1
}

# si_tmpfs_full DIR: a tmpfs of 8 MB on DIR, filled to the last block by
# DIR/filler (remove it to make room again). Root only.
si_tmpfs_full()
{
	si_tmpfs "$1" 8
	dd if=/dev/zero of="$1/filler" bs=64k 2> /dev/null
	si_assert_eq "$(df --output=avail "$1" | tail -n 1 | tr -d ' ')" 0 \
	    "the tmpfs on $1 is full"
}

# si_own USER PATH...: hand paths to a daemon's user (only when root).
si_own()
{
	local user=$1
	shift
	[ "$(id -u)" = 0 ] || return 0
	chown -R "$user" "$@"
}

# si_port VAR: set VAR to a free loopback TCP port not handed out before
# in this run. Ports come from below the kernel's ephemeral range when it
# leaves room, so the client side of some other connection cannot hold one.
si_port()
{
	local var=$1 p i lo=20000 span=40000 eph
	eph=$(awk '{ print $1 }' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null)
	if [ -n "$eph" ] && [ "$eph" -gt $((lo + 2000)) ]; then
		span=$((eph - lo))
	fi
	for i in $(seq 1 200); do
		p=$(( lo + (RANDOM * 32768 + RANDOM) % span ))
		case " $SI_PORTS " in *" $p "*) continue ;; esac
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			if [ -z "$(ss -Htln "sport = :$p" 2>/dev/null)" ]; then
				SI_PORTS="$SI_PORTS $p"
				printf -v "$var" '%s' "$p"
				return 0
			fi
		fi
	done
	si_fail "no free loopback port found"
}

# si_spawn NAME CMD...: run a daemon in the foreground of its own session,
# output to $T/log/NAME.out; its pid is the process group to stop.
si_spawn()
{
	local name=$1
	shift
	setsid "$@" > "$T/log/$name.out" 2>&1 < /dev/null &
	echo "$! $name" >> "$SI_PIDS"
}

# si_wait_port PORT NAME [SECONDS]: wait until something accepts on PORT.
si_wait_port()
{
	local rc=0
	si_wait_listen "$@" || rc=$?
	case $rc in
	0) return 0 ;;
	2) si_fail "$2: 127.0.0.1:$1 is already in use (see its log below)" ;;
	*) si_fail "$2 did not listen on 127.0.0.1:$1 within ${3:-30}s" ;;
	esac
}

# si_bind_lost NAME [LOG...]: did the daemon NAME report that its port was
# taken (by a case running in parallel since si_port chose it)? c-icap
# says only "Error binding"; on a free high loopback port nothing else
# makes bind fail.
si_bind_lost()
{
	local name=$1
	shift
	grep -Eqs 'Address already in use|Error binding' "$T/log/$name.out" "$@"
}

# si_wait_listen PORT NAME [SECONDS [LOG...]]: like si_wait_port but returns
# 2 when NAME lost its port to another process (its output or a LOG says so)
# and 1 on a time-out; still fails the case when NAME exits for another
# reason. A connect that succeeds may reach the other process, so the logs
# are checked once more after it.
si_wait_listen()
{
	local port=$1 name=$2 limit=${3:-30} i
	shift 3 2>/dev/null || shift $#
	for i in $(seq 1 $((limit * 10))); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			sleep 0.2
			si_bind_lost "$name" "$@" && return 2
			si_alive "$name" && return 0
		fi
		si_bind_lost "$name" "$@" && return 2
		if ! si_alive "$name"; then
			si_fail "$name exited during start-up (see its log below)"
		fi
		sleep 0.1
	done
	return 1
}

# si_start_retry NAME PORTVAR FIXED FN: run FN (which starts NAME on
# $PORTVAR and waits with si_wait_listen) up to SI_START_ATTEMPTS times
# (default 5), with a new port from si_port after each lost bind; with
# FIXED non-empty the port cannot change (it is already written into
# certificates or configuration) and the same one is tried again after a
# pause.
si_start_retry()
{
	local name=$1 var=$2 fixed=$3 fn=$4 n rc
	for n in $(seq 1 "${SI_START_ATTEMPTS:-5}"); do
		rc=0
		"$fn" || rc=$?
		[ "$rc" = 0 ] && return 0
		[ "$rc" = 2 ] || si_fail "$name did not listen on 127.0.0.1:${!var} within 30s"
		si_stop_one "$name"
		si_log "$name: 127.0.0.1:${!var} was taken by another process (attempt $n)"
		if [ -n "$fixed" ]; then
			sleep 1
		else
			si_port "$var"
		fi
	done
	si_fail "$name: every port tried was taken by another process (${SI_START_ATTEMPTS:-5} attempts)"
}

# si_stop_one NAME: stop what is left of the latest daemon started as NAME.
si_stop_one()
{
	local pid
	pid=$(awk -v n="$1" '$2 == n { p = $1 } END { print p }' "$SI_PIDS")
	[ -n "$pid" ] || return 0
	kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# si_alive NAME: is the daemon started under NAME still running?
si_alive()
{
	local pid
	pid=$(awk -v n="$1" '$2 == n { p = $1 } END { print p }' "$SI_PIDS")
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

# si_stop_all: TERM every daemon's process group, KILL what is left after
# a grace period, and wait for them.
si_stop_all()
{
	local pid name i
	[ -f "${SI_PIDS:-/nonexistent}" ] || return 0
	while read -r pid name; do
		kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
	done < "$SI_PIDS"
	for i in $(seq 1 50); do
		local left=0
		while read -r pid name; do
			kill -0 -- "-$pid" 2>/dev/null && left=1 || true
		done < "$SI_PIDS"
		[ $left = 0 ] && break
		sleep 0.1
	done
	while read -r pid name; do
		kill -KILL -- "-$pid" 2>/dev/null || true
	done < "$SI_PIDS"
	wait 2>/dev/null || true
	: > "$SI_PIDS"
	si_squid_smp_clean
}

# si_dump_logs: the tail of every log, for a failed case; Squid's two
# transaction logs first, as they tell where a request stopped.
si_dump_logs()
{
	local f
	# The logs that tell what a transfer did come last: a CI excerpt keeps
	# the end of the output.
	for f in "$T"/log/* "$T"/log/*/* "$T/log/icap-server.log" \
	    "$T/log/icap.log" "$T/log/icap-access.log" "$T/log/access.log"; do
		[ -f "$f" ] && [ -s "$f" ] || continue
		printf -- '----- %s (last 40 lines) -----\n' "${f#$T/}" >&2
		tail -n 40 "$f" >&2
	done 2>&1 | awk '/^----- / { names[++n] = $2 } { text[n] = text[n] $0 "\n" }
	    END { for (i = 1; i <= n; i++) last[names[i]] = i
		for (i = 1; i <= n; i++) if (last[names[i]] == i) printf "%s", text[i] }' >&2
}

si_cleanup()
{
	local rc=$?
	trap - EXIT INT TERM HUP
	[ $SI_FAILED = 1 ] && rc=1
	si_stop_all
	[ -z "${SI_TMPFS:-}" ] || umount "$SI_TMPFS" 2>/dev/null ||
	    umount -l "$SI_TMPFS" 2>/dev/null || true
	# Every case also checks that our helpers answer as Squid expects:
	# Squid 6 warns, once per answer, about an annotation it reserves.
	if [ $rc = 0 ] && [ -f "$T/log/cache.log" ] &&
	    grep -q "from-helper annotation" "$T/log/cache.log"; then
		echo "FAIL: a helper's annotation Squid does not accept:" >&2
		grep -m 3 -A 1 "from-helper annotation" "$T/log/cache.log" >&2
		rc=1
	fi
	[ $rc != 0 ] && si_dump_logs
	if [ $rc != 0 ] && [ "${SI_KEEP_FAILED:-0}" != 0 ]; then
		echo "  [$SI_CASE] failed; run directory kept: $T" >&2
	else
		rm -rf "$T"
	fi
	exit $rc
}

# --- the TLS origin --------------------------------------------------------

# si_origin_start: nginx on a free port serving $T/www over TLS for the
# names in SI_ORIGIN_NAMES (default www.origin.test), after the subject
# alternative names in SI_ORIGIN_SANS (such as IP:127.0.0.1, whose value
# is then the common name too); sets ORIGIN_PORT. /upload accepts any POST and answers "received".
# SI_ORIGIN_HTTP: more nginx settings for its http block (such as a
# shorter keepalive_timeout).
si_origin_start()
{
	local names=${SI_ORIGIN_NAMES:-www.origin.test} n sans=${SI_ORIGIN_SANS:-} user=""
	[ -f "$T/pki/web-root.pem" ] || si_pki_web
	for n in $names; do sans="$sans DNS:$n"; done
	# shellcheck disable=SC2086
	si_pki_origin origin $sans
	if [ -n "${SI_ORIGIN_PORT:-}" ]; then ORIGIN_PORT=$SI_ORIGIN_PORT; else si_port ORIGIN_PORT; fi
	[ -f "$T/www/index.html" ] || printf '<html><body><h1>sslinspect test origin</h1></body></html>\n' > "$T/www/index.html"
	chmod -R a+rX "$T/www" "$T/pki"
	SI_ORIGIN_NAMES_=$names
	si_start_retry origin ORIGIN_PORT "${SI_ORIGIN_PORT:-}" si_origin_try
}

# si_nginx_conf HTTP: $T/origin/nginx.conf for an origin nginx whose pid,
# logs and temporary files are the run's, with HTTP (server blocks and
# settings) inside its http block.
si_nginx_conf()
{
	local user=""
	mkdir -p "$T/origin"
	[ "$(id -u)" = 0 ] && user="user www-data;"
	: > "$T/log/origin-error.log"
	cat > "$T/origin/nginx.conf" <<NGX
$user
worker_processes 1;
# Room for the load scripts' hundreds of transfers (each can hold one
# connection from every Squid worker): fewer, and the origin, not the
# proxy, is what fails.
worker_rlimit_nofile 8192;
pid $T/run/nginx.pid;
error_log $T/log/origin-error.log warn;
events { worker_connections 4096; }
http {
	access_log $T/log/origin-access.log;
	client_body_temp_path $T/origin/body;
	proxy_temp_path $T/origin/proxy;
	fastcgi_temp_path $T/origin/fastcgi;
	uwsgi_temp_path $T/origin/uwsgi;
	scgi_temp_path $T/origin/scgi;
$1
}
NGX
}

si_origin_try()
{
	local names=$SI_ORIGIN_NAMES_
	si_nginx_conf "	types { text/html html; text/plain txt; application/octet-stream bin;
	    application/zip zip; application/json json; }
	default_type application/octet-stream;
	${SI_ORIGIN_HTTP:-}
	server {
		listen 127.0.0.1:$ORIGIN_PORT ssl;
		server_name $names;
		ssl_certificate $T/pki/origin.pem;
		ssl_certificate_key $T/pki/origin.key;
		root $T/www;
		location /upload {
			client_max_body_size 0;
			return 200 \"received\n\";
		}
	}"
	si_spawn origin "$NGINX" -e "$T/log/origin-error.log" -p "$T/origin" \
	    -c "$T/origin/nginx.conf" -g 'daemon off;'
	si_wait_listen "$ORIGIN_PORT" origin 30 "$T/log/origin-error.log"
}

# si_pyorigin_start: a second TLS origin, Python's http.server (HTTP/1.1,
# keep-alive; see pyorigin.py for its misbehaviours on request), serving
# $T/www under the same names and certificate as nginx; sets PYORIGIN_PORT.
# SI_PYORIGIN_IDLE: seconds it waits for a request on a connection (see
# pyorigin.py), default no limit.
# Call it after si_origin_start.
si_pyorigin_start()
{
	si_port PYORIGIN_PORT
	si_start_retry pyorigin PYORIGIN_PORT "" si_pyorigin_try
}

si_pyorigin_try()
{
	si_spawn pyorigin python3 "$top_srcdir/tests/integration/pyorigin.py" \
	    "$PYORIGIN_PORT" "$T/pki/origin.pem" "$T/pki/origin.key" "$T/www" \
	    "${SI_PYORIGIN_IDLE:-}"
	si_wait_listen "$PYORIGIN_PORT" pyorigin 30
}

# --- c-icap ----------------------------------------------------------------

# si_cicap_start: c-icap on a free port with the echo service and, once it
# has been built, srv_sslinspect; sets ICAP_PORT. SI_CICAP_EXTRA is
# appended to the configuration. With SI_ECAP no c-icap starts: the
# eCAP front end runs the service in Squid (si_squid_start).
si_cicap_start()
{
	local mods conf=$T/etc/c-icap.conf user="" module
	if [ -n "${SI_ECAP:-}" ]; then
		# The eCAP front end runs the service inside Squid: no c-icap,
		# and the case's lines for it go to the front end's Config file
		# (c-icap's own directives there are skipped).
		SI_ECAP_DIRECTIVES="${SI_CICAP_EXTRA:-}
${SI_ECAP_DIRECTIVES:-}"
		SI_ICAP_SERVICE=${SI_ICAP_SERVICE:-sslinspect}
		si_log "no c-icap: the eCAP front end (SI_ECAP) inspects"
		return 0
	fi
	si_port ICAP_PORT
	si_start_retry c-icap ICAP_PORT "" si_cicap_try
}

si_cicap_try()
{
	local mods conf=$T/etc/c-icap.conf user="" module
	mods=$(c-icap-config --modulesdir)
	[ "$(id -u)" = 0 ] && user="User c-icap
Group nogroup"
	mkdir -p "$T/icap-tmp" "$T/icap-run"
	: > "$T/log/icap-server.log"
	touch "$T/log/icap-access.log"
	si_own c-icap "$T/icap-tmp" "$T/icap-run" "$T/log/icap-server.log" \
	    "$T/log/icap-access.log"
	cat > "$conf" <<CONF
PidFile $T/icap-run/c-icap.pid
CommandsSocket $T/icap-run/c-icap.ctl
Port 127.0.0.1:$ICAP_PORT
$user
StartServers 1
MaxServers 2
ThreadsPerChild ${SI_CICAP_THREADS:-10}
MinSpareThreads 5
MaxSpareThreads 20
MaxKeepAliveRequests 0
TmpDir $T/icap-tmp
MaxMemObject 131072
DebugLevel 1
ModulesDir $mods
ServicesDir $mods
TemplateDir /usr/share/c_icap/templates/
LoadMagicFile /etc/c-icap/c-icap.magic
ServerLog $T/log/icap-server.log
AccessLog $T/log/icap-access.log
Service echo srv_echo.so
CONF
	module=$SI_MODULE
	if [ -f "$module" ]; then
		cp "$module" "$T/lib/srv_sslinspect.so"
		if [ -f "$top_builddir/icap_service/sslinspect.conf" ]; then
			sed -e "s|^Service sslinspect .*|Service sslinspect $T/lib/srv_sslinspect.so|" \
			    "$top_builddir/icap_service/sslinspect.conf" > "$T/etc/c-icap-sslinspect.conf"
			echo "Include $T/etc/c-icap-sslinspect.conf" >> "$conf"
			# Half of this run's MaxServers 2 x ThreadsPerChild, as
			# the shipped file's comment says for a real one.
			echo "sslinspect.MaxConnections ${SI_CICAP_THREADS:-10}" >> "$conf"
		else
			echo "Service sslinspect $T/lib/srv_sslinspect.so" >> "$conf"
		fi
		# The shipped block page templates, and the run's own audit log
		# (the defaults name installed paths); a case may set others.
		cp -r "$top_srcdir/icap_service/templates" "$T/lib/templates"
		touch "$T/log/audit.log"
		si_own c-icap "$T/log/audit.log"
		printf 'sslinspect.TemplateDir %s\nsslinspect.AuditLog %s\n' \
		    "$T/lib/templates" "$T/log/audit.log" >> "$conf"
		SI_ICAP_SERVICE=${SI_ICAP_SERVICE:-sslinspect}
	fi
	SI_ICAP_SERVICE=${SI_ICAP_SERVICE:-echo}
	[ -n "${SI_CICAP_EXTRA:-}" ] && printf '%s\n' "$SI_CICAP_EXTRA" >> "$conf"
	chmod -R a+rX "$T/etc" "$T/lib"
	si_spawn c-icap "$CICAP" -N -f "$conf"
	si_wait_listen "$ICAP_PORT" c-icap 30 "$T/log/icap-server.log"
}

# si_cicap_b_start: a second c-icap host, the first one's configuration
# on its own port (ICAP_PORT_B), pid file, command socket and logs (its
# audit file is $T/log/audit-b.log).
si_cicap_b_start()
{
	si_port ICAP_PORT_B
	mkdir -p "$T/icap-b"
	: > "$T/log/icap-b-server.log"
	: > "$T/log/icap-b-access.log"
	: > "$T/log/audit-b.log"
	si_own c-icap "$T/icap-b" "$T/log/icap-b-server.log" \
	    "$T/log/icap-b-access.log" "$T/log/audit-b.log"
	sed -e "s|^Port .*|Port 127.0.0.1:$ICAP_PORT_B|" \
	    -e "s|$T/icap-run/|$T/icap-b/|" \
	    -e "s|$T/log/icap-server.log|$T/log/icap-b-server.log|" \
	    -e "s|$T/log/icap-access.log|$T/log/icap-b-access.log|" \
	    -e "s|$T/log/audit.log|$T/log/audit-b.log|" \
	    "$T/etc/c-icap.conf" > "$T/etc/c-icap-b.conf"
	chmod a+r "$T/etc/c-icap-b.conf"
	si_spawn c-icap-b "$CICAP" -N -f "$T/etc/c-icap-b.conf"
	si_wait_listen "$ICAP_PORT_B" c-icap-b 30 "$T/log/icap-b-server.log"
}

# si_syslog_collector PORTVAR FILE: a syslog collector on a free UDP port
# of loopback (its number into PORTVAR) that appends every datagram to
# FILE as one line of hex.
si_syslog_collector()
{
	si_port "$1"
	: > "$2"
	si_spawn collector python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
with open(sys.argv[2], "ab", 0) as f:
    while True:
        f.write(s.recv(70000).hex().encode() + b"\n")
' "${!1}" "$2"
}

# si_icap_ctl CMD: send a command (reconfigure, stop, ...) to c-icap.
si_icap_ctl()
{
	printf '%s' "$1" > "$T/icap-run/c-icap.ctl"
}

# --- Squid -----------------------------------------------------------------

# si_certgen_setup: set CERTGEN_PROGRAM (the sslcrtd_program line) and
# CERTGEN_CHILDREN. sslinspect-certgen once it has been built (with
# SI_CERTGEN_ARGS added), Squid's own helper before (or with SI_STOCK_CERTGEN).
# SI_BUMP_DIR is the CA directory whose bundle Squid and certgen use
# (default $T/ca; a node's own directory in the multi-node case).
si_certgen_setup()
{
	local ours=$top_builddir/cert_helper/sslinspect-certgen
	if [ -x "$ours" ] && [ -z "${SI_STOCK_CERTGEN:-}" ]; then
		cp "$ours" "$T/bin/sslinspect-certgen"
		mkdir -p "$T/certgen"
		si_own proxy "$T/certgen"
		CERTGEN_PROGRAM="$T/bin/sslinspect-certgen --cache-dir $T/certgen --ca-dir ${SI_BUMP_DIR:-$T/ca} ${SI_CERTGEN_ARGS:-}"
		CERTGEN_CHILDREN=${SI_CERTGEN_CHILDREN:-2 startup=1 idle=1 concurrency=8}
	else
		"$SQUID_LIBEXECDIR/security_file_certgen" -c -s "$T/ssl_db" -M 4MB >/dev/null
		si_own proxy "$T/ssl_db"
		CERTGEN_PROGRAM="$SQUID_LIBEXECDIR/security_file_certgen -s $T/ssl_db -M 4MB"
		CERTGEN_CHILDREN=${SI_CERTGEN_CHILDREN:-2 startup=1 idle=1}
	fi
}

# si_categories_setup: the category helper in $T/bin and, unless the case
# installed its own set (SI_CATEGORIES_DIR, or $T/lib/categories.mdb made
# before Squid starts), the shipped seed lists as $T/lib/categories.mdb.
si_categories_setup()
{
	local lists=$top_builddir/categories/sslinspect-lists
	cp "$top_builddir/categories/sslinspect-category-acl" "$T/bin/" ||
	    si_fail "sslinspect-category-acl not built"
	if [ ! -f "$T/lib/categories.mdb" ]; then
		"$lists" -q -d "$T/lib/categories.mdb" update \
		    "${SI_CATEGORIES_DIR:-$top_srcdir/categories/seed}" ||
		    si_fail "sslinspect-lists update"
	fi
	chmod -R a+rX "$T/lib"
}

# si_certverify_expect HOST allow|ERROR_NAME: what curl gets through the
# proxy from an origin of si_certverify_origins: its page, or Squid's page
# (503) naming ERROR_NAME and nothing of the origin's.
si_certverify_expect()
{
	local host=$1 want=$2 body code
	body=$(si_curl -w '\n%{http_code}' "https://$host:$ORIGIN_PORT/" 2>&1)
	code=${body##*$'\n'}
	if [ "$want" = allow ]; then
		si_assert_match "$body" "certverify origin reached" "$host loads"
		si_assert_eq "$code" 200 "$host status"
		si_log "$host: loads"
		return
	fi
	si_assert_eq "$code" 503 "$host refused by Squid"
	si_assert_match "$body" "$want" "$host: the page names $want"
	si_assert_nomatch "$body" "certverify origin reached" "$host: no origin content"
	si_log "$host: refused, page names $want"
}

# si_certverify_origins [N]: the certverify test PKI (certverify-pki.py)
# and its servers. One nginx serves each origin of SI_ORIGIN_NAMES by SNI
# on ORIGIN_PORT (RSA-1024 and SHA-1 allowed), and the CRL and the AIA
# intermediate on CV_HTTP_PORT; "openssl ocsp" answers on CV_OCSP_PORT; a
# silent responder (it takes connections and never answers) listens on
# CV_SILENT_PORT and on N more ports, CV_SILENT_PORTS (comma-separated),
# whose origins are sK-M.test (the K-th port from 0, M from 1 to 4).
si_certverify_origins()
{
	local n servers="" i p silent
	si_port CV_HTTP_PORT
	si_port CV_OCSP_PORT
	si_port CV_SILENT_PORT
	si_port ORIGIN_PORT
	CV_SILENT_PORTS=""
	for i in $(seq 1 "${1:-0}"); do
		si_port silent
		CV_SILENT_PORTS="$CV_SILENT_PORTS${CV_SILENT_PORTS:+,}$silent"
	done
	python3 "$top_srcdir/tests/integration/certverify-pki.py" "$T/pki" \
	    "$CV_HTTP_PORT" "$CV_OCSP_PORT" "$CV_SILENT_PORT" $CV_SILENT_PORTS ||
	    si_fail "making the test PKI"
	mkdir -p "$T/www" "$T/crl" "$T/origin"
	printf '<html><body><p id="m">certverify origin reached</p></body></html>\n' > "$T/www/index.html"
	cp "$T/pki/root.crl" "$T/pki/int.der" "$T/crl/"
	chmod -R a+rX "$T/www" "$T/pki" "$T/crl"
	for n in $SI_ORIGIN_NAMES; do
		servers="$servers
	server {
		listen 127.0.0.1:$ORIGIN_PORT ssl;
		server_name $n;
		ssl_certificate $T/pki/$n.pem;
		ssl_certificate_key $T/pki/$n.key;
		root $T/www;
	}"
	done
	si_nginx_conf "	default_type text/html;
	# RSA-1024 and SHA-1 are refused by OpenSSL's default level.
	ssl_ciphers DEFAULT:@SECLEVEL=0;
	$servers
	server {
		listen 127.0.0.1:$CV_HTTP_PORT;
		root $T/crl;
	}"
	si_spawn origin "$NGINX" -e "$T/log/origin-error.log" -p "$T/origin" \
	    -c "$T/origin/nginx.conf" -g 'daemon off;'
	si_wait_port "$ORIGIN_PORT" origin
	# Takes connections into its backlog and never reads or answers.
	si_spawn silent python3 -c 'import socket, sys, time
socks = []
for port in sys.argv[1:]:
    s = socket.socket()
    s.bind(("127.0.0.1", int(port)))
    s.listen(64)
    socks.append(s)
time.sleep(3600)' "$CV_SILENT_PORT" ${CV_SILENT_PORTS//,/ }
	for p in $CV_SILENT_PORT ${CV_SILENT_PORTS//,/ }; do
		si_wait_port "$p" silent
	done
	si_spawn ocsp openssl ocsp -index "$T/pki/index.txt" \
	    -port "$CV_OCSP_PORT" -rsigner "$T/pki/web-root.pem" \
	    -rkey "$T/pki/web-root.key" -CA "$T/pki/web-root.pem" -nmin 5
	# Not si_wait_port: "openssl ocsp" serves one connection at a time
	# and stays stuck on a probe that connects and sends nothing.
	for i in $(seq 1 100); do
		[ -n "$(ss -Htln "sport = :$CV_OCSP_PORT" 2>/dev/null)" ] && return 0
		si_alive ocsp || si_fail "the OCSP responder exited"
		sleep 0.1
	done
	si_fail "the OCSP responder did not listen"
}

# si_certverify_setup: set CERTVERIFY_PROGRAM (the sslcrtvalidator_program
# line): sslinspect-certverify once built, trusting the test web root
# ($T/pki/web-root.pem, or SI_CERTVERIFY_CAFILE), with SI_CERTVERIFY_ARGS
# added; Squid's own security_fake_certverify (which passes on what Squid
# found) before.
si_certverify_setup()
{
	local ours=$top_builddir/cert_helper/sslinspect-certverify
	if [ -x "$ours" ]; then
		cp "$ours" "$T/bin/sslinspect-certverify"
		CERTVERIFY_PROGRAM="$T/bin/sslinspect-certverify --ca-file ${SI_CERTVERIFY_CAFILE:-$T/pki/web-root.pem} ${SI_CERTVERIFY_ARGS:-}"
	else
		CERTVERIFY_PROGRAM="$SQUID_LIBEXECDIR/security_fake_certverify"
	fi
}

# si_squid_start: render the shipped squid-conf snippets for this run,
# include them from a minimal main squid.conf (the shape of Debian's),
# start Squid and wait for it; sets PROXY_PORT. ORIGIN_PORT and ICAP_PORT
# must be set; SI_PROXY_PORT fixes the port; SI_NO_INSPECT is the
# do-not-inspect list (one per line); SI_PINNED names added to the pinned
# list (separated by spaces); SI_INTERCEPT_ADDR enables the
# intercepting port on that address;
# SI_SQUID_EXTRA is appended to the main configuration.
#
# SI_SQUID_WORKERS=N runs Squid with "workers N" (SMP from 2 on) instead
# of as one process (-N); see si_squid_smp_setup. SQUID_CTL holds the
# arguments that a "squid -k" command needs for this instance.
si_squid_start()
{
	local conf=$T/etc/squid.conf render=$top_srcdir/squid-conf/render
	local user="" n
	if [ -n "${SI_PROXY_PORT:-}" ]; then PROXY_PORT=$SI_PROXY_PORT; else si_port PROXY_PORT; fi
	[ -f "$T/ca/squid-bundle.pem" ] || si_pki_org
	si_certgen_setup
	si_certverify_setup
	# Every Squid gets a service name unique to the run, one process (-N)
	# as well as SMP: Squid names its /dev/shm segments after it (such as
	# the TLS session cache that Squid 6 makes even with -N), and cases
	# running in parallel under the default name would open each other's.
	# Squid accepts only letters and digits in a service name.
	SI_SQUID_SERVICE=si$(basename "$T" | tr -cd 'A-Za-z0-9' | tail -c 20)
	SI_SQUID_NS=()
	SQUID_CTL=$(printf -- '-f %q -n %s' "$conf" "$SI_SQUID_SERVICE")
	[ -n "${SI_SQUID_WORKERS:-}" ] && si_squid_smp_setup
	si_start_retry squid PROXY_PORT "${SI_PROXY_PORT:-}" si_squid_try
}

# si_squid_smp_setup: prepare an SMP Squid (master, coordinator, N
# workers). Squid 5.7 names its shared memory segments (/dev/shm) and its
# IPC sockets after the service name (-n), and puts the sockets in a
# directory fixed at build time (/var/run/squid); neither is configurable.
# A service name unique to the run keeps parallel cases apart, and where
# a private mount namespace can be made (root), Squid runs in one that
# mounts $T/squid-ipc over the socket directory and a fresh tmpfs over
# /dev/shm, so nothing of it lives outside $T and it all vanishes with
# the last process. Otherwise the leftovers of a killed Squid are removed
# by name in si_squid_smp_clean.
si_squid_smp_setup()
{
	case $SI_SQUID_WORKERS in
	[1-9]|[1-9][0-9]) ;;
	*) si_fail "SI_SQUID_WORKERS must be a number of workers, not '$SI_SQUID_WORKERS'" ;;
	esac
	mkdir -p "$T/squid-ipc"
	si_own proxy "$T/squid-ipc"
	# The prefix that runs Squid in a private mount namespace whose Squid
	# IPC directory is $T/squid-ipc and whose /dev/shm is a new tmpfs.
	SI_SQUID_NS=(unshare -m --propagation private sh -ec '
		mount --bind "$1" /var/run/squid
		mount -t tmpfs -o mode=1777 si-squid-shm /dev/shm
		shift
		exec "$@"' sh "$T/squid-ipc")
	if [ -d /var/run/squid ] && "${SI_SQUID_NS[@]}" true 2>/dev/null; then
		si_log "Squid with workers $SI_SQUID_WORKERS, IPC and shm under $T"
	else
		SI_SQUID_NS=()
		si_log "Squid with workers $SI_SQUID_WORKERS, service $SI_SQUID_SERVICE in /var/run/squid and /dev/shm"
	fi
}

# si_squid_smp_clean [NAME]: remove the IPC sockets and shared memory
# segments a killed Squid left outside $T (only its own, by service name:
# NAME, or $SI_SQUID_SERVICE).
si_squid_smp_clean()
{
	local name=${1:-${SI_SQUID_SERVICE:-}}
	[ -n "$name" ] && [ "${#SI_SQUID_NS[@]}" = 0 ] || return 0
	rm -f /var/run/squid/"$name"-*.ipc /dev/shm/"$name"-*.shm
}

si_squid_try()
{
	local conf=$T/etc/squid.conf render=$top_srcdir/squid-conf/render
	local user="" n
	printf '%s\n' "${SI_NO_INSPECT:-}" > "$T/etc/no-inspect.txt"
	# shellcheck disable=SC2086
	printf '%s\n' ".pinning-test.invalid" ${SI_PINNED:-} > "$T/etc/pinned-apps.txt"
	si_categories_setup
	: > "$T/etc/hosts"
	for n in ${SI_ORIGIN_NAMES:-www.origin.test} ${SI_EXTRA_HOSTS:-}; do
		echo "127.0.0.1 $n" >> "$T/etc/hosts"
	done
	$render BUMP_PORT="127.0.0.1:$PROXY_PORT" \
	    INTERCEPT_PORT="${SI_INTERCEPT_ADDR:-127.0.0.1:0}" \
	    BUMP_BUNDLE="${SI_BUMP_DIR:-$T/ca}/squid-bundle.pem" \
	    CERTGEN_PROGRAM="$CERTGEN_PROGRAM" CERTGEN_CHILDREN="$CERTGEN_CHILDREN" \
	    CERTVERIFY_PROGRAM="$CERTVERIFY_PROGRAM" \
	    CERTVERIFY_CHILDREN="${SI_CERTVERIFY_CHILDREN:-2 startup=1 idle=1 concurrency=32}" \
	    CERTVERIFY_TTL="${SI_CERTVERIFY_TTL:-60}" \
	    NO_INSPECT_LIST="$T/etc/no-inspect.txt" \
	    PINNED_LIST="$T/etc/pinned-apps.txt" \
	    CATEGORY_HELPER="$T/bin/sslinspect-category-acl -c -d $T/lib/categories.mdb" \
	    CATEGORY_TTL="${SI_CATEGORY_TTL:-10}" \
	    NO_INSPECT_CATEGORIES="${SI_NO_INSPECT_CATEGORIES:-finance health}" \
	    OUTGOING_CAFILE="$T/pki/web-root.pem" TLS_LOG="stdio:$T/log/tls.log" \
	    < "$top_srcdir/squid-conf/sslinspect-bump.conf.in" \
	    > "$T/etc/conf.d/sslinspect-bump.conf" || si_fail "render bump snippet"
	# SI_INTERCEPT_ADDR: the intercepting port enabled, as an admin does
	# it (uncommented), on that address.
	[ -z "${SI_INTERCEPT_ADDR:-}" ] ||
	    sed -i 's/^#\(https_port .* intercept \)/\1/' "$T/etc/conf.d/sslinspect-bump.conf"
	# SI_BUMP_SED: a sed script applied to the rendered bump snippet, for
	# the choices an admin makes by (un)commenting its lines.
	[ -z "${SI_BUMP_SED:-}" ] ||
	    sed -i -e "$SI_BUMP_SED" "$T/etc/conf.d/sslinspect-bump.conf"
	if [ -n "${SI_ICAP_CONF:-}" ]; then
		# A case's own ICAP lines (several c-icap hosts, say).
		si_log "squid.conf: the case's own ICAP lines, not the snippet"
		printf '%s\n' "$SI_ICAP_CONF" > "$T/etc/conf.d/sslinspect-icap.conf"
	elif [ -n "${ICAP_PORT:-}" ] && [ -n "${SI_ICAP_HANDWRITTEN:-}" ]; then
		# An admin's own ICAP lines instead of the shipped snippet: no
		# CONNECT exclusion, no failure limit, no cache deny.
		si_log "squid.conf: hand-written icap_service lines, not the snippet"
		cat > "$T/etc/conf.d/sslinspect-icap.conf" <<CONF
icap_enable on
icap_service si_req reqmod_precache icap://127.0.0.1:$ICAP_PORT/${SI_ICAP_SERVICE:-echo} bypass=off
icap_service si_resp respmod_precache icap://127.0.0.1:$ICAP_PORT/${SI_ICAP_SERVICE:-echo} bypass=off
adaptation_access si_req allow all
adaptation_access si_resp allow all
CONF
	elif [ -n "${SI_ECAP:-}" ]; then
		# The eCAP front end's snippet instead of the ICAP one, reading
		# the sslinspect.* lines of the c-icap include the build ships
		# (Config=), with the shipped templates, the run's audit log
		# and the case's own lines (SI_ECAP_DIRECTIVES) after them.
		mkdir -p "$T/ecap-tmp"
		si_own proxy "$T/ecap-tmp"
		# Squid loads the module as its own user: a copy it can reach
		# (a build directory may be private), as c-icap's is.
		cp "$top_builddir/ecap_adapter/.libs/sslinspect_ecap.so" "$T/lib/" ||
		    si_fail "module not built: $top_builddir/ecap_adapter/.libs/sslinspect_ecap.so"
		cp -r "$top_srcdir/icap_service/templates" "$T/lib/templates"
		touch "$T/log/audit.log"
		si_own proxy "$T/log/audit.log"
		{
			cat "$top_builddir/icap_service/sslinspect.conf"
			printf 'sslinspect.TemplateDir %s\nsslinspect.AuditLog %s\n' \
			    "$T/lib/templates" "$T/log/audit.log"
			printf '%s\n' "${SI_ECAP_DIRECTIVES:-}"
		} > "$T/etc/sslinspect.conf"
		chmod -R a+rX "$T/lib"
		if [ -n "${SI_ECAP_CONF:-}" ]; then
			# An admin's own eCAP lines (module, service, access)
			# instead of the snippet.
			si_log "squid.conf: the case's own ecap_service lines, not the snippet"
			printf '%s\n' "$SI_ECAP_CONF" > "$T/etc/conf.d/sslinspect-ecap.conf"
		else
			$render ECAP_MODULE="$T/lib/sslinspect_ecap.so" \
			    ECAP_CONFIG="$T/etc/sslinspect.conf" ECAP_TMPDIR="$T/ecap-tmp" \
			    ECAP_HOLD="$(si_squid_holds || echo MaxHoldSize=256M)" \
			    < "$top_srcdir/squid-conf/sslinspect-ecap.conf.in" \
			    > "$T/etc/conf.d/sslinspect-ecap.conf" || si_fail "render ecap snippet"
		fi
		# The case's options for the ecap_service line (MaxBacklog=,
		# which c-icap would refuse in Config), each in place of the
		# snippet's own of that name (Squid refuses a name twice).
		for o in ${SI_ECAP_OPTIONS:-}; do
			if grep -q "^ecap_service sslinspect_resp .* ${o%%=*}=" \
			    "$T/etc/conf.d/sslinspect-ecap.conf"; then
				sed -i "/^ecap_service sslinspect_resp /s| ${o%%=*}=[^ ]*| $o|" \
				    "$T/etc/conf.d/sslinspect-ecap.conf"
			else
				sed -i "/^ecap_service sslinspect_resp /s|\$| $o|" \
				    "$T/etc/conf.d/sslinspect-ecap.conf"
			fi
		done
	elif [ -n "${ICAP_PORT:-}" ]; then
		$render ICAP_ADDRESS="127.0.0.1:$ICAP_PORT" \
		    ICAP_SERVICE="${SI_ICAP_SERVICE:-echo}" \
		    REQUEST_BUFFER_LINE="$(si_request_buffer_line)" \
		    < "$top_srcdir/squid-conf/sslinspect-icap.conf.in" \
		    > "$T/etc/conf.d/sslinspect-icap.conf" || si_fail "render icap snippet"
	fi
	if cat "$T/etc/conf.d/sslinspect-icap.conf" "$T/etc/conf.d/sslinspect-ecap.conf" \
	    2>/dev/null | grep -q '^logformat sslinspect '; then
		# The shipped access log snippet, with this run's log file.
		$render ACCESS_LOG="stdio:$T/log/access.log" \
		    < "$top_srcdir/squid-conf/sslinspect-log.conf.in" \
		    > "$T/etc/conf.d/sslinspect-log.conf" || si_fail "render access log snippet"
	else
		# Without the shipped ICAP snippet there is no sslinspect format.
		echo "access_log stdio:$T/log/access.log" > "$T/etc/conf.d/sslinspect-log.conf"
	fi
	[ "$(id -u)" = 0 ] && user="cache_effective_user proxy"
	cat > "$conf" <<CONF
# Test main squid.conf: the shape of Debian's, with the sslinspect
# snippets included exactly as they are installed.
$user
visible_hostname sslinspect-test
pid_filename $T/squid-run/squid.pid
cache_log $T/log/cache.log
icap_log stdio:$T/log/icap.log icap_squid
cache_store_log none
coredump_dir $T/tmp
netdb_filename none
pinger_enable off
shutdown_lifetime 1 seconds
hosts_file $T/etc/hosts
dns_nameservers 127.0.0.1
logfile_rotate 0
include $T/etc/conf.d/*.conf
http_access allow localhost
http_access deny all
${SI_SQUID_EXTRA:-}
CONF
	if [ -n "${SI_SQUID_WORKERS:-}" ]; then
		# One access log per worker as well, to see which one served;
		# with the client's port, to find the transactions of one
		# connection (the load client names the port of a failure).
		cat >> "$conf" <<CONF
workers $SI_SQUID_WORKERS
logformat si_kid %ts.%03tu %6tr %>a:%>p %Ss/%03>Hs %<st %rm %ru %Sh/%<a %err_code/%err_detail
access_log stdio:$T/log/access-kid\${process_number}.log si_kid
CONF
	fi
	chmod -R a+rX "$T/etc" "$T/bin"
	"$SQUID" -k parse -f "$conf" ${SI_SQUID_SERVICE:+-n "$SI_SQUID_SERVICE"} \
	    > "$T/log/squid-parse.log" 2>&1 ||
	    si_fail "squid -k parse rejected the configuration"
	[ -f "$T/log/cache.log" ] && : > "$T/log/cache.log"
	if [ -n "${SI_SQUID_WORKERS:-}" ]; then
		# --foreground: the master stays the process we started, so the
		# coordinator, the workers and their helpers stay in its
		# process group and are stopped with it.
		si_squid_smp_clean
		si_spawn squid "${SI_SQUID_NS[@]}" "$SQUID" --foreground \
		    -n "$SI_SQUID_SERVICE" -f "$conf"
	else
		si_spawn squid "$SQUID" -N -n "$SI_SQUID_SERVICE" -f "$conf"
	fi
	si_wait_listen "$PROXY_PORT" squid 30 "$T/log/cache.log"
}

# si_squid_version: the version of $SQUID (5.7, 6.13, ...).
si_squid_version()
{
	"$SQUID" -v 2>/dev/null | sed -n 's/^Squid Cache: Version \([0-9.]*\).*/\1/p'
}

# si_squid_holds: can this Squid wait for a download the service holds?
# Before 6.13 it stops reading the origin for good (Squid bug 5352; see
# srv_sslinspect(5), HOLD, THEN DECIDE), and the shipped sslinspect.conf
# holds no more than Squid's 64 KiB pipe.
si_squid_holds()
{
	dpkg --compare-versions "$(si_squid_version)" ge 6.13
}

# si_request_buffer_line: the ICAP snippet's request buffer line as the
# build renders it for this Squid (configure.ac, SQUID_REQBUF_LINE).
si_request_buffer_line()
{
	if si_squid_holds; then
		echo "#client_request_buffer_max_size 16 MB"
	else
		echo "client_request_buffer_max_size 16 MB"
	fi
}

# si_plain_squid_start: a second Squid for baselines, the first one's
# configuration without its ICAP snippet (it bumps alike, with the same
# helper and CA), on its own port, logs and service name, with as many
# workers as the first (a baseline with fewer would be slower for that
# alone); sets PLAIN_PORT. SI_PLAIN_EXTRA is appended to its
# configuration. Call it after si_squid_start.
si_plain_squid_start()
{
	local conf=$T/etc/squid-plain.conf name=siplain$$
	si_port PLAIN_PORT
	mkdir -p "$T/etc/plain.d" "$T/log/plain" "$T/squid-run/plain"
	si_own proxy "$T/log/plain" "$T/squid-run/plain"
	sed "s|127.0.0.1:$PROXY_PORT|127.0.0.1:$PLAIN_PORT|" \
	    "$T/etc/conf.d/sslinspect-bump.conf" > "$T/etc/plain.d/sslinspect-bump.conf"
	sed -e "s|$T/etc/conf.d/|$T/etc/plain.d/|" -e "s|$T/log/|$T/log/plain/|g" \
	    -e "s|$T/squid-run/|$T/squid-run/plain/|" \
	    "$T/etc/squid.conf" > "$conf"
	# What the ICAP configuration does besides adaptation, its cache
	# rules (the snippet caches no decrypted reply): a baseline serving
	# hits would not be comparable, and Squid 5.7 with workers fails an
	# assertion in MemObject.cc when it caches them.
	grep -E '^(acl [^ ]+ proto HTTPS|cache )' \
	    "$T/etc/conf.d/sslinspect-icap.conf" >> "$conf" || true
	[ -z "${SI_PLAIN_EXTRA:-}" ] || printf '%s\n' "$SI_PLAIN_EXTRA" >> "$conf"
	chmod a+r "$conf" "$T/etc/plain.d/"*
	if [ -n "${SI_SQUID_WORKERS:-}" ]; then
		si_squid_smp_clean "$name"
		si_spawn squid-plain "${SI_SQUID_NS[@]}" "$SQUID" --foreground \
		    -n "$name" -f "$conf"
	else
		si_spawn squid-plain "$SQUID" -N -n "$name" -f "$conf"
	fi
	si_wait_port "$PLAIN_PORT" squid-plain
}

# si_start_all: origin, c-icap and Squid, the usual order.
si_start_all()
{
	si_origin_start
	si_cicap_start
	si_squid_start
}

# --- clients and assertions -------------------------------------------------

# si_curl ARGS...: curl through the proxy, trusting the org root.
si_curl()
{
	curl -sS --max-time 20 --proxy "http://127.0.0.1:$PROXY_PORT" \
	    --cacert "$SI_ORG_ROOT" "$@"
}

# si_lost_last_chunk RC HEADERS GOT EXPECTED: did a download that failed
# with curl exit RC (its response headers in HEADERS, its body in GOT) meet
# Squid's truncation race? Squid up to 7.2 may end an adapted chunked reply
# before it noted that the service sent all of it (Client::resumeBodyStorage
# ahead of the queued production-ended notice; bug 5279, fixed upstream in
# d3e066e65b): the body arrives whole and unchanged, then the connection
# closes without the last chunk (curl exit 18). Only that shape counts: a
# chunked reply whose body equals EXPECTED byte for byte. Logged when so.
si_lost_last_chunk()
{
	[ "$1" = 18 ] || return 1
	grep -qi '^transfer-encoding: chunked' "$2" || return 1
	cmp -s "$3" "$4" || return 1
	si_log "whole body, no last chunk (Squid's truncation race, bug 5279): $(basename "$4")"
	SI_LOST_LAST_CHUNK=$((${SI_LOST_LAST_CHUNK:-0} + 1))
	return 0
}

# si_url PATH [HOST]: the origin URL for PATH.
si_url()
{
	echo "https://${2:-www.origin.test}:$ORIGIN_PORT$1"
}

# si_served_cert HOST: the leaf certificate a client sees for HOST through
# the proxy (PEM on stdout), fetched with openssl s_client over CONNECT.
# si_chromium_nssdb HOME: the NSS database under HOME, where Chromium
# looks, trusting the organization's root ($SI_ORG_ROOT).
si_chromium_nssdb()
{
	mkdir -p "$1/.pki/nssdb"
	certutil -N -d "sql:$1/.pki/nssdb" --empty-password || si_fail "certutil -N"
	certutil -A -d "sql:$1/.pki/nssdb" -n "sslinspect test org root" \
	    -t "C,," -a -i "$SI_ORG_ROOT" || si_fail "certutil -A"
}

# si_chromium_dom HOME PROFILE URL OUT ERR [SECONDS]: headless Chromium
# with HOME's NSS database and the profile directory PROFILE loads URL
# through the proxy (only: its background services are off) and dumps the
# DOM into OUT, its messages into ERR. It and all it started are killed
# after SECONDS (60).
si_chromium_dom()
{
	local pgid
	mkdir -p "$2"
	HOME=$1 setsid timeout -k 5 "${6:-60}" "${CHROMIUM:-/usr/bin/chromium}" \
	    --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
	    --disable-background-networking --disable-component-update \
	    --disable-sync --user-data-dir="$2" \
	    --proxy-server="http://127.0.0.1:$PROXY_PORT" \
	    --dump-dom "$3" > "$4" 2> "$5" &
	pgid=$!
	wait "$pgid" || true
	kill -KILL -- "-$pgid" 2>/dev/null || true
}

si_served_cert()
{
	openssl s_client -proxy "127.0.0.1:$PROXY_PORT" \
	    -connect "$1:$ORIGIN_PORT" -servername "$1" -showcerts \
	    < /dev/null 2>/dev/null | openssl x509 2>/dev/null
}

si_assert_eq()
{
	[ "$1" = "$2" ] || si_fail "${3:-values differ}: expected '$2', got '$1'"
}

# si_assert_match TEXT REGEX [WHAT]
si_assert_match()
{
	printf '%s' "$1" | grep -Eq -- "$2" ||
	    si_fail "${3:-no match}: '$2' not found in: $(printf '%s' "$1" | head -c 600)"
}

# si_wait_log FILE REGEX [WHAT [SECONDS]]: wait until a line of FILE
# matches REGEX (extended), at most SECONDS (default 10); fail the case
# with WHAT when none does. Logs are written after the answer that a
# client has already seen, so a check right after it would race.
si_wait_log()
{
	local file=$1 re=$2 what=${3:-log line} limit=${4:-10} i
	for i in $(seq 1 $((limit * 20))); do
		grep -Eq -- "$re" "$file" 2>/dev/null && return 0
		sleep 0.05
	done
	si_fail "$what: '$re' not in $file within ${limit}s: $(tail -n 5 "$file" 2>/dev/null | head -c 800)"
}

# si_wait_count FILE REGEX N [WHAT [SECONDS]]: wait until at least N lines
# of FILE match REGEX (extended), at most SECONDS (default 10); fail the
# case with WHAT when fewer do. The case then checks the exact count.
si_wait_count()
{
	local file=$1 re=$2 want=$3 what=${4:-log lines} limit=${5:-10} n=0 i
	for i in $(seq 1 $((limit * 20))); do
		n=$(grep -Ec -- "$re" "$file" 2>/dev/null || true)
		[ "${n:-0}" -ge "$want" ] && break
		sleep 0.05
	done
	[ "${n:-0}" -ge "$want" ] ||
	    si_fail "$what: $n of $want lines matching '$re' in $file within ${limit}s"
}

si_assert_nomatch()
{
	if printf '%s' "$1" | grep -Eq -- "$2"; then
		si_fail "${3:-unexpected match}: '$2' found"
	fi
}

# si_tls_log: the bump snippet's TLS decision log ($T/log/tls.log), one
# "HOST SNI DECISION CATEGORY MODE" line per record; fails the case when a
# line is not a JSON object with every field the snippet documents.
si_tls_log()
{
	[ -f "$T/log/tls.log" ] || return 0
	python3 -c '
import json, sys
keys = ["time", "client_ip", "user", "host", "port", "sni", "decision",
        "category", "mode", "bytes", "ms"]
for n, line in enumerate(sys.stdin, 1):
    rec = json.loads(line)
    missing = [k for k in keys if k not in rec]
    if missing or not isinstance(rec["bytes"], int):
        sys.exit("tls.log line %d: missing %s: %s" % (n, missing, line))
    print(rec["host"], rec["sni"], rec["decision"], rec["category"],
          rec["mode"])
' < "$T/log/tls.log" || si_fail "the TLS decision log is not what the snippet says"
}
