# Content-Encoding as browsers read it, through real Squid + c-icap
# (issue 12): header lines stacked or duplicated ("identity" then "br";
# "gzip", "br", "gzip"), a name that encodes nothing outside a real coding
# (ambiguous: Chrome stops there, Firefox skips it), codings the service
# cannot undo, "gzip, zstd" whose gzip stream is one header comment that
# never ends (2 GiB from a small body), and the false blocks of real
# servers: "Content-Encoding: none" and "UTF-8", and a 10 MB log that gzip
# shrinks a thousandfold. The origin is Python's http.server, which sends
# the lines a case asks for (pyorigin.py ?ce=).

. "$top_srcdir/tests/integration/corpus-lib.sh"

# cx_pack FILE CODINGS...: FILE.enc is FILE with the codings applied in
# order (g gzip, b brotli, z zstd); brotli through libbrotlienc, as no
# brotli tool is installed.
cx_pack()
{
	python3 - "$@" <<'PY'
import ctypes, ctypes.util, gzip, subprocess, sys
src, steps = sys.argv[1], sys.argv[2:]
data = open(src, "rb").read()
enc = ctypes.CDLL(ctypes.util.find_library("brotlienc") or "libbrotlienc.so.1")
for s in steps:
    if s == "g":
        data = gzip.compress(data)
    elif s == "z":
        data = subprocess.run(["zstd", "-q", "-c"], input=data, check=True,
                              stdout=subprocess.PIPE).stdout
    else:
        n = ctypes.c_size_t(len(data) + 1024)
        out = ctypes.create_string_buffer(n.value)
        if not enc.BrotliEncoderCompress(11, 22, 0, ctypes.c_size_t(len(data)),
                                         data, ctypes.byref(n), out):
            sys.exit("brotli failed")
        data = out.raw[:n.value]
open(src + ".enc", "wb").write(data)
PY
}

case_main()
{
	local py t0 t1 w
	cx_setup
	si_start_all
	si_pyorigin_start
	[ "$SI_ICAP_SERVICE" = sslinspect ] || si_fail "module not built"
	py=$PYORIGIN_PORT
	w=$T/www
	printf '%s' "$CX_EICAR" > "$w/eicar"
	printf 'Hello, this is a plain page of text.\n' > "$w/clean"
	cp "$w/eicar" "$w/e-b"; cx_pack "$w/e-b" b
	cp "$w/eicar" "$w/e-gbg"; cx_pack "$w/e-gbg" g b g
	cp "$w/eicar" "$w/e-g"; cx_pack "$w/e-g" g
	cp "$w/clean" "$w/c-g"; cx_pack "$w/c-g" g
	cp "$w/clean" "$w/c-gz"; cx_pack "$w/c-gz" g z
	# "gzip, zstd": a gzip header with FCOMMENT, then 2 GiB of comment.
	python3 -c 'import sys
sys.stdout.buffer.write(bytes([0x1f, 0x8b, 8, 0x10, 0, 0, 0, 0, 0, 3]))
a = b"a" * (1 << 20)
for i in range(2048):
    sys.stdout.buffer.write(a)' | zstd -q -1 -c > "$w/comment-bomb.enc"
	# A highly repetitive 10 MB log.
	python3 -c 'import sys
line = b"2026-12-04T10:00:00Z INFO worker[42]: heartbeat ok, queue empty\n"
sys.stdout.buffer.write(line * (10 * 1024 * 1024 // len(line)))' > "$w/app.log"
	cx_pack "$w/app.log" g
	chmod a+r "$w/"*

	cx_download "EICAR brotli'd, lines \"identity\" then \"br\"" block - \
	    "$(cx_url "$py" '/e-b.enc?ce=identity&ce=br')"
	cx_download "EICAR gzip+br+gzip, three lines" block - \
	    "$(cx_url "$py" '/e-gbg.enc?ce=gzip&ce=br&ce=gzip')"
	cx_download "EICAR gzip+br+gzip, one line \"gzip, br, gzip\"" block - \
	    "$(cx_url "$py" '/e-gbg.enc?ce=gzip,%20br,%20gzip')"
	cx_download "EICAR brotli'd, lines \"br\" then \"identity\" (ambiguous)" block - \
	    "$(cx_url "$py" '/e-b.enc?ce=br&ce=identity')"
	cx_download "EICAR gzipped, \"gzip, none\" (ambiguous)" block - \
	    "$(cx_url "$py" '/e-g.enc?ce=gzip,none')"
	cx_download "EICAR, \"Content-Encoding: none\"" block - "$(cx_url "$py" '/eicar?ce=none')"
	cx_download "EICAR, \"Content-Encoding: UTF-8\"" block - "$(cx_url "$py" '/eicar?ce=UTF-8')"
	cx_download "EICAR, \"Content-Encoding: compress\" (sent as is)" block - \
	    "$(cx_url "$py" '/eicar?ce=compress')"
	t0=$(date +%s)
	cx_download "\"gzip, zstd\": 2 GiB of gzip header comment" block - \
	    "$(cx_url "$py" '/comment-bomb.enc?ce=gzip,zstd')"
	t1=$(date +%s)
	[ $((t1 - t0)) -le 20 ] || si_fail "comment bomb took $((t1 - t0)) s"
	cx_download "clean text, unknown coding \"x-foo\" (fails closed)" block - \
	    "$(cx_url "$py" '/clean?ce=x-foo')"

	# The false blocks of issue 12 §3, and stacked codings done right.
	cx_download "clean text, \"Content-Encoding: none\"" pass "$w/clean" \
	    "$(cx_url "$py" '/clean?ce=none')"
	cx_download "clean text, \"Content-Encoding: UTF-8\"" pass "$w/clean" \
	    "$(cx_url "$py" '/clean?ce=UTF-8')"
	cx_download "clean text gzipped, lines \"utf-8\" then \"gzip\"" pass "$w/c-g.enc" \
	    "$(cx_url "$py" '/c-g.enc?ce=utf-8&ce=gzip')"
	cx_download "clean text, \"gzip, zstd\"" pass "$w/c-gz.enc" \
	    "$(cx_url "$py" '/c-gz.enc?ce=gzip,zstd')"
	cx_download "10 MB repetitive log, gzip-encoded ($(($(stat -c %s "$w/app.log") / $(stat -c %s "$w/app.log.enc"))):1)" \
	    pass "$w/app.log.enc" "$(cx_url "$py" '/app.log.enc?ce=gzip')"

	si_wait_log "$T/log/audit.log" '"path":"/e-b.enc\?ce=br&ce=identity".*"verdict":"block".*ambiguous content encoding' \
	    "ambiguous list audited with its reason"
	si_wait_log "$T/log/audit.log" '"path":"/comment-bomb.enc\?ce=gzip,zstd".*"verdict":"block".*decompression bomb' \
	    "the bomb is one"
	si_assert_nomatch "$(grep '/app.log.enc' "$T/log/audit.log")" '"verdict":"block"' \
	    "the log is not a bomb"
}
