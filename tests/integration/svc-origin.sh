# Helpers shared by the srv_sslinspect integration cases (sourced by a
# case file): origin behaviour the harness's nginx lacks, and c-icap's
# per-request log of what Squid offered and what the service answered.

# svc_origin_add DIRECTIVES PATH PATTERN [CURL ARGS]: add nginx directives
# to the origin's server block, reload it and wait until a direct fetch of
# PATH shows a response header matching PATTERN (a case glob).
svc_origin_add()
{
	local add=$1 path=$2 pattern=$3 i h
	shift 3
	sed -i "s|^\t\troot \(.*\);$|\t\troot \1;\n\t\t$add|" "$T/origin/nginx.conf"
	grep -qF "$add" "$T/origin/nginx.conf" || si_fail "origin configuration"
	"$NGINX" -p "$T/origin" -c "$T/origin/nginx.conf" -s reload 2>/dev/null ||
	    si_fail "origin reload"
	for i in $(seq 1 50); do
		h=$(curl -sS -o /dev/null -D - --max-time 5 "$@" \
		    --cacert "$T/pki/web-root.pem" \
		    --resolve "www.origin.test:$ORIGIN_PORT:127.0.0.1" \
		    "$(si_url "$path")" 2>/dev/null || true)
		# shellcheck disable=SC2254
		case $h in *$pattern*) return 0 ;; esac
		sleep 0.1
	done
	si_fail "origin does not send $pattern"
}

# svc_origin_gzip PATH: the origin compresses text/plain on the fly (gzip,
# chunked), also for requests through a proxy; PATH is a .txt file.
svc_origin_gzip()
{
	svc_origin_add "gzip on; gzip_proxied any; gzip_min_length 1; gzip_types text/plain;" \
	    "$1" "[Cc]ontent-[Ee]ncoding: gzip" --compressed
}

# svc_shapes_conf: c-icap configuration lines for a log of one line per
# ICAP request: method, status, the X-Shape header curl sent, Squid's
# Allow and Preview headers and the body bytes c-icap sent back.
svc_shapes_conf()
{
	touch "$T/log/icap-shapes.log"
	si_own c-icap "$T/log/icap-shapes.log"
	printf '%s\n' "LogFormat si_shapes \"%im %is shape=%{X-Shape}>ho allow=%{Allow}>ih preview=%{Preview}>ih out=%Ob\"" \
	    "AccessLog $T/log/icap-shapes.log si_shapes"
}

# svc_shape METHOD SHAPE: the log line of the REQMOD or RESPMOD of the
# request curl marked SHAPE.
svc_shape()
{
	grep "^$1 [0-9]* shape=$2 " "$T/log/icap-shapes.log" | tail -n 1
}
