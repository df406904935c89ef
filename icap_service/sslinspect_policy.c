/*
 * sslinspect-policy: check a policy file, or explain which rule decides a
 * request and why, with the same code the c-icap service runs.
 *
 *	sslinspect-policy check FILE
 *	sslinspect-policy explain [-p FILE] URL [--user U] [--ip A] [--group G]
 *	    [--method M] [--upload | --download] [--content-type T]
 *	    [--type TRUE_TYPE] [--size N]
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svc.h"

#ifndef SVC_POLICYFILE
#define SVC_POLICYFILE "/etc/sslinspect/policy.yaml"
#endif

static void
usage(void)
{
	fprintf(stderr,
	    "usage: sslinspect-policy check FILE\n"
	    "       sslinspect-policy explain [-p FILE] URL [--user U] [--ip A]\n"
	    "           [--group G] [--method M] [--upload | --download]\n"
	    "           [--content-type T] [--type TRUE_TYPE] [--size N]\n");
}

static int
cmd_check(int argc, char **argv)
{
	struct policy *p;
	char *cause = NULL;

	if (argc != 2) {
		usage();
		return 2;
	}
	if ((p = policy_load(argv[1], &cause)) == NULL) {
		fprintf(stderr, "sslinspect-policy: %s\n", cause);
		free(cause);
		return 1;
	}
	printf("%s: OK, %u rules\n", argv[1], policy_nrules(p));
	policy_free(p);
	return 0;
}

static void
print_decision(const char *url, const struct policy_facts *f,
    const struct policy_decision *d)
{
	printf("url:       %s\n", url);
	printf("direction: %s\n", f->direction == ENGINE_UPLOAD ? "upload" : "download");
	if (f->user != NULL)
		printf("user:      %s\n", f->user);
	if (f->groups != NULL)
		printf("groups:    %s (as sent by the proxy)\n", f->groups);
	printf("rule:      %s\n", d->rule);
	printf("action:    %s\n", policy_action_str(d->action));
	if (d->action == POLICY_INSPECT || d->action == POLICY_MONITOR)
		printf("profile:   %s\n", d->profile_name ? d->profile_name : "default");
	if (d->category != NULL)
		printf("category:  %s\n", d->category);
	if (d->reason != NULL)
		printf("reason:    %s\n", d->reason);
	printf("why:       %s\n", d->why);
	if (d->pending)
		printf("note:      an earlier rule needs the true file type or size;"
		    " the service decides again after inspecting the body\n");
}

static int
cmd_explain(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "user", required_argument, NULL, 'u' },
		{ "ip", required_argument, NULL, 'i' },
		{ "group", required_argument, NULL, 'g' },
		{ "method", required_argument, NULL, 'm' },
		{ "upload", no_argument, NULL, 'U' },
		{ "download", no_argument, NULL, 'D' },
		{ "content-type", required_argument, NULL, 'c' },
		{ "type", required_argument, NULL, 't' },
		{ "size", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 }
	};
	const char *file = SVC_POLICYFILE;
	struct policy_facts f;
	struct policy_decision d;
	struct policy *p;
	char host[256], *cause = NULL;
	const char *path;
	uint64_t size;
	int ch;

	memset(&f, 0, sizeof f);
	f.direction = ENGINE_DOWNLOAD;
	f.size = -1;
	while ((ch = getopt_long(argc, argv, "p:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'p': file = optarg; break;
		case 'u': f.user = optarg; break;
		case 'i': f.client_ip = optarg; break;
		case 'g': f.groups = optarg; break;
		case 'm': f.method = optarg; break;
		case 'U': f.direction = ENGINE_UPLOAD; break;
		case 'D': f.direction = ENGINE_DOWNLOAD; break;
		case 'c': f.content_type = optarg; break;
		case 't': f.true_type = optarg; break;
		case 's':
			if (svcconf_parse_size(optarg, &size) != 0 || size > INT64_MAX) {
				fprintf(stderr, "sslinspect-policy: bad size %s\n", optarg);
				return 2;
			}
			f.size = (int64_t)size;
			break;
		default:
			usage();
			return 2;
		}
	}
	if (optind + 1 != argc) {
		usage();
		return 2;
	}
	f.url = argv[optind];
	if (policy_url_host(f.url, host, sizeof host, &path) != 0 || host[0] == '\0') {
		fprintf(stderr, "sslinspect-policy: %s is not an absolute URL\n", f.url);
		return 2;
	}
	f.host = host;
	if (f.method == NULL)
		f.method = f.direction == ENGINE_UPLOAD ? "POST" : "GET";
	if ((p = policy_load(file, &cause)) == NULL) {
		fprintf(stderr, "sslinspect-policy: %s\n", cause);
		free(cause);
		return 1;
	}
	policy_decide(p, &f, &d);
	print_decision(f.url, &f, &d);
	policy_free(p);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		usage();
		return 2;
	}
	if (strcmp(argv[1], "check") == 0)
		return cmd_check(argc - 1, argv + 1);
	if (strcmp(argv[1], "explain") == 0)
		return cmd_explain(argc - 1, argv + 1);
	usage();
	return 2;
}
