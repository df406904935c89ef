/*
 * libFuzzer target: the policy parser (policy.c, libyaml) and the decision
 * function on what it accepted.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "svc.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy_decision	 d;
	struct policy_facts	 f;
	struct policy		*p;
	char			*cause = NULL;

	p = policy_parse((const char *)data, size, "fuzz.yaml", "/nonexistent",
	    &cause);
	if (p == NULL) {
		if (cause == NULL)
			__builtin_trap();	/* every refusal says why */
		free(cause);
		return 0;
	}
	memset(&f, 0, sizeof f);
	f.host = "www.example.test";
	f.url = "https://www.example.test/a/b?c";
	f.client_ip = "10.1.2.3";
	f.user = "alice";
	f.groups = "finance,staff";
	f.method = "POST";
	f.direction = ENGINE_UPLOAD;
	f.content_type = "application/zip";
	f.size = -1;
	policy_decide(p, &f, &d);
	if (d.rule == NULL || d.profile == NULL)
		__builtin_trap();
	f.true_type = "zip";
	f.size = 12345;
	f.direction = ENGINE_DOWNLOAD;
	f.client_ip = "fd00::1";
	policy_decide(p, &f, &d);
	if (d.rule == NULL || d.profile == NULL)
		__builtin_trap();
	policy_free(p);
	return 0;
}
