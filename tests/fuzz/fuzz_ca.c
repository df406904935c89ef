/*
 * libFuzzer target: sslinspect-ca's parsers of files and arguments: the
 * ca.conf settings, revocation records (which must survive a format/parse
 * round trip), serial numbers and subject DNs.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "ca.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_revoked(const char *s, size_t n)
{
	struct revoked_rec	r, back;
	char			buf[1024];
	int			len;

	if (revoked_parse(s, n, &r, NULL) == -1)
		return;
	len = revoked_format(&r, buf, sizeof buf);
	if (len < 0)
		return;		/* a label the format refuses is dropped */
	if (revoked_parse(buf, (size_t)len, &back, NULL) == -1 ||
	    back.revoked != r.revoked || back.reason != r.reason ||
	    strcmp(back.serial, r.serial) != 0 ||
	    strcmp(back.issuer_keyid, r.issuer_keyid) != 0)
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ca_conf	 conf;
	X509_NAME	*name = NULL;
	char		*s, *cause = NULL, serial[CA_SERIAL_MAX + 1];

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	ca_conf_defaults(&conf);
	if (ca_conf_parse(&conf, s, size, &cause) == -1 && cause == NULL)
		__builtin_trap();	/* every refusal says why */
	free(cause);
	cause = NULL;
	if (conf.issuing_days < 1 || conf.issuing_days > 397 ||
	    memchr(conf.crl_url, '\0', sizeof conf.crl_url) == NULL)
		__builtin_trap();

	fuzz_revoked(s, size);
	if (serial_norm(s, serial, sizeof serial) == 0 &&
	    strspn(serial, "0123456789abcdef") != strlen(serial))
		__builtin_trap();
	if (ca_x509_parse_dn(s, &name, &cause) == 0)
		X509_NAME_free(name);
	free(cause);
	free(s);
	return 0;
}
