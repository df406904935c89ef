#!/usr/bin/env python3
"""Certificates for the certverify test origins: certverify-pki.py DIR
HTTP_PORT OCSP_PORT SILENT_PORT [PORT,...] (SILENT_PORT takes connections
and never answers: the OCSP responder of the ocsptimeout origins; each
further PORT is another such responder, named by the origins sK-1.test to
sK-4.test, K counting the ports from 0). Writes web-root.{pem,key} (the
trusted test root), an intermediate, one NAME.pem/NAME.key per origin (the chain nginx serves),
root.crl (revoking crlrevoked.test), int.der (the intermediate, fetched by
AIA) and index.txt for "openssl ocsp" (revoking ocsprevoked.test)."""
import datetime as dt
import subprocess
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

d, http_port, ocsp_port, silent_port = sys.argv[1:5]
more_silent = sys.argv[5].split(",") if len(sys.argv) > 5 else []
now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
day = dt.timedelta(days=1)


def key(kind="ec"):
    if kind == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    return rsa.generate_private_key(65537, int(kind))


def name(cn):
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME,
                                         "sslinspect test web PKI"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def ca(cn, k, issuer=None, ikey=None, aia=None):
    b = (x509.CertificateBuilder().subject_name(name(cn))
         .issuer_name(issuer.subject if issuer else name(cn))
         .public_key(k.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(now - day).not_valid_after(now + 30 * day)
         .add_extension(x509.BasicConstraints(True, None), True)
         .add_extension(x509.KeyUsage(True, False, False, False, False, True,
                                      True, False, False), True)
         .add_extension(x509.SubjectKeyIdentifier.from_public_key(
             k.public_key()), False))
    return b.sign(ikey or k, hashes.SHA256())


def leaf(cn, k, issuer, ikey, sans=None, nb=None, na=None, md=None,
         crl=None, ocsp=None, ca_issuers=None, self_signed=False):
    b = (x509.CertificateBuilder().subject_name(name(cn))
         .issuer_name(name(cn) if self_signed else issuer.subject)
         .public_key(k.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(nb or now - day).not_valid_after(na or now + 20 * day)
         .add_extension(x509.BasicConstraints(False, None), True)
         .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                        False)
         .add_extension(x509.SubjectAlternativeName(
             [x509.DNSName(s) for s in (sans or [cn])]), False))
    if crl:
        b = b.add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
            [x509.UniformResourceIdentifier(crl)], None, None, None)]), False)
    acc = []
    if ocsp:
        acc.append(x509.AccessDescription(x509.AuthorityInformationAccessOID.OCSP,
                                          x509.UniformResourceIdentifier(ocsp)))
    if ca_issuers:
        acc.append(x509.AccessDescription(
            x509.AuthorityInformationAccessOID.CA_ISSUERS,
            x509.UniformResourceIdentifier(ca_issuers)))
    if acc:
        b = b.add_extension(x509.AuthorityInformationAccess(acc), False)
    return b.sign(k if self_signed else ikey, md or hashes.SHA256())


def pem(c):
    return c.public_bytes(serialization.Encoding.PEM)


def write(fname, data):
    with open(f"{d}/{fname}", "wb") as f:
        f.write(data)


def keypem(k):
    return k.private_bytes(serialization.Encoding.PEM,
                           serialization.PrivateFormat.PKCS8,
                           serialization.NoEncryption())


rk = key()
root = ca("Test Web Root", rk)
write("web-root.pem", pem(root))
write("web-root.key", keypem(rk))
ik = key()
inter = ca("Test Web Issuing CA", ik, root, rk)
write("int.der", inter.public_bytes(serialization.Encoding.DER))
uk = key()
unknown_root = ca("Unknown Root", uk)

crl_url = f"http://127.0.0.1:{http_port}/root.crl"
ocsp_url = f"http://127.0.0.1:{ocsp_port}"
origins = {
    "good.test": dict(),
    "expired.test": dict(nb=now - 40 * day, na=now - 10 * day),
    "allowed.test": dict(nb=now - 40 * day, na=now - 10 * day),
    "notyet.test": dict(nb=now + 10 * day, na=now + 40 * day),
    "self.test": dict(self_signed=True),
    "unknown.test": dict(issuer=unknown_root, ikey=uk),
    "wronghost.test": dict(sans=["other.test"]),
    "crlrevoked.test": dict(crl=crl_url),
    "crlgood.test": dict(crl=crl_url),
    "crlunknown.test": dict(crl=f"http://127.0.0.1:{http_port}/missing.crl"),
    "ocsprevoked.test": dict(ocsp=ocsp_url),
    "ocspgood.test": dict(ocsp=ocsp_url),
    "ocsptimeout.test": dict(ocsp=f"http://127.0.0.1:{silent_port}"),
    "ocsptimeout-allowed.test": dict(ocsp=f"http://127.0.0.1:{silent_port}"),
    "rsa1024.test": dict(kind="1024"),
    "noint.test": dict(issuer=inter, ikey=ik,
                       ca_issuers=f"http://127.0.0.1:{http_port}/int.der"),
}
for k, port in enumerate(more_silent):
    for m in range(1, 5):
        origins[f"s{k}-{m}.test"] = dict(ocsp=f"http://127.0.0.1:{port}")
certs = {}
for cn, o in origins.items():
    k = key(o.pop("kind", "ec"))
    issuer = o.pop("issuer", root)
    ikey = o.pop("ikey", rk)
    c = leaf(cn, k, issuer, ikey, **o)
    certs[cn] = c
    write(f"{cn}.pem", pem(c))     # the leaf alone: noint.test's is incomplete
    write(f"{cn}.key", keypem(k))

# cryptography refuses to sign with SHA-1; openssl does not.
subprocess.run(["openssl", "req", "-new", "-newkey", "rsa:2048", "-nodes",
                "-keyout", f"{d}/sha1.test.key", "-out", f"{d}/sha1.test.csr",
                "-subj", "/O=sslinspect test web PKI/CN=sha1.test"],
               check=True, capture_output=True)
with open(f"{d}/sha1.test.ext", "w") as f:
    f.write("basicConstraints=critical,CA:FALSE\n"
            "extendedKeyUsage=serverAuth\nsubjectAltName=DNS:sha1.test\n")
subprocess.run(["openssl", "x509", "-req", "-in", f"{d}/sha1.test.csr",
                "-CA", f"{d}/web-root.pem", "-CAkey", f"{d}/web-root.key",
                "-set_serial", "4242", "-days", "20", "-sha1",
                "-extfile", f"{d}/sha1.test.ext", "-out", f"{d}/sha1.test.pem"],
               check=True, capture_output=True)

revoked = certs["crlrevoked.test"]
crl = (x509.CertificateRevocationListBuilder().issuer_name(root.subject)
       .last_update(now - day).next_update(now + 7 * day)
       .add_revoked_certificate(x509.RevokedCertificateBuilder()
                                .serial_number(revoked.serial_number)
                                .revocation_date(now - day).build())
       .sign(rk, hashes.SHA256()))
write("root.crl", crl.public_bytes(serialization.Encoding.DER))


def idx(c, status):
    # not_valid_after_utc is cryptography 42 and later; Debian 12 has 38.
    na = getattr(c, "not_valid_after_utc", None) or c.not_valid_after
    exp = na.strftime("%y%m%d%H%M%SZ")
    rev = (now - day).strftime("%y%m%d%H%M%SZ") if status == "R" else ""
    subj = "/O=sslinspect test web PKI/CN=" + \
        c.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    return f"{status}\t{exp}\t{rev}\t{c.serial_number:X}\tunknown\t{subj}\n"


write("index.txt", (idx(certs["ocsprevoked.test"], "R") +
                    idx(certs["ocspgood.test"], "V")).encode())
