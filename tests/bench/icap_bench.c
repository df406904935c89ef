/*
 * icap_bench: an ICAP load client on libicapapi that keeps its connections
 * alive and sets TCP_NODELAY on them (libicapapi does not, and every round
 * trip then waits ~40 ms for a delayed ACK, which is why c-icap-stretch
 * cannot measure throughput). Each connection sends the same body again
 * and again for a fixed time, with no preview and no Allow: 204, so the
 * service must echo the whole body back; the echoed length is checked.
 *
 *	icap_bench -p port -s service [-H host] [-m reqmod|respmod]
 *	    [-b body-bytes] [-c connections] [-t seconds]
 *
 * Prints one line: requests, failures, req/s and MB/s of body sent.
 */
#include "config.h"

#include <c_icap/c-icap.h>
#include <c_icap/debug.h>
#include <c_icap/header.h>
#include <c_icap/net_io.h>
#include <c_icap/request.h>
#include <c_icap/simple_api.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char	*host = "127.0.0.1", *service;
static int		 port, seconds = 5, respmod;
static char		*body;
static size_t		 bodylen = 65536;
static double		 deadline;

static pthread_mutex_t	 totals_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long	 total_ok, total_bad;

struct source {
	size_t	off;
	size_t	got;
};

static double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
body_read(void *arg, char *buf, int len)
{
	struct source	*s = arg;
	size_t		 n = bodylen - s->off;

	if (n == 0)
		return CI_EOF;
	if (n > (size_t)len)
		n = (size_t)len;
	memcpy(buf, body + s->off, n);
	s->off += n;
	return (int)n;
}

static int
echo_write(void *arg, char *buf, int len)
{
	struct source	*s = arg;

	s->got += (size_t)len;
	return len;
}

/* Text that no engine objects to: words and small numbers. */
static void
make_body(void)
{
	static const char *const w[] = { "shipping", "basket", "order",
	    "status", "delivered", "the", "and", "item", "price", "today" };
	size_t		 o = 0;
	unsigned	 x = 1;

	body = malloc(bodylen + 64);
	while (o < bodylen) {
		x = x * 1103515245 + 12345;
		o += (size_t)sprintf(body + o, "%s %u ", w[(x >> 16) % 10],
		    (x >> 8) % 1000);
	}
}

static ci_headers_list_t *
http_headers(void)
{
	ci_headers_list_t	*h = ci_headers_create();
	char			 cl[64];

	snprintf(cl, sizeof cl, "Content-Length: %zu", bodylen);
	if (respmod) {
		ci_headers_add(h, "HTTP/1.1 200 OK");
		ci_headers_add(h, "Content-Type: text/plain");
	} else {
		ci_headers_add(h, "POST http://bench.test/upload HTTP/1.1");
		ci_headers_add(h, "Host: bench.test");
		ci_headers_add(h, "Content-Type: text/plain");
	}
	ci_headers_add(h, cl);
	return h;
}

static void *
worker(void *arg)
{
	ci_connection_t		*conn;
	ci_request_t		*req;
	ci_headers_list_t	*h;
	struct source		 src;
	unsigned long		 ok = 0, bad = 0;
	int			 one = 1, rc;

	if ((conn = ci_connect_to(host, port, AF_INET, 10)) == NULL) {
		fprintf(stderr, "icap_bench: cannot connect\n");
		bad++;
		goto out;
	}
	setsockopt(conn->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	req = ci_client_request(conn, host, service);
	ci_client_get_server_options(req, 10);
	while (now() < deadline) {
		ci_client_request_reuse(req);
		req->type = respmod ? ICAP_RESPMOD : ICAP_REQMOD;
		req->preview = -1;
		req->allow204 = 0;
		memset(&src, 0, sizeof src);
		h = http_headers();
		rc = respmod ?
		    ci_client_icapfilter(req, 30, NULL, h, &src, body_read,
		    &src, echo_write) :
		    ci_client_icapfilter(req, 30, h, NULL, &src, body_read,
		    &src, echo_write);
		ci_headers_destroy(h);
		if (rc <= 0 || src.got != bodylen) {
			bad++;
			break;
		}
		ok++;
		if (!req->keepalive)
			break;
	}
	/* The request owns the connection: close it, then free both. */
	ci_connection_hard_close(conn);
	ci_request_destroy(req);
out:
	pthread_mutex_lock(&totals_lock);
	total_ok += ok;
	total_bad += bad;
	pthread_mutex_unlock(&totals_lock);
	return NULL;
}

int
main(int argc, char **argv)
{
	pthread_t	*th;
	double		 t0, secs;
	int		 ch, conns = 4, i;

	while ((ch = getopt(argc, argv, "H:p:s:m:b:c:t:")) != -1) {
		switch (ch) {
		case 'H': host = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 's': service = optarg; break;
		case 'm': respmod = strcmp(optarg, "respmod") == 0; break;
		case 'b': bodylen = (size_t)strtoul(optarg, NULL, 10); break;
		case 'c': conns = atoi(optarg); break;
		case 't': seconds = atoi(optarg); break;
		default:
			goto usage;
		}
	}
	if (port <= 0 || service == NULL || conns <= 0 || bodylen == 0)
		goto usage;
	CI_DEBUG_LEVEL = 0;
	ci_client_library_init();
	make_body();
	th = calloc((size_t)conns, sizeof *th);
	t0 = now();
	deadline = t0 + seconds;
	for (i = 0; i < conns; i++)
		pthread_create(&th[i], NULL, worker, NULL);
	for (i = 0; i < conns; i++)
		pthread_join(th[i], NULL);
	secs = now() - t0;
	printf("service=%s mode=%s body=%zu conns=%d ok=%lu failed=%lu "
	    "secs=%.2f req/s=%.1f MB/s=%.1f\n", service,
	    respmod ? "respmod" : "reqmod", bodylen, conns, total_ok,
	    total_bad, secs, (double)total_ok / secs,
	    (double)total_ok * (double)bodylen / secs / 1e6);
	ci_client_library_release();
	free(th);
	free(body);
	return total_bad == 0 && total_ok > 0 ? 0 : 1;
usage:
	fprintf(stderr, "usage: icap_bench -p port -s service [-H host] "
	    "[-m reqmod|respmod] [-b bytes] [-c conns] [-t secs]\n");
	return 2;
}
