# Card numbers in documents (issue 12), uploaded through real Squid +
# c-icap to nginx: a .docx whose number is cut into runs by formatting and
# spell checking, an .xlsx shared string in rich-text runs, an .odt with
# spans and a text:s space, a PDF whose page draws it with a kerned TJ
# array in a Flate stream, UTF-16 text with a byte order mark, UTF-16
# strings inside a binary; as multipart files and as raw bodies. Their
# text is extracted (libxml2, poppler) and scanned. The same documents
# without the number pass.

. "$top_srcdir/tests/integration/corpus-lib.sh"

case_main()
{
	local c=$top_srcdir/tests/corpus/detect t=$T/tmp f
	cx_setup
	si_start_all
	[ "$SI_ICAP_SERVICE" = sslinspect ] || si_fail "module not built"
	# Clean twins of the corpus documents: the number starts with 91, in
	# no issuer's range. The zips are rewritten member by member, the
	# PDF's Flate stream recompressed.
	python3 - "$c" "$t" <<'PY'
import os, re, sys, zipfile, zlib
src, out = sys.argv[1], sys.argv[2]
for name in ("docx-split-runs.docx", "xlsx-rich-text-runs.xlsx",
             "odt-spans.odt"):
    zin = zipfile.ZipFile(os.path.join(src, "credit_card--" + name))
    with zipfile.ZipFile(os.path.join(out, "clean-" + name), "w",
                         zipfile.ZIP_DEFLATED) as zout:
        for i in zin.infolist():
            zout.writestr(i, zin.read(i).replace(b"41", b"91"))
pdf = open(os.path.join(src, "credit_card--pdf-flate-tj-kerning.pdf"), "rb").read()
m = re.search(rb"stream\n(.*?)\nendstream", pdf, re.S)
text = zlib.decompress(m.group(1)).replace(b"41", b"91")
new = zlib.compress(text)
pdf = pdf.replace(m.group(1), new).replace(
    b"/Length %d " % len(m.group(1)), b"/Length %d " % len(new))
open(os.path.join(out, "clean.pdf"), "wb").write(pdf)
open(os.path.join(out, "clean-utf16.txt"), "wb").write(
    "\ufeffNo card on file, order 2024-11-03\r\n".encode("utf-16-le"))
PY

	for f in docx-split-runs.docx xlsx-rich-text-runs.xlsx odt-spans.odt \
	    pdf-flate-tj-kerning.pdf utf16le-bom.txt utf16-strings-in-binary.bin; do
		cx_upload "card in $f (multipart)" block -F "file=@$c/credit_card--$f" \
		    "$(si_url /upload)"
		cx_upload "card in $f (raw body)" block \
		    -H "Content-Type: application/octet-stream" \
		    --data-binary "@$c/credit_card--$f" "$(si_url /upload)"
	done
	for f in clean-docx-split-runs.docx clean-xlsx-rich-text-runs.xlsx \
	    clean-odt-spans.odt clean.pdf clean-utf16.txt; do
		cx_upload "$f (multipart)" pass -F "file=@$t/$f" "$(si_url /upload)"
	done

	si_wait_log "$T/log/audit.log" '"verdict":"block".*credit_card' \
	    "document blocks audited as card findings"
}
