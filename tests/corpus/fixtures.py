#!/usr/bin/env python3
"""Write the generated files of the corpora. Detection: the binary files
of tests/corpus/detect/<finding>--<what>.<ext>, each hiding the card
number 4111 1111 1111 1111 (a test number) in a shape the engines must
see through: a container, a document format or an encoding. Benign:
tests/corpus/benign/ look-alikes of the widened number shapes (tables,
dates, versions, identifiers; random, so some pass the Luhn check) and
200 random 16-digit order ids. The files are committed; run this again
only to change them (the random ones come from a fixed seed).

    python3 tests/corpus/fixtures.py [detect-dir [benign-dir]]
"""
import bz2
import gzip
import io
import lzma
import os
import random
import struct
import subprocess
import sys
import tarfile
import time
import zipfile
import zlib

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "detect")
BENIGN = sys.argv[2] if len(sys.argv) > 2 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "benign")
CARD = b"Card on file: 4111 1111 1111 1111\n"
MTIME = 1700000000


def put(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def tar(members, fmt=tarfile.USTAR_FORMAT):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as t:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = MTIME
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def zipped(members, method=zipfile.ZIP_DEFLATED):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as z:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 2, 3, 4, 5))
            info.compress_type = method
            z.writestr(info, data)
    return buf.getvalue()


def gz(data, flags=0, extra=b"", comment=b""):
    body = zlib.compressobj(6, zlib.DEFLATED, -15)
    deflated = body.compress(data) + body.flush()
    head = b"\x1f\x8b\x08" + bytes([flags]) + struct.pack("<I", MTIME) + b"\x00\x03"
    if flags & 4:
        head += struct.pack("<H", len(extra)) + extra
    if flags & 16:
        head += comment + b"\x00"
    return head + deflated + struct.pack("<II", zlib.crc32(data), len(data))


def ar(members):
    out = b"!<arch>\n"
    for name, data in members:
        out += b"%-16s%-12d%-6d%-6d%-8s%-10d`\n" % (
            name.encode(), MTIME, 0, 0, b"100644", len(data))
        out += data + (b"\n" if len(data) % 2 else b"")
    return out


def v7_tar(name, data):
    """A tar header without the ustar magic, as v7 tar wrote it."""
    h = bytearray(512)
    h[0:len(name)] = name.encode()
    h[100:108] = b"0000644\x00"
    h[108:116] = b"0000000\x00"
    h[116:124] = b"0000000\x00"
    h[124:136] = b"%011o\x00" % len(data)
    h[136:148] = b"%011o\x00" % MTIME
    h[156] = ord("0")
    h[148:156] = b" " * 8
    h[148:156] = b"%06o\x00 " % sum(h)
    pad = (512 - len(data) % 512) % 512
    return bytes(h) + data + b"\x00" * pad + b"\x00" * 1024


def png():
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data)))
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) +
            chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b""))


def mz_stub():
    """A DOS stub like a self-extractor's, then filler for its code."""
    head = bytearray(b"MZ" + b"\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff")
    head += b"\x00" * (0x3c - len(head)) + struct.pack("<I", 0x80)
    head += b"\x00" * (0x80 - len(head))
    head += b"This program cannot be run in DOS mode.\r\r\n$"
    return bytes(head) + bytes((i * 7 + 3) % 251 for i in range(12000))


def pdf():
    """One page whose text is drawn with a kerned TJ array, Flate-encoded."""
    content = (b"BT /F1 12 Tf 72 700 Td "
               b"[(Card on file: 41)-20(11 11)15(11 1111 11)-10(11)] TJ ET\n")
    stream = zlib.compress(content)
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) +
        stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica "
        b"/Encoding /WinAnsiEncoding >>",
    ]
    out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
    offsets = []
    for i, o in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objs) + 1, xref)
    return out


def docx():
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    doc = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           '<w:document xmlns:w="%s"><w:body><w:p>'
           '<w:r><w:t xml:space="preserve">Card on file: 4111 11</w:t></w:r>'
           '<w:proofErr w:type="spellStart"/>'
           '<w:r><w:rPr><w:b/></w:rPr><w:t>11 1111 </w:t></w:r>'
           '<w:r><w:t>1111</w:t></w:r>'
           '</w:p></w:body></w:document>' % w)
    types = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns='
             '"http://schemas.openxmlformats.org/package/2006/content-types"/>')
    return zipped([("[Content_Types].xml", types), ("word/document.xml", doc)])


def xlsx():
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    strings = ('<?xml version="1.0" encoding="UTF-8"?>'
               '<sst xmlns="%s" count="2" uniqueCount="2">'
               '<si><t>Card</t></si>'
               '<si><r><t>4111 1111</t></r><r><rPr><b/></rPr>'
               '<t xml:space="preserve"> 1111 </t></r><r><t>1111</t></r></si>'
               '</sst>' % ns)
    sheet = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="%s">'
             '<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c>'
             '<c r="B1" t="s"><v>1</v></c></row></sheetData></worksheet>' % ns)
    types = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns='
             '"http://schemas.openxmlformats.org/package/2006/content-types"/>')
    return zipped([("[Content_Types].xml", types),
                   ("xl/sharedStrings.xml", strings),
                   ("xl/worksheets/sheet1.xml", sheet)])


def odt():
    content = ('<?xml version="1.0" encoding="UTF-8"?>'
               '<office:document-content '
               'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0">'
               '<office:body><office:text><text:p>Card on file: '
               '<text:span>4111 1111</text:span><text:s/>1111'
               '<text:span> 1111</text:span></text:p></office:text></office:body>'
               '</office:document-content>')
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype", (2024, 1, 2, 3, 4, 5)),
                   "application/vnd.oasis.opendocument.text")
        info = zipfile.ZipInfo("content.xml", (2024, 1, 2, 3, 4, 5))
        info.compress_type = zipfile.ZIP_DEFLATED
        z.writestr(info, content)
    return buf.getvalue()


def eml_base64():
    import base64
    att = base64.encodebytes(CARD).decode()
    zipatt = base64.encodebytes(zipped([("card.txt", CARD)])).decode()
    return ("From: a@example.test\r\nTo: b@example.test\r\n"
            "Subject: records\r\nDate: Tue, 2 Jan 2024 03:04:05 +0000\r\n"
            "MIME-Version: 1.0\r\n"
            'Content-Type: multipart/mixed; boundary="=_b1"\r\n\r\n'
            "This is a multi-part message in MIME format.\r\n"
            "--=_b1\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n"
            "--=_b1\r\nContent-Type: text/plain; name=\"record.txt\"\r\n"
            "Content-Transfer-Encoding: base64\r\n"
            "Content-Disposition: attachment; filename=\"record.txt\"\r\n\r\n"
            + att.replace("\n", "\r\n") +
            "--=_b1\r\nContent-Type: application/zip\r\n"
            "Content-Transfer-Encoding: base64\r\n"
            "Content-Disposition: attachment; filename=\"records.zip\"\r\n\r\n"
            + zipatt.replace("\n", "\r\n") +
            "--=_b1--\r\n").encode()


def eml_qp_nested():
    return ("From: a@example.test\r\nTo: b@example.test\r\nSubject: hi\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: multipart/mixed; boundary=outer\r\n\r\n"
            "--outer\r\n"
            "Content-Type: multipart/alternative; boundary=\"inner\"\r\n\r\n"
            "--inner\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
            "Card on file: 4111 11=\r\n11 1111 =31111\r\n"
            "--inner\r\nContent-Type: text/html\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n"
            "PHA+aGVsbG88L3A+\r\n"
            "--inner--\r\n--outer--\r\n").encode()


def utf16_binary():
    text = "Card number 4111 1111 1111 1111".encode("utf-16-le")
    noise = bytes((i * 13 + 7) % 256 for i in range(3000))
    return b"\x01\x00\xfe\xca" + noise + text + noise


def luhn_ok(digits):
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def lookalikes(rnd):
    """Numbers in the shapes the card patterns were widened to, as real
    data writes them: none is a card, some pass Luhn by chance."""
    def digits(n):
        return "".join(rnd.choice("0123456789") for _ in range(n))
    out = ["Look-alikes of the widened card shapes; none of these is a card.",
           ""]
    out.append("Quarterly figures (tab separated)")
    out.append("year\tq1\tq2\tq3\tq4")
    for _ in range(150):
        out.append("\t".join([str(rnd.randint(1990, 2030))] +
                             [digits(4) for _ in range(4)]))
    out.append("")
    out.append("Sensor log")
    for _ in range(150):
        out.append("%s.%s.%s %s.%s.%s node %s.%s.%s.%s reading %s.%s" % (
            digits(2), digits(2), digits(4), digits(2), digits(2), digits(2),
            rnd.randint(1, 254), rnd.randint(0, 255), rnd.randint(0, 255),
            rnd.randint(1, 254), digits(4), digits(4)))
    out.append("")
    out.append("Shipments")
    for _ in range(150):
        out.append("%s/%s/%s  tracking %s %s %s %s  parcel %s-%s-%s-%s" % (
            digits(4), digits(2), digits(2), digits(4), digits(4), digits(4),
            digits(4), digits(4), digits(4), digits(4), digits(2)))
    out.append("")
    out.append("EAN-13 of the catalogue")
    for _ in range(200):
        out.append("%s%s" % (rnd.choice(["40", "41", "42", "43", "44"]),
                             digits(11)))
    out.append("")
    out.append("Event ids (64-bit)")
    for _ in range(200):
        out.append("{\"id\": %s, \"parent\": %s}" % (
            str(rnd.randint(10**17, 2**63 - 1)),
            str(rnd.randint(10**17, 2**63 - 1))))
    out.append("")
    out.append("Commits")
    for _ in range(200):
        out.append("commit %040x" % rnd.getrandbits(160))
    out.append("")
    out.append("Amounts (French: no-break space between thousands)")
    for _ in range(150):
        out.append("Total\u00a0: %s\u00a0%s\u00a0%s,%s \u20ac" % (
            rnd.randint(1, 999), digits(3), digits(3), digits(2)))
    out.append("")
    out.append("ISBNs")
    for _ in range(150):
        out.append("978-%s-%s-%s-%s" % (digits(1), digits(3), digits(5),
                                         digits(1)))
    out.append("")
    out.append("Phone numbers")
    for _ in range(150):
        out.append("+49 %s %s %s  or  %s.%s.%s" % (digits(3), digits(4),
                   digits(4), digits(3), digits(3), digits(4)))
    return ("\n".join(out) + "\n").encode()


def order_ids(rnd):
    """200 random 16-digit order ids, one a line (the issue's trial)."""
    ids = ["%016d" % rnd.randrange(10**15, 10**16) for _ in range(200)]
    return ("\n".join(ids) + "\n").encode()


def main():
    os.makedirs(OUT, exist_ok=True)
    rnd = random.Random(12)
    with open(os.path.join(BENIGN, "number-shapes-lookalikes.txt"), "wb") as f:
        f.write(lookalikes(rnd))
    with open(os.path.join(BENIGN, "order-ids.txt"), "wb") as f:
        f.write(order_ids(rnd))
    card_tar = tar([("records/card.txt", CARD)])
    lz4 = subprocess.run(["lz4", "-q", "-c"], input=card_tar,
                         stdout=subprocess.PIPE, check=True).stdout
    put("credit_card--tar-lz4.tar.lz4", lz4)
    put("credit_card--tar-lzma.tar.lzma",
        lzma.compress(card_tar, format=lzma.FORMAT_ALONE))
    control = lzma.compress(tar([("./control", b"Package: demo\n")]))
    data = lzma.compress(tar([("./usr/share/doc/demo/records.txt", CARD)]))
    put("credit_card--deb-package.deb",
        ar([("debian-binary", b"2.0\n"), ("control.tar.xz", control),
            ("data.tar.xz", data)]))
    put("credit_card--zip-in-tar.tar",
        tar([("export/records.zip", zipped([("card.txt", CARD)]))]))
    put("credit_card--tar-v7-no-magic.tar", v7_tar("card.txt", CARD))
    inner = zipped([("card.txt", CARD)])
    put("credit_card--zip-appended-to-png.png", png() + inner)
    put("credit_card--zip-self-extractor.exe", mz_stub() + inner)
    put("credit_card--gzip-long-comment.gz",
        gz(CARD, 16, comment=b"C" * 100000))
    put("credit_card--gzip-long-extra.gz", gz(CARD, 4, extra=b"E" * 60000))
    put("credit_card--gzip-after-nul-padding.bin", b"\x00" * 8192 + gz(CARD))
    put("credit_card--xz-after-nul-padding.bin",
        b"\x00" * 8192 + lzma.compress(CARD))
    put("credit_card--bzip2-after-nul-padding.bin",
        b"\x00" * 8192 + bz2.compress(CARD))
    put("credit_card--gzip-disk-image.img.gz",
        gz(b"\x00" * 65536 + CARD + b"\x00" * 65536))
    put("credit_card--eml-base64-attachments.eml", eml_base64())
    put("credit_card--eml-nested-quoted-printable.eml", eml_qp_nested())
    put("credit_card--docx-split-runs.docx", docx())
    put("credit_card--xlsx-rich-text-runs.xlsx", xlsx())
    put("credit_card--odt-spans.odt", odt())
    put("credit_card--pdf-flate-tj-kerning.pdf", pdf())
    put("credit_card--utf16le-bom.txt",
        "\ufeffCard on file: 4111 1111 1111 1111\r\n".encode("utf-16-le"))
    put("credit_card--utf16-strings-in-binary.bin", utf16_binary())


if __name__ == "__main__":
    main()
