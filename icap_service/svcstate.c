/*
 * The service's loaded state, one per process, whatever front end serves
 * it: the sslinspect.* configuration, the engines, the block page
 * templates, the category database, the audit log and the running policy,
 * which threads share by reference and a reload replaces under them. The
 * front end parses its directives into svcstate_config(), opens, hands
 * svcstate_env() to every transaction (xact.c) and reloads on its admin's
 * command. Errors go to the front end's log.
 */
#include "config.h"

#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "categories.h"
#include "slurp.h"
#include "svc.h"
#include "xact.h"

static struct svc_config	 conf;
static struct engine_set	*engines;
static struct tmplset		*templates;
static struct catwatch		*categories;	/* NULL: CategoryDB "" */
static struct xact_env		 env;
static pthread_mutex_t		 pol_mtx = PTHREAD_MUTEX_INITIALIZER;
static struct polref		*pol_cur;
/*
 * The last policy that loaded is copied to TmpDir, because c-icap unloads
 * the module on reconfigure: a bad policy file then falls back to it.
 */
static char			 last_good[4096];

static int	svcstate_categories(const char *, const char *, char *,
		    size_t);

/* The configuration the front end's directives go into. */
struct svc_config *
svcstate_config(void)
{
	return &conf;
}

/* What every transaction is handed (xact_new). */
struct xact_env *
svcstate_env(void)
{
	return &env;
}

/* Before the directives: every one at its default. */
void
svcstate_defaults(void)
{
	svcconf_defaults(&conf);
}

/* A reference to the running policy; NULL when none runs. */
struct polref *
svcstate_policy(void)
{
	struct polref	*r;

	pthread_mutex_lock(&pol_mtx);
	if ((r = pol_cur) != NULL)
		r->refs++;
	pthread_mutex_unlock(&pol_mtx);
	return r;
}

void
svcstate_policy_put(struct polref *r)
{
	int	last;

	if (r == NULL)
		return;
	pthread_mutex_lock(&pol_mtx);
	last = (--r->refs == 0);
	pthread_mutex_unlock(&pol_mtx);
	if (last) {
		policy_free(r->p);
		free(r);
	}
}

static void
svcstate_swap(struct policy *p)
{
	struct polref	*r, *old;

	if ((r = calloc(1, sizeof *r)) == NULL) {
		policy_free(p);
		return;
	}
	r->p = p;
	r->refs = 1;
	pthread_mutex_lock(&pol_mtx);
	old = pol_cur;
	pol_cur = r;
	pthread_mutex_unlock(&pol_mtx);
	svcstate_policy_put(old);
}

static void
svcstate_save_last_good(const char *path)
{
	char	*buf, tmp[4200];
	size_t	 len;
	FILE	*f;
	int	 fd;

	if (last_good[0] == '\0' || (buf = slurp_file(path, POLICY_FILE_MAX,
	    &len, NULL)) == NULL)
		return;
	snprintf(tmp, sizeof tmp, "%s.new", last_good);
	unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) >= 0 &&
	    (f = fdopen(fd, "w")) != NULL) {
		if (fwrite(buf, 1, len, f) == len && fclose(f) == 0)
			rename(tmp, last_good);
		else
			unlink(tmp);
	} else if (fd >= 0)
		close(fd);
	free(buf);
}

static struct policy *
svcstate_load_last_good(void)
{
	char		*buf, *dir, name[4200], *cause = NULL;
	struct policy	*p = NULL;
	size_t		 len;

	if (last_good[0] == '\0' || (buf = slurp_file(last_good,
	    POLICY_FILE_MAX, &len, NULL)) == NULL)
		return NULL;
	snprintf(name, sizeof name, "%s (last good copy)", conf.policy_file);
	if ((dir = strdup(conf.policy_file)) != NULL)
		p = policy_parse(buf, len, name, dirname(dir), &cause);
	free(cause);
	free(dir);
	free(buf);
	return p;
}

/* Load the configured policy; on failure the running one stays. 0 or -1. */
static int
svcstate_load_policy(bool startup)
{
	struct policy	*p;
	char		*cause = NULL;
	bool		 file = conf.policy_file != NULL &&
	    *conf.policy_file != '\0';

	p = file ? policy_load(conf.policy_file, &cause) : policy_default();
	if (p == NULL && startup && pol_cur == NULL && file &&
	    (p = svcstate_load_last_good()) != NULL) {
		env.log(1, "sslinspect: policy not loaded, using the last "
		    "good copy: %s\n", cause ? cause : "out of memory");
		free(cause);
		svcstate_swap(p);
		return 0;
	}
	if (p == NULL) {
		env.log(1, "sslinspect: policy not loaded, %s: %s\n",
		    pol_cur ? "keeping the running policy" : "service disabled",
		    cause ? cause : "out of memory");
		free(cause);
		return -1;
	}
	env.log(2, "sslinspect: policy %s loaded, %u rules\n",
	    file ? conf.policy_file : "(built-in)", policy_nrules(p));
	if (file)
		svcstate_save_last_good(conf.policy_file);
	svcstate_swap(p);
	return 0;
}

/* The policy and the engines' signatures and hash list, read again. */
void
svcstate_reload(void)
{
	char	*cause = NULL;

	svcstate_load_policy(false);
	/* Signatures and the hash blocklist too; the old set stays on error. */
	if (engines != NULL && engine_set_reload(engines, &cause) != 0) {
		env.log(1, "sslinspect: engine reload: %s\n",
		    cause != NULL ? cause : "failed");
		free(cause);
	}
}

/* Log a cause, if any, after what failed; free it. */
static void
svcstate_cause(const char *what, char **cause, const char *after)
{
	if (*cause == NULL)
		return;
	env.log(1, "sslinspect: %s%s%s%s\n", what, *what ? ": " : "", *cause,
	    after);
	free(*cause);
	*cause = NULL;
}

/*
 * Open what the configuration names: audit log, templates, categories,
 * engines (kept from an earlier open) and the policy. Spool files and the
 * last good policy go to tmpdir (NULL: none kept). 0, or -1 when no
 * policy runs: the service must not start.
 */
int
svcstate_open(const char *tmpdir, void (*log)(int, const char *, ...))
{
	struct engine_config	 ec;
	char			*cause = NULL;

	env.conf = &conf;
	env.log = log;
	env.categories = svcstate_categories;
	if (audit_open(conf.audit_log, &cause) != 0)
		svcstate_cause("audit log", &cause, "");
	if (auditsys_open(conf.audit_syslog, conf.audit_syslog_id,
	    &cause) != 0)
		svcstate_cause("AuditSyslog", &cause,
		    "; audit records are not sent to a collector");
	blockpage_set_free(templates);
	templates = blockpage_set_load(conf.template_dir, &cause);
	svcstate_cause("", &cause, "");
	catwatch_free(categories);
	categories = conf.category_db[0] != '\0' ?
	    catwatch_new(conf.category_db) : NULL;
	svcconf_engine(&conf, &ec);
	ec.tmpdir = tmpdir;
	if (engines == NULL && (engines = engine_set_load(&ec,
	    &cause)) == NULL) {
		env.log(1, "sslinspect: engines not loaded (%s): inspected "
		    "traffic will %s\n", cause ? cause : "?",
		    conf.fail_open ? "pass (FailOpen on)" : "be blocked");
		free(cause);
		cause = NULL;
	}
	env.engines = engines;
	env.templates = templates;
	if (tmpdir != NULL)
		snprintf(last_good, sizeof last_good,
		    "%s/sslinspect-policy.last-good", tmpdir);
	if (svcstate_load_policy(true) != 0 && pol_cur == NULL)
		return -1;
	return 0;
}

/*
 * Close all but the running policy, which is kept so that a bad policy on
 * the next open does not replace it.
 */
void
svcstate_close(void)
{
	audit_close();
	if (engines != NULL)
		engine_set_free(engines);
	engines = NULL;
	blockpage_set_free(templates);
	templates = NULL;
	env.engines = NULL;
	env.templates = NULL;
	catwatch_free(categories);
	categories = NULL;
	svcconf_free(&conf);
}

/*
 * The categories of a host and URL in the category database (CategoryDB)
 * into buf; -1 when there is no database or no entry.
 */
static int
svcstate_categories(const char *host, const char *url, char *buf,
    size_t len)
{
	struct catdb	*db;
	char		*cause;
	int		 rc;

	if (categories == NULL)
		return -1;
	db = catwatch_get(categories);
	if ((cause = catwatch_cause(categories)) != NULL) {
		env.log(1, "sslinspect: CategoryDB: %s\n", cause);
		free(cause);
	}
	if (db == NULL)
		return -1;
	rc = catdb_request(db, host, url, buf, len);
	catwatch_put(categories, db);
	return rc < 0 ? -1 : 0;
}
