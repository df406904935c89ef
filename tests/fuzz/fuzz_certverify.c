/*
 * libFuzzer target for what sslinspect-certverify reads from Squid: request
 * framing (with channel ids) and the body's fields and PEM spans; every
 * complete frame is parsed and answered.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "certverify.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct helper_frame	 fr;
	struct cv_req		 req;
	struct cbuf		 out = { NULL, 0, 0 };
	enum helper_status	 st;
	const char		*b = (const char *)data;
	char			*cause = NULL;
	size_t			 used = 0;

	while (used < size) {
		st = cv_proto_frame(b + used, size - used, &fr);

		if (st == HELPER_NEED || fr.consumed == 0)
			break;
		if (st == HELPER_OK) {
			if (cv_proto_parse(fr.body, fr.body_len, &req,
			    &cause) == 0)
				(void)cv_proto_reply(&out, &fr, NULL, 0);
			else
				(void)cv_proto_reply_bh(&out, &fr, cause);
			free(cause);
			cause = NULL;
		}
		if (fr.consumed > size - used)
			break;
		used += fr.consumed;
	}
	cbuf_free(&out);
	return 0;
}
