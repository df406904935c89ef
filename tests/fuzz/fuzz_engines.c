/*
 * libFuzzer target for the engines: the input is a body, cut into chunks
 * whose sizes come from its first bytes, scanned with every engine on
 * (DLP with a dictionary, EICAR, SHA-256, true type, archives; ClamAV
 * off, it is not ours to fuzz). Archive inputs exercise libarchive with
 * our limits; text inputs the DLP validators at every chunk boundary.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dlp.h"
#include "engine.h"

static struct engine_set	*set;

static void
fuzz_init(void)
{
	struct engine_config	 cfg;
	char			 dir[] = "/tmp/fuzz_engines.XXXXXX", path[64];
	char			*cause = NULL;
	FILE			*f;

	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof path, "%s/fuzz.dict", dir);
	if ((f = fopen(path, "w")) == NULL)
		abort();
	fputs("threshold 2\nkeyword secret\nregex PRJ-[0-9]{4}\n", f);
	fclose(f);
	engine_config_defaults(&cfg);
	cfg.clamav = false;
	cfg.dictionary_dir = dir;
	cfg.archive_max_bytes = 4 * 1024 * 1024;
	if ((set = engine_set_load(&cfg, &cause)) == NULL) {
		fprintf(stderr, "fuzz_engines: %s\n", cause);
		abort();
	}
	unlink(path);
	rmdir(dir);
}

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const blocked[] = { "executable", NULL };
	struct engine_profile	 p;
	struct engine_result	 r;
	struct engine_scan	*s;
	struct dlp_dict		 d;
	char			*cause = NULL;
	size_t			 off = 0, n, k = 0;

	if (set == NULL)
		fuzz_init();
	if (dlp_dict_parse("fuzz", (const char *)data, size, &d, &cause) == 0)
		dlp_dict_clear(&d);
	free(cause);
	cause = NULL;
	engine_profile_defaults(&p, ENGINE_UPLOAD);
	p.blocked_types = blocked;
	if ((s = engine_scan_begin(set, &p, ENGINE_UPLOAD, "fuzz",
	    &cause)) == NULL)
		abort();
	while (off < size) {
		n = 1 + (size > 8 ? data[k++ % 8] : 0);
		if (n > size - off)
			n = size - off;
		if (engine_scan_feed(s, data + off, n, &cause) != 0)
			break;
		off += n;
	}
	free(cause);
	cause = NULL;
	engine_scan_end(s, &r, &cause);
	free(cause);
	engine_scan_free(s);
	if (r.nfindings > ENGINE_MAX_FINDINGS)
		abort();
	return 0;
}
