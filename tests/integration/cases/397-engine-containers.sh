# Containers the engines once did not open or recognize (issue 12),
# through real Squid + c-icap to nginx: EICAR downloaded in a .deb, a
# .tar.lzma, a zip inside a tar, a zip appended to a PNG and to an MZ stub
# (a self-extractor), gzip with a 100 KB header comment or a 60 KB extra
# field, gzip, xz and bzip2 after NUL padding, a gzipped disk image that
# starts with zeros (libarchive once read it as an empty tar), a mail
# message with a base64 zip attached, and a 1 GB gzip bomb served as a
# file; a card number uploaded in the same containers (the detection
# corpus' own files, .tar.lz4 among them). The same containers without a
# payload pass byte for byte, and so does a 10 MB repetitive log zipped
# several hundredfold (once blocked as a ratio bomb).

. "$top_srcdir/tests/integration/corpus-lib.sh"

case_main()
{
	local w=$T/www c=$top_srcdir/tests/corpus/detect f t0 t1
	cx_setup
	si_start_all
	[ "$SI_ICAP_SERVICE" = sslinspect ] || si_fail "module not built"
	# Each container twice: with EICAR (e-*) and with harmless text (c-*).
	python3 - "$w" "$CX_EICAR" <<'PY'
import bz2, gzip, io, lzma, os, struct, sys, tarfile, zipfile, zlib
w, eicar = sys.argv[1], sys.argv[2].encode()

def tar(name, data):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w", format=tarfile.USTAR_FORMAT) as t:
        i = tarfile.TarInfo(name)
        i.size = len(data)
        t.addfile(i, io.BytesIO(data))
    return b.getvalue()

def zipped(name, data):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(name, data)
    return b.getvalue()

def ar(members):
    out = b"!<arch>\n"
    for name, data in members:
        out += b"%-16s%-12d%-6d%-6d%-8s%-10d`\n" % (name.encode(), 0, 0, 0,
                                                   b"100644", len(data))
        out += data + (b"\n" if len(data) % 2 else b"")
    return out

def gz(data, flags=0, extra=b"", comment=b""):
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    body = c.compress(data) + c.flush()
    head = b"\x1f\x8b\x08" + bytes([flags]) + b"\0\0\0\0\0\x03"
    if flags & 4:
        head += struct.pack("<H", len(extra)) + extra
    if flags & 16:
        head += comment + b"\0"
    return head + body + struct.pack("<II", zlib.crc32(data), len(data))

png = (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20)
mz = b"MZ\x90\x00\x03\x00\x00\x00" + bytes((i * 7) % 251 for i in range(12000))

def mail(att):
    import base64
    b64 = base64.encodebytes(att).decode().replace("\n", "\r\n")
    return ("From: a@example.test\r\nTo: b@example.test\r\nSubject: files\r\n"
            "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n"
            "\r\n--b\r\nContent-Type: text/plain\r\n\r\nAttached.\r\n--b\r\n"
            "Content-Type: application/zip\r\nContent-Transfer-Encoding: base64\r\n"
            "Content-Disposition: attachment; filename=\"files.zip\"\r\n\r\n"
            + b64 + "--b--\r\n").encode()

for tag, payload in (("e", eicar), ("c", b"just some harmless text\n")):
    files = {
        "deb.deb": ar([("debian-binary", b"2.0\n"),
                       ("control.tar.xz", lzma.compress(tar("control", b"x\n"))),
                       ("data.tar.xz", lzma.compress(tar("usr/bin/tool", payload)))]),
        "tar.lzma": lzma.compress(tar("f", payload), format=lzma.FORMAT_ALONE),
        "zip-in-tar.tar": tar("x.zip", zipped("f", payload)),
        "zip-after.png": png + zipped("f", payload),
        "sfx.exe": mz + zipped("f", payload),
        "comment.gz": gz(payload, 16, comment=b"C" * 100000),
        "extra.gz": gz(payload, 4, extra=b"E" * 60000),
        "pad-gz.bin": b"\0" * 8192 + gz(payload),
        "pad-xz.bin": b"\0" * 8192 + lzma.compress(payload),
        "pad-bz2.bin": b"\0" * 8192 + bz2.compress(payload),
        "disk.img.gz": gz(b"\0" * 65536 + payload + b"\0" * 4096),
        "mail.eml": mail(zipped("f", payload)),
    }
    for name, data in files.items():
        open(os.path.join(w, tag + "-" + name), "wb").write(data)
# 1 GB of zeros, gzipped: about a megabyte.
with gzip.open(os.path.join(w, "bomb.img.gz"), "wb", 9) as f:
    z = b"\0" * (1 << 20)
    for _ in range(1024):
        f.write(z)
# A highly repetitive 10 MB log, zipped.
line = b"2026-12-04T10:00:00Z INFO worker[42]: heartbeat ok, queue empty\n"
with zipfile.ZipFile(os.path.join(w, "app-log.zip"), "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("app.log", line * (10 * 1024 * 1024 // len(line)))
PY
	chmod a+r "$w/"*

	for f in deb.deb tar.lzma zip-in-tar.tar zip-after.png sfx.exe comment.gz \
	    extra.gz pad-gz.bin pad-xz.bin pad-bz2.bin disk.img.gz mail.eml; do
		cx_download "EICAR in $f" block - "$(si_url "/e-$f")"
		cx_download "clean $f" pass "$w/c-$f" "$(si_url "/c-$f")"
	done
	t0=$(date +%s)
	cx_download "1 GB gzip bomb served as a file ($(stat -c %s "$w/bomb.img.gz") bytes)" \
	    block - "$(si_url /bomb.img.gz)"
	t1=$(date +%s)
	[ $((t1 - t0)) -le 20 ] || si_fail "the gzip bomb took $((t1 - t0)) s"
	cx_download "10 MB repetitive log zipped ($((10485760 / $(stat -c %s "$w/app-log.zip"))):1)" \
	    pass "$w/app-log.zip" "$(si_url /app-log.zip)"

	# Uploads: the card-bearing containers of the detection corpus.
	for f in tar-lz4.tar.lz4 tar-lzma.tar.lzma deb-package.deb zip-in-tar.tar \
	    zip-appended-to-png.png zip-self-extractor.exe gzip-long-comment.gz \
	    gzip-long-extra.gz gzip-after-nul-padding.bin xz-after-nul-padding.bin \
	    bzip2-after-nul-padding.bin gzip-disk-image.img.gz tar-v7-no-magic.tar \
	    eml-base64-attachments.eml eml-nested-quoted-printable.eml; do
		cx_upload "card in $f (multipart)" block -F "file=@$c/credit_card--$f" \
		    "$(si_url /upload)"
	done
	cx_upload "card in a .tar.lz4 (raw body)" block -H "Content-Type: application/x-lz4" \
	    --data-binary "@$c/credit_card--tar-lz4.tar.lz4" "$(si_url /upload)"
	cx_upload "clean .deb upload" pass -F "file=@$w/c-deb.deb" "$(si_url /upload)"
	cx_upload "clean zip after a PNG upload" pass -F "file=@$w/c-zip-after.png" \
	    "$(si_url /upload)"

	si_wait_log "$T/log/audit.log" '"path":"/e-zip-after.png".*"verdict":"block"' \
	    "the zip after a PNG audited as a block"
	si_assert_nomatch "$(grep '/app-log.zip' "$T/log/audit.log")" '"verdict":"block"' \
	    "the log is no ratio bomb"
}
