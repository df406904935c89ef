/*
 * certgen_bench: drive an sslcrtd_program the way Squid does (one UNIX
 * socket as its stdin and stdout, one request at a time on the channel)
 * with Squid-shaped requests: host, Sign, SignHash, the signing CA
 * certificate and PKCS#8 key, a space and a distinct origin certificate
 * per host. Reports cold mints per second (every origin new) and cache
 * hits per second with p50/p99 latency (the last BENCH_HITSET origins
 * again, which fit in either helper's cache).
 *
 *   certgen_bench NAME COLD HITS -- PROGRAM [ARGS...]
 *
 * Prints one line: NAME cold_per_s cold_p50_ms hits_per_s hit_p50_ms
 * hit_p99_ms cold_cpu_us hit_cpu_us (the helper's CPU per request).
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "certgen_pki.h"

static double
now_s(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
cmp_double(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * CPU seconds the helper (all its threads) has used so far, from
 * /proc/PID/stat: on a loaded machine this is steadier than wall time.
 */
static double
cpu_s(pid_t pid)
{
	char			 path[64], buf[1024], *p;
	unsigned long		 ut = 0, st = 0;
	FILE			*f;
	int			 i;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	if (fgets(buf, sizeof buf, f) != NULL && (p = strrchr(buf,
	    ')')) != NULL) {
		for (i = 0; i < 11 && p != NULL; i++)
			p = strchr(p + 1, ' ');
		if (p != NULL)
			sscanf(p, " %lu %lu", &ut, &st);
	}
	fclose(f);
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* Start the helper on a socketpair; returns our end. */
static int
spawn(char **argv, pid_t *pid)
{
	int	sv[2], devnull;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		return -1;
	if ((*pid = fork()) == -1)
		return -1;
	if (*pid == 0) {
		devnull = open("/dev/null", O_WRONLY);
		dup2(sv[1], 0);
		dup2(sv[1], 1);
		if (getenv("BENCH_STDERR") == NULL)
			dup2(devnull, 2);
		close(sv[0]);
		close(sv[1]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(sv[1]);
	return sv[0];
}

/* Send one request and read its reply through the 0x01; seconds taken. */
static double
roundtrip(int fd, const char *req, size_t len, char *buf, size_t size)
{
	double	t0 = now_s();
	size_t	off = 0;
	ssize_t	n;

	while (off < len) {
		if ((n = write(fd, req + off, len - off)) <= 0) {
			perror("write");
			exit(1);
		}
		off += (size_t)n;
	}
	off = 0;
	for (;;) {
		if ((n = read(fd, buf + off, size - off)) <= 0) {
			fprintf(stderr, "helper closed the channel\n");
			exit(1);
		}
		off += (size_t)n;
		if (buf[off - 1] == '\1')
			break;
	}
	if (strncmp(buf, "OK ", 3) != 0) {
		fprintf(stderr, "helper answered: %.80s\n", buf);
		exit(1);
	}
	return now_s() - t0;
}

int
main(int argc, char **argv)
{
	struct pki_spec	 cas = { "Bench Issuing CA", NULL, 60, 1, NULL };
	EVP_PKEY	*cak, *ok;
	X509		*ca, *o;
	char		*ca_pem, *ca_key_pem, **reqs, params[256], name[64];
	char		*body, *buf;
	double		*lat, t0, c0, cold_s, hit_s, cold_cpu, hit_cpu;
	int		 ncold, nhits, i, fd, hitset, h;
	pid_t		 pid;

	if (argc < 6 || strcmp(argv[4], "--") != 0) {
		fprintf(stderr, "usage: %s NAME COLD HITS -- PROGRAM [ARGS]\n",
		    argv[0]);
		return 2;
	}
	ncold = atoi(argv[2]);
	nhits = atoi(argv[3]);
	if (ncold < 1 || nhits < 1) {
		fprintf(stderr, "COLD and HITS must be at least 1\n");
		return 2;
	}
	hitset = getenv("BENCH_HITSET") != NULL ? atoi(getenv("BENCH_HITSET")) :
	    500;
	if (hitset < 1 || hitset > ncold)
		hitset = ncold;
	cak = pki_key("EC");
	ca = pki_cert(&cas, cak, NULL, NULL);
	ca_pem = pki_pem_cert(ca);
	ca_key_pem = pki_pem_key(cak);
	reqs = calloc((size_t)ncold, sizeof *reqs);
	ok = pki_key("EC");
	for (i = 0; i < ncold; i++) {
		struct pki_spec os = { name, params, 90, 0, NULL };

		snprintf(name, sizeof name, "o%d.bench.test", i);
		snprintf(params, sizeof params, "DNS:%s,DNS:www.%s", name,
		    name);
		o = pki_cert(&os, ok, ca, cak);
		body = pki_pem_cert(o);
		snprintf(params, sizeof params, "host=%s\nSign=signTrusted\n"
		    "SignHash=SHA256\n", name);
		{
			char *b = pki_body(params, ca_pem, ca_key_pem, body);

			reqs[i] = pki_request("", b);
			free(b);
		}
		free(body);
		X509_free(o);
	}
	buf = malloc(1 << 20);
	lat = calloc((size_t)(ncold > nhits ? ncold : nhits), sizeof *lat);
	if ((fd = spawn(argv + 5, &pid)) == -1) {
		perror("spawn");
		return 1;
	}
	usleep(300000);		/* let a key pool fill */
	c0 = cpu_s(pid);
	t0 = now_s();
	for (i = 0; i < ncold; i++)
		lat[i] = roundtrip(fd, reqs[i], strlen(reqs[i]), buf, 1 << 20);
	cold_s = now_s() - t0;
	cold_cpu = cpu_s(pid) - c0;
	qsort(lat, (size_t)ncold, sizeof *lat, cmp_double);
	printf("%s cold_per_s=%.0f cold_p50_ms=%.3f", argv[1], ncold / cold_s,
	    lat[ncold / 2] * 1e3);
	c0 = cpu_s(pid);
	t0 = now_s();
	for (i = 0; i < nhits; i++) {
		h = ncold - hitset + i % hitset;
		lat[i] = roundtrip(fd, reqs[h], strlen(reqs[h]), buf, 1 << 20);
	}
	hit_s = now_s() - t0;
	hit_cpu = cpu_s(pid) - c0;
	qsort(lat, (size_t)nhits, sizeof *lat, cmp_double);
	printf(" hits_per_s=%.0f hit_p50_ms=%.3f hit_p99_ms=%.3f"
	    " cold_cpu_us=%.0f hit_cpu_us=%.1f\n",
	    nhits / hit_s, lat[nhits / 2] * 1e3, lat[nhits * 99 / 100] * 1e3,
	    cold_cpu * 1e6 / ncold, hit_cpu * 1e6 / nhits);
	close(fd);
	waitpid(pid, NULL, 0);
	return 0;
}
