/*
 * Fuzz Cal.com's webhook: the payload parser and the signature check.
 * Oracles: an accepted payload gives a job whose uid and people obey the
 * rules (not empty, at most 200 bytes, UTF-8, no control character, an
 * email with one '@'), whose times are consistent, and which survives its
 * spool file's text both ways unchanged; the uid is the booking's uid
 * byte for byte, as the project's own JSON scanner decodes it (a
 * differential: nothing cut at a "\u0000"); a signature passes exactly
 * when it is the lowercase hex HMAC-SHA256 of the body, computed again
 * here.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <unistr.h>

#include "cal_webhook.h"
#include "job.h"
#include "json_scan.h"
#include "util.h"

#define SECRET		"fuzz-secret"
#define NOW		INT64_C(1795172460)	/* 2026-11-20T11:01:00Z */
#define MAX_WAIT	21600L

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_text(const char *s, size_t max, int may_be_empty)
{
	size_t len = strlen(s);

	if ((!may_be_empty && len == 0) || len > max ||
	    u8_check((const uint8_t *)s, len) != NULL || has_control(s, len))
		abort();
}

static void
check_who(const struct att_who *w)
{
	const char *at;

	check_text(w->email, ATT_TEXT_MAX - 1, 1);
	check_text(w->name, ATT_TEXT_MAX - 1, 1);
	if (w->given != (w->email[0] != '\0' || w->name[0] != '\0'))
		abort();
	if (w->email[0] != '\0' && ((at = strchr(w->email, '@')) == NULL ||
	    at == w->email || at[1] == '\0' || strchr(at + 1, '@') != NULL))
		abort();
}

static void
same_who(const struct att_who *a, const struct att_who *b)
{
	if (a->given != b->given || strcmp(a->email, b->email) != 0 ||
	    strcmp(a->name, b->name) != 0)
		abort();
}

static void
check_job(const struct job *j)
{
	struct buf	 text;
	struct job	 back;
	char		 name[JOB_NAME_LEN];

	check_text(j->uid, JOB_UID_MAX - 1, 0);
	check_who(&j->coach);
	check_who(&j->client);
	if (j->received != NOW || j->next != NOW || j->attempts != 0 ||
	    j->start < -1 || j->end < -1 || j->deadline < NOW + MAX_WAIT ||
	    j->deadline > NOW + 86400 + MAX_WAIT ||
	    j->last_error[0] != '\0' || j->writing[0] != '\0' ||
	    j->outcome[0] != '\0')
		abort();
	/* What the spool writes, it reads back the same. */
	buf_init(&text, JOB_MAX_BYTES);
	if (job_to_json(j, &text) < 0 ||
	    job_from_json(text.data, text.len, &back) < 0)
		abort();
	buf_free(&text);
	if (strcmp(back.uid, j->uid) != 0 || back.received != j->received ||
	    back.start != j->start || back.end != j->end ||
	    back.deadline != j->deadline || back.next != j->next ||
	    back.attempts != j->attempts)
		abort();
	same_who(&back.coach, &j->coach);
	same_who(&back.client, &j->client);
	job_file_name(j->uid, name);
	if (strlen(name) != JOB_NAME_LEN - 1 || strcmp(name + 32, ".job") != 0)
		abort();
}

/*
 * The value of obj's first member named key (as cJSON finds it: the
 * first, keys compared decoded). 1 found, 0 not there, -1 when the
 * scanner cannot walk it (its rules are stricter than cJSON's).
 */
static int
member(struct js_span obj, const char *key, struct js_span *val)
{
	struct js_iter	 it;
	struct js_span	 k, v;
	enum js_err	 e;

	if (js_iter_object(&it, obj) != JS_OK)
		return -1;
	while ((e = js_next_member(&it, &k, &v)) == JS_OK)
		if (js_key_equals(k, key)) {
			*val = v;
			return 1;
		}
	return e == JS_END ? 0 : -1;
}

/* The uid accepted is the uid sent, every byte of it. */
static void
same_uid(const uint8_t *data, size_t size, const struct job *j)
{
	struct js_span	 root = { (const char *)data, size }, booking, uid;
	struct buf	 text;
	int		 found;

	if ((found = member(root, "payload", &booking)) < 0)
		return;
	if (found == 0 || (booking.len == 4 && memcmp(booking.p, "null", 4) == 0))
		booking = root;
	if (member(booking, "uid", &uid) != 1)
		return;
	buf_init(&text, JOB_UID_MAX * 4);
	if (js_string_decode(uid, &text) == JS_OK &&
	    (text.len != strlen(j->uid) ||
	    memcmp(text.data, j->uid, text.len) != 0))
		abort();
	buf_free(&text);
}

/* The signature of body as Cal.com computes it. */
static void
expected_sig(const uint8_t *body, size_t len, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char	 mac[EVP_MAX_MD_SIZE];
	unsigned int	 maclen = 0, i;

	if (HMAC(EVP_sha256(), SECRET, (int)strlen(SECRET), body, len, mac,
	    &maclen) == NULL || maclen != 32)
		abort();
	for (i = 0; i < maclen; i++) {
		out[2 * i] = hex[mac[i] >> 4];
		out[2 * i + 1] = hex[mac[i] & 0x0f];
	}
	out[64] = '\0';
}

static void
check_signature(const uint8_t *data, size_t size)
{
	char		 header[65], want[65];
	const uint8_t	*body;
	size_t		 hlen, blen;
	enum cal_sig	 rc;

	/* The first 64 bytes (to a NUL) as the header, the rest the body. */
	hlen = size < 64 ? size : 64;
	memcpy(header, data, hlen);
	header[hlen] = '\0';
	body = data + hlen;
	blen = size - hlen;
	expected_sig(body, blen, want);
	rc = cal_check_signature(SECRET, 0, header, (const char *)body, blen);
	if ((rc == CAL_SIG_OK) != (strcmp(header, want) == 0) ||
	    rc == CAL_SIG_UNSIGNED)
		abort();
	rc = cal_check_signature(SECRET, 1, header, (const char *)body, blen);
	if (rc == CAL_SIG_OK && strcmp(header, want) != 0)
		abort();
	if (rc == CAL_SIG_UNSIGNED && header[0] != '\0' &&
	    strcmp(header, CAL_NO_SECRET) != 0)
		abort();
	/* The right signature of these bytes always passes. */
	expected_sig(data, size, want);
	if (cal_check_signature(SECRET, 0, want, (const char *)data, size) !=
	    CAL_SIG_OK)
		abort();
	/* No secret: nothing is OK. */
	if (cal_check_signature(NULL, 0, want, (const char *)data, size) !=
	    CAL_SIG_BAD)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct job	 j;
	const char	*field = NULL;
	enum cal_parse	 rc;

	if (size > CAL_MAX_BODY)
		return 0;
	rc = cal_parse((const char *)data, size, NOW, MAX_WAIT, &j, &field);
	if (field == NULL)
		abort();
	switch (rc) {
	case CAL_OK:
		check_job(&j);
		same_uid(data, size, &j);
		break;
	case CAL_EPAYLOAD:
		if (field[0] == '\0')
			abort();	/* the 400 must name the field */
		break;
	case CAL_IGNORED:
	case CAL_EJSON:
	case CAL_EUID:
		break;
	default:
		abort();
	}
	check_signature(data, size);
	return 0;
}
