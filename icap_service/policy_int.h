/*
 * What the two halves of the policy share behind svc.h: the loaded policy
 * (policy_load.c builds it from YAML, policy.c decides with it) and the
 * key tables that drive both the checking and the parsing of a file and
 * that sslinspect-policy(1) and the unit tests walk.
 */
#ifndef SSLINSPECT_POLICY_INT_H
#define SSLINSPECT_POLICY_INT_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "svc.h"

struct strv {
	char	**v;
	size_t	  n;
};

struct cidr {
	int	 family;
	uint8_t	 addr[16];
	unsigned bits;
};

struct plist {
	char		*name;
	struct hostlist	*hl;
};

struct pprofile {
	char		*name;
	struct engine_profile up, down;
	struct strv	 blocked, dicts;
	const char	**blockedv, **dictsv;	/* NULL-ended views */
};

struct rule {
	char		*name;
	enum policy_action action;
	char		*reason;
	struct pprofile	*profile;
	struct hostlist	*hosts;
	struct plist	**cats;
	size_t		 ncats;
	struct strv	 dbcats;	/* category: names of the database */
	regex_t		 re;
	bool		 has_re;
	struct cidr	*cidrs;
	size_t		 ncidrs;
	struct strv	 users, groups, methods, ctypes, ftypes;
	int		 direction;	/* -1 both */
	int64_t		 size_min, size_max;
};

struct pgroup {
	char		*name;
	struct strv	 users;
};

struct policy {
	char		*name;
	struct rule	*rules;
	size_t		 nrules;
	struct rule	 dflt;
	struct plist	*lists;
	size_t		 nlists;
	struct pprofile	*profiles;
	size_t		 nprofiles;
	struct pgroup	*groups;
	size_t		 ngroups;
};

/*
 * The value a key takes. Each kind has one parser in policy_load.c; the
 * kind's description is what sslinspect-policy(1) prints for it.
 */
enum policy_kind {
	PK_HOSTS,	/* host names, dstdomain syntax */
	PK_CATEGORY,	/* names of lists: */
	PK_REGEX,	/* one POSIX extended regular expression */
	PK_CIDRS,	/* addresses or CIDR blocks */
	PK_WORDS,	/* one value or a list of values */
	PK_DIRECTION,	/* upload, download or both */
	PK_FILETYPES,	/* true file type or group names */
	PK_SIZE,	/* 4096, 64K, 10M, 1G */
	PK_BOOL,	/* on or off */
	PK_COUNT	/* 0 to 1000000 */
};

/* One key of a rule's match: mapping or of a profile. */
struct policy_key {
	const char	*name;
	enum policy_kind kind;
	size_t		 off;		/* into struct rule or engine_profile */
	const char	*help;		/* what it holds, for the manual */
};

extern const struct policy_key policy_match_keys[];
extern const struct policy_key policy_profile_keys[];
const char *policy_kind_str(enum policy_kind);
bool	policy_filetype_known(const char *);
const char *policy_filetype_hint(const char *);

void	policy_strv_free(struct strv *);

/* policy_opts.c: the options of sslinspect-policy. */
#ifndef SVC_POLICYFILE
#define SVC_POLICYFILE	"/etc/sslinspect/policy.yaml"
#endif

enum { POLICY_OPT_ANY, POLICY_OPT_EXPLAIN };

struct policy_opt {
	const char	*name;		/* long name */
	int		 shortopt;	/* 0: none */
	const char	*arg;		/* NULL: a flag */
	int		 cmd;		/* POLICY_OPT_* */
	const char	*dflt;		/* NULL: none */
	const char	*help;
};

extern const struct policy_opt policy_opts[];

#endif
