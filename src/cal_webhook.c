/* cal_webhook.c - Cal.com's webhook signature and payload; see the header. */
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <unistr.h>

#include "cal_webhook.h"
#include "json_scan.h"
#include "request.h"
#include "util.h"

#define SIG_HEX_LEN	64	/* SHA-256 in lowercase hex */

enum cal_sig
cal_check_signature(const char *secret, int allow_unsigned,
    const char *header, const char *body, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char	 mac[EVP_MAX_MD_SIZE];
	unsigned int	 maclen = 0;
	char		 want[SIG_HEX_LEN + 1];
	unsigned int	 i;
	int		 same;

	if (header == NULL || *header == '\0' ||
	    strcmp(header, CAL_NO_SECRET) == 0)
		return allow_unsigned ? CAL_SIG_UNSIGNED : CAL_SIG_BAD;
	if (secret == NULL)	/* nothing to check it with */
		return allow_unsigned ? CAL_SIG_UNSIGNED : CAL_SIG_BAD;
	/* The length is public (always 64); only the bytes are secret. */
	if (strlen(header) != SIG_HEX_LEN)
		return CAL_SIG_BAD;
	if (HMAC(EVP_sha256(), secret, (int)strlen(secret),
	    (const unsigned char *)body, len, mac, &maclen) == NULL ||
	    maclen * 2 != SIG_HEX_LEN)
		return CAL_SIG_BAD;
	for (i = 0; i < maclen; i++) {
		want[2 * i] = hex[mac[i] >> 4];
		want[2 * i + 1] = hex[mac[i] & 0x0f];
	}
	want[SIG_HEX_LEN] = '\0';
	same = CRYPTO_memcmp(want, header, SIG_HEX_LEN) == 0;
	OPENSSL_cleanse(mac, sizeof(mac));
	OPENSSL_cleanse(want, sizeof(want));
	return same ? CAL_SIG_OK : CAL_SIG_BAD;
}

/* An optional ISO 8601 time member: -1 when absent. 0, or -1 when wrong. */
static int
get_time(const cJSON *o, const char *key, int64_t *out)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(o, key);
	time_t		 t;

	*out = -1;
	if (v == NULL || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsString(v) || parse_utc_time(v->valuestring, &t) < 0)
		return -1;
	*out = (int64_t)t;
	return 0;
}

/*
 * An optional person object {"email", "name", ...}: who stays empty when
 * absent. 0, or -1 when it is there but wrong.
 */
static int
get_person(const cJSON *p, struct att_who *who)
{
	const cJSON	*e, *n;

	memset(who, 0, sizeof(*who));
	if (p == NULL || cJSON_IsNull(p))
		return 0;
	if (!cJSON_IsObject(p))
		return -1;
	e = cJSON_GetObjectItemCaseSensitive(p, "email");
	n = cJSON_GetObjectItemCaseSensitive(p, "name");
	if ((e != NULL && !cJSON_IsNull(e) && !cJSON_IsString(e)) ||
	    (n != NULL && !cJSON_IsNull(n) && !cJSON_IsString(n)))
		return -1;
	return req_who_set(who, cJSON_IsString(e) ? e->valuestring : NULL,
	    cJSON_IsString(n) ? n->valuestring : NULL);
}

/* A string cJSON decoded: no NUL was hidden in it ("\u0000"). */
static int
whole_string(const cJSON *v, size_t max)
{
	size_t len;

	if (!cJSON_IsString(v))
		return 0;
	len = strlen(v->valuestring);
	return len > 0 && len <= max &&
	    u8_check((const uint8_t *)v->valuestring, len) == NULL &&
	    !has_control(v->valuestring, len);
}

/*
 * An escaped NUL ("\u0000") anywhere in a string of valid JSON: cJSON
 * would cut the string there, and "a\u0000b" would become booking "a".
 * In valid JSON a backslash only occurs in a string, so an odd run of
 * them before "u0000" is that escape.
 */
static int
has_escaped_nul(const char *s, size_t len)
{
	size_t i, run;

	for (i = 0; i + 5 <= len; i++) {
		if (s[i] != 'u' || memcmp(s + i + 1, "0000", 4) != 0)
			continue;
		for (run = 0; run < i && s[i - 1 - run] == '\\'; run++)
			;
		if (run % 2 == 1)
			return 1;
	}
	return 0;
}

enum cal_parse
cal_parse(const char *body, size_t len, int64_t now, long max_wait,
    struct job *j, const char **field)
{
	cJSON		*root;
	const cJSON	*ev, *booking, *uid, *att;
	enum cal_parse	 rc = CAL_EPAYLOAD;

	memset(j, 0, sizeof(*j));
	*field = "";
	/* Strict first (grammar, UTF-8, depth), as the endpoint's bodies. */
	if (js_validate(body, len) != JS_OK)
		return CAL_EJSON;
	if (has_escaped_nul(body, len)) {
		*field = "a string holding \\u0000";
		return CAL_EPAYLOAD;
	}
	if ((root = cJSON_ParseWithLength(body, len)) == NULL)
		return CAL_EJSON;
	if (!cJSON_IsObject(root)) {
		rc = CAL_EJSON;
		goto out;
	}
	ev = cJSON_GetObjectItemCaseSensitive(root, "triggerEvent");
	if (!whole_string(ev, 64)) {
		*field = "triggerEvent";
		goto out;
	}
	if (strcmp(ev->valuestring, "MEETING_ENDED") != 0) {
		rc = CAL_IGNORED;
		goto out;
	}
	booking = cJSON_GetObjectItemCaseSensitive(root, "payload");
	if (booking == NULL || cJSON_IsNull(booking))
		booking = root;		/* the flat, scheduled-trigger shape */
	else if (!cJSON_IsObject(booking)) {
		*field = "payload";
		goto out;
	}
	uid = cJSON_GetObjectItemCaseSensitive(booking, "uid");
	if (!whole_string(uid, JOB_UID_MAX - 1)) {
		rc = CAL_EUID;
		goto out;
	}
	memcpy(j->uid, uid->valuestring, strlen(uid->valuestring) + 1);
	if (get_time(booking, "startTime", &j->start) < 0) {
		*field = "startTime";
		goto out;
	}
	if (get_time(booking, "endTime", &j->end) < 0) {
		*field = "endTime";
		goto out;
	}
	if (get_person(cJSON_GetObjectItemCaseSensitive(booking, "organizer"),
	    &j->coach) < 0) {
		*field = "organizer";
		goto out;
	}
	att = cJSON_GetObjectItemCaseSensitive(booking, "attendees");
	if (att != NULL && !cJSON_IsNull(att) && (!cJSON_IsArray(att) ||
	    get_person(cJSON_GetArrayItem(att, 0), &j->client) < 0)) {
		*field = "attendees";
		goto out;
	}
	j->received = now;
	j->next = now;
	/*
	 * Wait for Zoom until max_wait after the booking's end, or after now
	 * if Cal.com was late: a delivery hours late still gets its wait. An
	 * end far ahead is no reason to keep trying for days.
	 */
	j->deadline = (j->end > now && j->end < now + 86400 ? j->end : now) +
	    max_wait;
	rc = CAL_OK;
out:
	cJSON_Delete(root);
	return rc;
}
