/*
 * CA keys: generation, files and their permissions. Key bytes only ever
 * live in secure-heap BIOs or buffers that are cleansed before free.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/buffer.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "ca.h"
#include "cause.h"

static const struct {
	const char	*name;
	const char	*curve;		/* NULL for RSA */
	unsigned	 bits;
} ca_keys_types[] = {
	{ "ec-p256", "P-256", 0 },
	{ "ec-p384", "P-384", 0 },
	{ "rsa-2048", NULL, 2048 },
	{ "rsa-3072", NULL, 3072 },
	{ "rsa-4096", NULL, 4096 },
};

/* A fresh key of the named type (ec-p256, rsa-3072, ...); the caller frees. */
EVP_PKEY *
ca_keys_generate(const char *type, char **cause)
{
	EVP_PKEY	*pkey = NULL;
	size_t		 i;

	for (i = 0; i < sizeof ca_keys_types / sizeof ca_keys_types[0]; i++) {
		if (strcmp(type, ca_keys_types[i].name) != 0)
			continue;
		if (ca_keys_types[i].curve != NULL)
			pkey = EVP_EC_gen(ca_keys_types[i].curve);
		else
			pkey = EVP_RSA_gen(ca_keys_types[i].bits);
		if (pkey == NULL)
			cause_set(cause, "%s key generation failed", type);
		return pkey;
	}
	cause_set(cause, "unknown key type \"%s\" (%s)", type,
	    ca_keys_type_list());
	return NULL;
}

/* The key type names, comma-separated, from the table. */
const char *
ca_keys_type_list(void)
{
	static char	list[128];
	size_t		i, l = 0;

	if (list[0] != '\0')
		return list;
	for (i = 0; i < sizeof ca_keys_types / sizeof ca_keys_types[0] &&
	    l < sizeof list; i++)
		l += (size_t)snprintf(list + l, sizeof list - l, "%s%s",
		    i ? ", " : "", ca_keys_types[i].name);
	return list;
}

/*
 * Load a private key from path after checking its permissions: strict
 * (keys inside the CA directory) refuses any group or world access, else
 * (a key being imported) a world-readable file is refused. Returns the key
 * the caller frees, or NULL with a cause naming the file.
 */
EVP_PKEY *
ca_keys_load(const char *path, int strict, char **cause)
{
	struct stat	 sb;
	char		*buf = NULL;
	size_t		 len = 0;
	BIO		*bio = NULL;
	EVP_PKEY	*pkey = NULL;

	if (stat(path, &sb) == -1) {
		cause_set(cause, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (sb.st_mode & S_IROTH) {
		cause_set(cause,
		    "%s: private key is world-readable (mode %04o);"
		    " refusing it", path, (unsigned)(sb.st_mode & 07777));
		return NULL;
	}
	if (strict && (sb.st_mode & 0077)) {
		cause_set(cause, "%s: private key is accessible to group or "
		    "others (mode %04o); it must be 0600", path,
		    (unsigned)(sb.st_mode & 07777));
		return NULL;
	}
	if (ca_store_read(path, &buf, &len, cause) == -1)
		return NULL;
	if ((bio = BIO_new_mem_buf(buf, (int)len)) != NULL)
		pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	if (pkey == NULL)
		cause_set(cause, "%s: not a PEM private key (or encrypted)",
		    path);
	BIO_free(bio);
	OPENSSL_cleanse(buf, len);
	free(buf);
	ERR_clear_error();
	return pkey;
}

/*
 * The key as unencrypted PKCS#8 PEM ("BEGIN PRIVATE KEY", what Squid
 * reads), in a buffer the caller releases with ca_keys_free_pem.
 */
char *
ca_keys_pem(EVP_PKEY *pkey, size_t *len)
{
	BIO		*bio;
	BUF_MEM		*mem;
	char		*out = NULL;

	if ((bio = BIO_new(BIO_s_secmem())) == NULL)
		return NULL;
	if (PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL,
	    NULL) == 1 && BIO_get_mem_ptr(bio, &mem) == 1 &&
	    (out = malloc(mem->length + 1)) != NULL) {
		memcpy(out, mem->data, mem->length);
		out[mem->length] = '\0';
		*len = mem->length;
	}
	BIO_free(bio);
	return out;
}

void
ca_keys_free_pem(char *pem, size_t len)
{
	if (pem == NULL)
		return;
	OPENSSL_cleanse(pem, len);
	free(pem);
}

/* Write a key file atomically, mode 0600, owned by uid when root. */
int
ca_keys_write(const char *path, EVP_PKEY *pkey, uid_t uid, gid_t gid,
    char **cause)
{
	char	*pem;
	size_t	 len = 0;
	int	 rv;

	if ((pem = ca_keys_pem(pkey, &len)) == NULL) {
		cause_set(cause, "%s: cannot encode the key", path);
		return -1;
	}
	rv = ca_store_write(path, pem, len, 0600, uid, gid, cause);
	ca_keys_free_pem(pem, len);
	return rv;
}
