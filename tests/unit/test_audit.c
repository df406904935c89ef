/*
 * Unit tests for the audit line (audit.c): its direction, the masking of
 * digit runs in URLs, valid UTF-8, and where the lines go.
 */
#include "config.h"

#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <unistd.h>

#include "svc_test.h"

static char *
line(enum engine_direction dir, bool bodiless, const char *method)
{
	struct audit_record	 r;
	size_t			 len;
	char			*s;

	memset(&r, 0, sizeof r);
	r.when = 1700000000;
	r.method = method;
	r.host = "x.test";
	r.path = "/";
	r.direction = dir;
	r.bodiless = bodiless;
	r.verdict = "block";
	r.incident = "0123456789abcdef";
	s = audit_format(&r, &len);
	ck_assert_ptr_nonnull(s);
	return s;
}

/*
 * A request without a body (a GET blocked in REQMOD) is a "request", not
 * an "upload": rules with direction upload match only requests with a body.
 */
START_TEST(direction)
{
	char	*s;

	ck_assert_str_eq(audit_direction(ENGINE_UPLOAD, false), "upload");
	ck_assert_str_eq(audit_direction(ENGINE_UPLOAD, true), "request");
	ck_assert_str_eq(audit_direction(ENGINE_DOWNLOAD, false), "download");
	ck_assert_str_eq(audit_direction(ENGINE_DOWNLOAD, true), "download");

	s = line(ENGINE_UPLOAD, true, "GET");
	ck_assert_ptr_nonnull(strstr(s,
	    "\"method\":\"GET\",\"host\":\"x.test\","
	    "\"path\":\"/\",\"direction\":\"request\""));
	free(s);
	s = line(ENGINE_UPLOAD, false, "POST");
	ck_assert_ptr_nonnull(strstr(s, "\"direction\":\"upload\""));
	free(s);
	s = line(ENGINE_DOWNLOAD, false, "GET");
	ck_assert_ptr_nonnull(strstr(s, "\"direction\":\"download\""));
	free(s);
}
END_TEST

/* The deciding rule's category follows the reason; null without one. */
START_TEST(category)
{
	struct audit_record	 r;
	size_t			 len;
	char			*s;

	memset(&r, 0, sizeof r);
	r.method = "GET";
	r.host = "casino.test";
	r.verdict = "block";
	r.rule = "no-gambling";
	r.category = "gambling";
	s = audit_format(&r, &len);
	ck_assert_ptr_nonnull(strstr(s,
	    "\"rule\":\"no-gambling\",\"reason\":null,"
	    "\"category\":\"gambling\",\"engine\""));
	free(s);
	r.category = NULL;
	s = audit_format(&r, &len);
	ck_assert_ptr_nonnull(strstr(s, "\"category\":null,"));
	free(s);
}
END_TEST

/*
 * What an engine did not look at is said (ClamAV over its size limit, an
 * archive member past a limit), its member name masked like a URL; an
 * empty list when every engine saw it all.
 */
START_TEST(skipped)
{
	struct audit_record	 r;
	struct engine_skip	 k[2];
	size_t			 len;
	char			*s;

	memset(&r, 0, sizeof r);
	memset(k, 0, sizeof k);
	r.method = "GET";
	r.host = "x.test";
	r.verdict = "allow";
	s = audit_format(&r, &len);
	ck_assert_ptr_nonnull(strstr(s, "\"findings\":[],\"skipped\":[],"));
	free(s);
	k[0].engine = "clamav";
	snprintf(k[0].why, sizeof k[0].why, "larger than ClamAVMaxSize");
	k[0].count = 1;
	k[1].engine = "archive";
	snprintf(k[1].what, sizeof k[1].what, "card-4111111111111111.txt");
	snprintf(k[1].why, sizeof k[1].why, "nested \"too\" deep");
	k[1].count = 3;
	r.skips = k;
	r.nskips = 2;
	s = audit_format(&r, &len);
	ck_assert_ptr_nonnull(strstr(s, "\"skipped\":[{\"engine\":\"clamav\","
	    "\"what\":\"\",\"why\":\"larger than ClamAVMaxSize\",\"count\":1},"
	    "{\"engine\":\"archive\",\"what\":\"card-************1111.txt\","
	    "\"why\":\"nested \\\"too\\\" deep\",\"count\":3}],\"bytes\""));
	ck_assert_ptr_null(strstr(s, "4111111111111111"));
	free(s);
}
END_TEST

/* A URL's long digit runs keep their last four; short ones stay. */
static const struct {
	const char	*in, *out;
} masks[] = {
	{ "/pay?card=4111111111111111", "/pay?card=************1111" },
	{ "/s?q=4111+1111+1111+1111", "/s?q=****+****+****+1111" },
	{ "/s?q=4111%201111%201111%201111", "/s?q=****%20****%20****%201111" },
	{ "/s?q=4111-1111-1111-1111&x=1", "/s?q=****-****-****-1111&x=1" },
	{ "/s?ssn=078-05-1120", "/s?ssn=***-**-1120" },
	{ "/iban/DE89370400440532013000", "/iban/DE****************3000" },
	{ "/s?q=%34%31%31%31%31%31%31%31%31%31",
	  "/s?q=******************%31%31%31%31" },
	{ "/2024/01/15/report-12345678.pdf",
	  "/2024/01/15/report-12345678.pdf" },
	{ "/v1.2.3/a", "/v1.2.3/a" },
	{ "/order/123456789", "/order/*****6789" },
	{ "/a?t=1700000000.5", "/a?t=*******000.5" },
	{ "", "" },
	{ "12345678 123456789-", "******** *****6789-" },
};

START_TEST(mask)
{
	char	buf[256];

	snprintf(buf, sizeof buf, "%s", masks[_i].in);
	audit_mask_digits(buf);
	ck_assert_str_eq(buf, masks[_i].out);
}
END_TEST

/* The logged path is masked; the line itself is valid UTF-8. */
START_TEST(masked_line)
{
	struct audit_record	 r;
	size_t			 len;
	char			*s;

	memset(&r, 0, sizeof r);
	r.when = 1700000000;
	r.method = "GET";
	r.host = "x.test";
	r.path = "/search?q=card+4111+1111+1111+1111";
	r.user = "b\xe9\xff\xc3\xa9\xed\xa0\x80";
	r.verdict = "allow";
	r.incident = "0123456789abcdef";
	s = audit_format(&r, &len);
	ck_assert_ptr_nonnull(strstr(s,
	    "\"path\":\"/search?q=card+****+****+****+1111\""));
	ck_assert_ptr_null(strstr(s, "4111"));
	ck_assert_ptr_nonnull(strstr(s,
	    "\"user\":\"b\\ufffd\\ufffd\xc3\xa9\\ufffd\\ufffd\\ufffd\""));
	free(s);
}
END_TEST

/* off and "" log nothing; a file that cannot be opened falls back to syslog. */
START_TEST(destinations)
{
	char	*cause = NULL;

	ck_assert_int_eq(audit_open("off", &cause), 0);
	ck_assert_int_eq(audit_open("", &cause), 0);
	ck_assert_int_eq(audit_open("/nonexistent/dir/audit.log", &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause,
	    "/nonexistent/dir/audit.log: No such file"));
	ck_assert_ptr_nonnull(strstr(cause, "syslog instead"));
	audit_close();
	free(cause);
}
END_TEST

/*
 * The RFC 5424 message: PRI daemon.notice for a block, the header fields,
 * the structured data with hostile characters escaped or replaced, a BOM
 * and the JSON line.
 */
START_TEST(syslog_format)
{
	struct audit_record	 r;
	const char		*json = "{\"a\":1}";
	size_t			 len;
	char			*m;

	memset(&r, 0, sizeof r);
	r.when = 1700000000;
	r.host = "a\"b]c\\d\x01\xc3\xa9";
	r.direction = ENGINE_DOWNLOAD;
	r.verdict = "block";
	r.rule = "malware";
	r.incident = "0123456789abcdef";
	m = auditsys_format(&r, json, strlen(json), "node1", 42,
	    "sslinspect@32473", &len);
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(m, "<29>1 2023-11-14T22:13:20Z node1 sslinspect 42 "
	    "audit [sslinspect@32473 incident=\"0123456789abcdef\" "
	    "verdict=\"block\" direction=\"download\" "
	    "host=\"a\\\"b\\]c\\\\d???\" rule=\"malware\"] "
	    "\xef\xbb\xbf{\"a\":1}");
	ck_assert_uint_eq(len, strlen(m));
	free(m);
	r.verdict = "allow";
	r.direction = ENGINE_UPLOAD;
	m = auditsys_format(&r, json, strlen(json), "-", 7, "x@1", &len);
	ck_assert_ptr_nonnull(strstr(m, "<30>1 "));
	ck_assert_ptr_nonnull(strstr(m, " direction=\"upload\" "));
	free(m);
}
END_TEST

static const struct {
	const char	*id;
	int		 ok;
} sdids[] = {
	{ "sslinspect@32473", 1 }, { "x@1", 1 }, { "sslinspect", 0 },
	{ "@32473", 0 }, { "x@", 0 }, { "x@12a", 0 }, { "a b@1", 0 },
	{ "a=b@1", 0 }, { "a]@1", 0 }, { "a\"@1", 0 },
	{ "abcdefghijklmnopqrstuvwxyz@12345", 1 },
	{ "abcdefghijklmnopqrstuvwxyz@123456", 0 }, { "", 0 },
};

START_TEST(syslog_sdid)
{
	ck_assert_int_eq(auditsys_sdid_ok(sdids[_i].id), sdids[_i].ok);
}
END_TEST

/* A record reaches a UDP collector on loopback; bad targets are refused. */
START_TEST(syslog_send)
{
	static const char	*bad[] = {
		"tcp://127.0.0.1:514", "udp://host", "udp://:514", "udp://h:5x",
		"udp://[::1:514", "udp://h:"
	};
	struct audit_record	 r;
	struct sockaddr_in	 sin;
	socklen_t		 sl = sizeof sin;
	char			 spec[64], buf[2048], *cause = NULL;
	const char		*json = "{\"incident\":\"feed\"}\n";
	ssize_t			 n;
	size_t			 i;
	int			 fd;

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	snprintf(spec, sizeof spec, "udp://127.0.0.1:%u", ntohs(sin.sin_port));
	ck_assert_int_eq(auditsys_open(spec, "sslinspect@32473", &cause), 0);
	memset(&r, 0, sizeof r);
	r.verdict = "block";
	r.incident = "feed";
	auditsys_send(&r, json, strlen(json));
	n = recv(fd, buf, sizeof buf - 1, 0);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	ck_assert(strncmp(buf, "<29>1 ", 6) == 0);
	ck_assert_ptr_nonnull(strstr(buf, " incident=\"feed\" "));
	/* The JSON ends the message, without the file's newline. */
	ck_assert_str_eq(buf + n - (strlen(json) - 1),
	    "{\"incident\":\"feed\"}");
	auditsys_close();
	close(fd);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_msg(auditsys_open(bad[i], "x@1", &cause) == -1,
		    "%s accepted", bad[i]);
		free(cause);
		cause = NULL;
	}
	ck_assert_int_eq(auditsys_open("udp://127.0.0.1:514", "nope", &cause),
	    -1);
	ck_assert_ptr_nonnull(strstr(cause, "AuditSyslogId nope"));
	free(cause);
	ck_assert_int_eq(auditsys_open("off", "nope", &cause), 0);
}
END_TEST

static Suite *
audit_suite(void)
{
	Suite	*s = suite_create("audit");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, direction);
	tcase_add_test(tc, category);
	tcase_add_test(tc, skipped);
	tcase_add_loop_test(tc, mask, 0, sizeof masks / sizeof masks[0]);
	tcase_add_test(tc, masked_line);
	tcase_add_test(tc, destinations);
	tcase_add_test(tc, syslog_format);
	tcase_add_loop_test(tc, syslog_sdid, 0, sizeof sdids / sizeof sdids[0]);
	tcase_add_test(tc, syslog_send);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_TEST_MAIN(audit_suite)
