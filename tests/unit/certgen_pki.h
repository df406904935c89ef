/* Test PKI for the sslinspect-certgen unit tests, built in memory. */
#ifndef SSLINSPECT_CERTGEN_PKI_H
#define SSLINSPECT_CERTGEN_PKI_H

#include <openssl/evp.h>
#include <openssl/x509.h>

struct pki_spec {
	const char	*cn;		/* NULL: no subject CN */
	const char	*sans;		/* "DNS:a,IP:1.2.3.4" or NULL */
	long		 days;		/* notAfter = now + days */
	int		 ca;		/* basicConstraints CA:TRUE */
	const char	*extra;		/* more extensions, "name=value|..." */
};

EVP_PKEY	*pki_key(const char *);	/* "EC" (P-256), "RSA", "P-384" */
X509		*pki_cert(const struct pki_spec *, EVP_PKEY *, X509 *,
		    EVP_PKEY *);
char		*pki_pem_cert(X509 *);
char		*pki_pem_key(EVP_PKEY *);
char		*pki_body(const char *, const char *, const char *,
		    const char *);
char		*pki_request(const char *, const char *);
int		 pki_has_ext(X509 *, int);

#endif
