/*
 * The command line of sslinspect-policy as a table: the program builds its
 * getopt table and --help from it, and the unit test checks that
 * sslinspect-policy(1) lists exactly these options.
 */
#include "config.h"

#include <stddef.h>

#include "policy_int.h"

const struct policy_opt policy_opts[] = {
	{ "policy", 'p', "FILE", POLICY_OPT_EXPLAIN, SVC_POLICYFILE,
	  "the policy file" },
	{ "user", 0, "USER", POLICY_OPT_EXPLAIN, NULL,
	  "the authenticated user, as Squid sends it in X-Client-Username" },
	{ "ip", 0, "ADDRESS", POLICY_OPT_EXPLAIN, NULL, "the client address" },
	{ "group", 0, "GROUPS", POLICY_OPT_EXPLAIN, NULL,
	  "comma-separated groups, as Squid sends them in X-Client-Groups" },
	{ "method", 0, "METHOD", POLICY_OPT_EXPLAIN, NULL,
	  "the HTTP method (default GET, POST with --upload)" },
	{ "upload", 0, NULL, POLICY_OPT_EXPLAIN, NULL,
	  "a request body (REQMOD)" },
	{ "download", 0, NULL, POLICY_OPT_EXPLAIN, NULL,
	  "a response body (RESPMOD; the default)" },
	{ "content-type", 0, "TYPE", POLICY_OPT_EXPLAIN, NULL,
	  "the declared Content-Type" },
	{ "type", 0, "TRUE-TYPE", POLICY_OPT_EXPLAIN, NULL,
	  "the true file type the engines would find (pe, zip, pdf ...)" },
	{ "size", 0, "SIZE", POLICY_OPT_EXPLAIN, NULL,
	  "the body size (4096, 64K, 10M; 0: no body)" },
	{ "category-db", 0, "FILE", POLICY_OPT_EXPLAIN, SVC_CATEGORYDB,
	  "the category database, as the service's CategoryDB; none: "
	  "no database" },
	{ "category", 0, "NAMES", POLICY_OPT_EXPLAIN, NULL,
	  "comma-separated categories of the request, instead of the "
	  "database's" },
	{ "help", 'h', NULL, POLICY_OPT_ANY, NULL, "print this help and exit" },
	{ "version", 'V', NULL, POLICY_OPT_ANY, NULL,
	  "print the version and exit" },
	{ NULL, 0, NULL, 0, NULL, NULL }
};
