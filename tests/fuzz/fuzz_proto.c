/*
 * libFuzzer target for what sslinspect-certgen reads from Squid: request
 * framing (with channel ids), the body's parameters and PEM parts, host
 * names, the walk of the mimicked certificate, and the serial read from
 * the head of a PEM certificate (revcheck). Input is a byte stream as Squid
 * would write it; every complete frame is parsed.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509v3.h>

#include "certgen.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_body(const char *b, size_t len)
{
	struct proto_req	 req;
	struct mimic		 m;
	char			*cause = NULL, host[CERTGEN_HOST_MAX + 1];
	char			 serial[80];
	enum hostname_kind	 kind;

	if (proto_parse(b, len, &req, &cause) == 0) {
		if (hostname_normalize(req.host, strlen(req.host), host,
		    sizeof host, &kind) == -1)
			abort();	/* proto_parse accepted it */
		if (req.mimic != NULL &&
		    mimic_parse(req.mimic, req.mimic_len, &m) == 0)
			GENERAL_NAMES_free(m.sans);
		if (req.mimic != NULL)
			(void)revcheck_pem_serial((const unsigned char *)
			    req.mimic, req.mimic_len, serial, sizeof serial);
	}
	free(cause);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char		*p = (const char *)data;
	struct helper_frame	 fr;
	struct mimic		 m;
	char			 head[64];
	size_t			 pos = 0;

	while (pos < size) {
		switch (proto_frame(p + pos, size - pos, &fr)) {
		case HELPER_NEED:
			return 0;
		case HELPER_OK:
			if (fr.body + fr.body_len > p + size)
				abort();
			fuzz_body(fr.body, fr.body_len);
			proto_reply_head(head, sizeof head, &fr, 1,
			    fr.body_len);
			break;
		default:
			break;
		}
		if (fr.consumed == 0)
			abort();	/* no progress: the helper would spin */
		pos += fr.consumed;
	}
	if (mimic_parse(p, size, &m) == 0)
		GENERAL_NAMES_free(m.sans);
	return 0;
}
