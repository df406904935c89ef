# Test PKI for the integration harness and the demo, sourced by lib.sh.
#
# Two separate worlds, as in production:
#  - a stand-in "public web" CA that signs the origin server certificates;
#    Squid trusts it through tls_outgoing_options cafile=;
#  - the organization's CA (root, intermediate) that Squid's bump certificates
#    chain to; clients trust its root.

# si_pki_web NAME...: web root in $T/pki/web-root.pem, and one origin
# certificate per call of si_pki_origin.
si_pki_web()
{
	local d=$T/pki
	mkdir -p "$d"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$d/web-root.key" -out "$d/web-root.pem" -days 30 \
	    -subj "/O=sslinspect test web PKI/CN=Test Web Root" \
	    -addext basicConstraints=critical,CA:TRUE \
	    -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
}

# si_pki_origin NAME SAN...: origin certificate $T/pki/NAME.{pem,key}
# signed by the web root, with the given SAN entries (DNS:x, IP:y).
si_pki_origin()
{
	local d=$T/pki name=$1 san
	shift
	san=$(printf '%s,' "$@")
	san=${san%,}
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$d/$name.key" -out "$d/$name.csr" \
	    -subj "/O=Origin $name/CN=${1#*:}" 2>/dev/null
	printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=%s\n' \
	    "$san" > "$d/$name.ext"
	openssl x509 -req -in "$d/$name.csr" -CA "$d/web-root.pem" \
	    -CAkey "$d/web-root.key" -CAcreateserial -days 20 -sha256 \
	    -extfile "$d/$name.ext" -out "$d/$name.pem" 2>/dev/null
}

# si_pki_org: the organization's root and intermediate, and the Squid
# bundle (signing cert + key + chain) in $T/ca/squid-bundle.pem, readable by
# the proxy user only; SI_ORG_ROOT is the root certificate clients trust.
# Built with sslinspect-ca (demo-init, then rotate) when it has been built,
# else (or with SI_PKI_OPENSSL=1) with the openssl command.
si_pki_org()
{
	local ca=$T/ca tool=$top_builddir/cert_helper/sslinspect-ca
	# Not "${SI_CRL_URL:-...{ca}.crl}": the brace of {ca} would end the
	# expansion and append ".crl}" to the URL.
	local crl_url='http://crl.sslinspect.test/{ca}.crl'
	[ -n "${SI_CRL_URL:-}" ] && crl_url=$SI_CRL_URL
	mkdir -p "$ca"
	if [ -x "$tool" ] && [ -z "${SI_PKI_OPENSSL:-}" ]; then
		"$tool" -d "$ca" demo-init --org "sslinspect test org" \
		    --crl-url "$crl_url" \
		    --squid-user proxy >/dev/null &&
		"$tool" -d "$ca" rotate >/dev/null || return 1
		SI_ORG_ROOT=$ca/root.pem
	else
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		    -nodes -keyout "$ca/root.key" -out "$ca/root.pem" -days 30 \
		    -subj "/O=sslinspect test org/CN=Test Org Root" \
		    -addext basicConstraints=critical,CA:TRUE \
		    -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		    -nodes -keyout "$ca/int.key" -out "$ca/int.csr" \
		    -subj "/O=sslinspect test org/CN=Test Org Inspection CA" 2>/dev/null
		printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' \
		    > "$ca/int.ext"
		openssl x509 -req -in "$ca/int.csr" -CA "$ca/root.pem" \
		    -CAkey "$ca/root.key" -CAcreateserial -days 20 -sha256 \
		    -extfile "$ca/int.ext" -out "$ca/int.pem" 2>/dev/null
		cat "$ca/int.pem" "$ca/int.key" "$ca/root.pem" > "$ca/squid-bundle.pem"
		SI_ORG_ROOT=$ca/root.pem
	fi
	si_own proxy "$ca/squid-bundle.pem"
	chmod 0600 "$ca/squid-bundle.pem"
}

# si_crl_start: nginx on 127.0.0.1:$CRL_PORT (set it with si_port first,
# the CRL URL must be known before the CA exists) with the shipped CRL
# publication snippet, serving $T/ca/crl.
si_crl_start()
{
	si_start_retry crl-nginx CRL_PORT fixed si_crl_try
}

si_crl_try()
{
	local user=""
	mkdir -p "$T/crlweb"
	: > "$T/log/crl-error.log"
	[ "$(id -u)" = 0 ] && user="user www-data;"
	sed -e "s|^\tlisten 80;|\tlisten 127.0.0.1:$CRL_PORT;|" \
	    -e '/listen \[::\]:80;/d' \
	    -e "s|^\troot .*;|\troot $T/ca/crl;|" \
	    -e "s|^\taccess_log .*;|\taccess_log $T/log/crl-access.log;|" \
	    "$top_srcdir/dist/nginx/sslinspect-crl.conf" > "$T/crlweb/site.conf"
	cat > "$T/crlweb/nginx.conf" <<NGX
$user
worker_processes 1;
pid $T/run/crl-nginx.pid;
error_log $T/log/crl-error.log warn;
events { worker_connections 64; }
http {
	client_body_temp_path $T/crlweb/body;
	proxy_temp_path $T/crlweb/proxy;
	fastcgi_temp_path $T/crlweb/fastcgi;
	uwsgi_temp_path $T/crlweb/uwsgi;
	scgi_temp_path $T/crlweb/scgi;
	include $T/crlweb/site.conf;
}
NGX
	si_spawn crl-nginx "$NGINX" -e "$T/log/crl-error.log" -p "$T/crlweb" \
	    -c "$T/crlweb/nginx.conf" -g 'daemon off;'
	si_wait_listen "$CRL_PORT" crl-nginx 30 "$T/log/crl-error.log"
}
