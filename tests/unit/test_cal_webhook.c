/*
 * test_cal_webhook.c - Cal.com's MEETING_ENDED webhook: the signature
 * (HMAC-SHA256 of the raw body, lowercase hex, computed here again with
 * OpenSSL and checked against a vector from `openssl dgst -sha256 -hmac`)
 * and the payload in both shapes, every field wrong in turn, and the
 * job's times.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "cal_webhook.h"

#define SECRET		"whsec-test-1"
#define BODY		"{\"triggerEvent\":\"MEETING_ENDED\",\"uid\":\"bk-1\"}"
/*
 * printf '%s' "$BODY" | openssl dgst -sha256 -hmac whsec-test-1, and the
 * same for the empty body.
 */
#define BODY_SIG	"d5f8ddc5690f9939d0f14077881ce65a299a7b695fb109504752b6f4e29dcc43"
#define EMPTY_SIG	"667c7fd91cf31fc8b482f70f384a4dbbda1c53e322ca4f9e291be49fd5019129"

/* 2026-11-20T10:00:00Z and 11:00:00Z as epoch seconds (date -u +%s). */
#define T10		INT64_C(1795168800)
#define T11		INT64_C(1795172400)
#define MAX_WAIT	21600L

/* The lowercase hex HMAC-SHA256 of body with secret, by OpenSSL here. */
static void
hmac_hex(const char *secret, const char *body, size_t len, char out[65])
{
	unsigned char	mac[EVP_MAX_MD_SIZE];
	unsigned int	maclen = 0, i;

	assert_non_null(HMAC(EVP_sha256(), secret, (int)strlen(secret),
	    (const unsigned char *)body, len, mac, &maclen));
	assert_int_equal(maclen, 32);
	for (i = 0; i < maclen; i++)
		snprintf(out + 2 * i, 3, "%02x", mac[i]);
}

static enum cal_sig
check(const char *secret, int allow, const char *header, const char *body)
{
	return cal_check_signature(secret, allow, header, body, strlen(body));
}

/* ---- signature ------------------------------------------------------- */

static void
test_sig_known_vector(void **state)
{
	char sig[65];

	(void)state;
	hmac_hex(SECRET, BODY, strlen(BODY), sig);
	assert_string_equal(sig, BODY_SIG);	/* the test's own HMAC agrees */
	assert_int_equal(check(SECRET, 0, BODY_SIG, BODY), CAL_SIG_OK);
	/* allow_unsigned changes nothing for a good signature. */
	assert_int_equal(check(SECRET, 1, BODY_SIG, BODY), CAL_SIG_OK);
	/* The empty body has a signature too. */
	assert_int_equal(cal_check_signature(SECRET, 0, EMPTY_SIG, "", 0),
	    CAL_SIG_OK);
	assert_int_equal(cal_check_signature(SECRET, 0, BODY_SIG, "", 0),
	    CAL_SIG_BAD);
}

static void
test_sig_computed(void **state)
{
	static const char *const bodies[] = {
		"{}",
		"{\"triggerEvent\":\"MEETING_ENDED\",\"createdAt\":"
		    "\"2026-11-20T11:00:05.123Z\",\"payload\":{\"uid\":\"x\"}}",
		"{\"uid\":\"caf\xc3\xa9 \\u00e9\\n\"}",
	};
	static const char *const secrets[] = { "s", SECRET,
	    "a much longer secret than the 64 bytes of one SHA-256 block, so "
	    "that HMAC hashes the key first" };
	char	sig[65];
	size_t	i, k;

	(void)state;
	for (k = 0; k < sizeof(secrets) / sizeof(secrets[0]); k++)
		for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
			hmac_hex(secrets[k], bodies[i], strlen(bodies[i]), sig);
			assert_int_equal(check(secrets[k], 0, sig, bodies[i]),
			    CAL_SIG_OK);
			/* Another secret's signature is not ours. */
			assert_int_equal(check("other", 0, sig, bodies[i]),
			    CAL_SIG_BAD);
		}
}

static void
test_sig_body_with_nul(void **state)
{
	static const char body[] = "{\"uid\":\"a\"}\0tail";
	char sig[65];

	(void)state;
	/* The exact bytes, len of them: a NUL inside is part of the body. */
	hmac_hex(SECRET, body, sizeof(body) - 1, sig);
	assert_int_equal(cal_check_signature(SECRET, 0, sig, body,
	    sizeof(body) - 1), CAL_SIG_OK);
	assert_int_equal(cal_check_signature(SECRET, 0, sig, body,
	    strlen(body)), CAL_SIG_BAD);
}

/* The signature with the hex digit at i replaced by another. */
static void
flip_digit(char *sig, size_t i)
{
	sig[i] = sig[i] == '0' ? '1' : '0';
}

static void
test_sig_one_digit_wrong(void **state)
{
	char	sig[65];
	size_t	i;

	(void)state;
	for (i = 0; i < 64; i++) {
		memcpy(sig, BODY_SIG, sizeof(sig));
		flip_digit(sig, i);
		if (check(SECRET, 0, sig, BODY) != CAL_SIG_BAD)
			fail_msg("digit %zu changed and still accepted", i);
		/* allow_unsigned does not make a wrong signature pass. */
		if (check(SECRET, 1, sig, BODY) != CAL_SIG_BAD)
			fail_msg("digit %zu changed, allow_unsigned: accepted", i);
	}
}

static void
test_sig_uppercase(void **state)
{
	char	sig[65];
	size_t	i;

	(void)state;
	memcpy(sig, BODY_SIG, sizeof(sig));
	for (i = 0; i < 64; i++)
		if (sig[i] >= 'a' && sig[i] <= 'f')
			sig[i] = (char)(sig[i] - 'a' + 'A');
	assert_int_equal(check(SECRET, 0, sig, BODY), CAL_SIG_BAD);
	assert_int_equal(check(SECRET, 1, sig, BODY), CAL_SIG_BAD);
	/* One uppercase digit is enough. */
	memcpy(sig, BODY_SIG, sizeof(sig));
	sig[0] = 'D';			/* "d5f8...": the same digit, uppercase */
	assert_int_equal(check(SECRET, 0, sig, BODY), CAL_SIG_BAD);
}

static void
test_sig_prefix_and_length(void **state)
{
	char sig[80];

	(void)state;
	snprintf(sig, sizeof(sig), "sha256=%s", BODY_SIG);
	assert_int_equal(check(SECRET, 0, sig, BODY), CAL_SIG_BAD);
	assert_int_equal(check(SECRET, 1, sig, BODY), CAL_SIG_BAD);
	/* 63 characters: the last one dropped. */
	snprintf(sig, sizeof(sig), "%.63s", BODY_SIG);
	assert_int_equal(check(SECRET, 0, sig, BODY), CAL_SIG_BAD);
	assert_int_equal(check(SECRET, 1, sig, BODY), CAL_SIG_BAD);
	/* 65: one more, whatever it is. */
	snprintf(sig, sizeof(sig), "%s0", BODY_SIG);
	assert_int_equal(check(SECRET, 0, sig, BODY), CAL_SIG_BAD);
	snprintf(sig, sizeof(sig), "%s ", BODY_SIG);
	assert_int_equal(check(SECRET, 0, sig, BODY), CAL_SIG_BAD);
	snprintf(sig, sizeof(sig), " %s", BODY_SIG);
	assert_int_equal(check(SECRET, 0, sig, BODY), CAL_SIG_BAD);
	/* 64 characters that are not hex. */
	memset(sig, 'z', 64);
	sig[64] = '\0';
	assert_int_equal(check(SECRET, 0, sig, BODY), CAL_SIG_BAD);
	/* The body's SHA-256 without the key is not its HMAC. */
	assert_int_equal(check(SECRET, 0,
	    "0000000000000000000000000000000000000000000000000000000000000000",
	    BODY), CAL_SIG_BAD);
}

static void
test_sig_missing(void **state)
{
	(void)state;
	/* No header, an empty one, Cal.com's "no secret" value. */
	assert_int_equal(check(SECRET, 0, NULL, BODY), CAL_SIG_BAD);
	assert_int_equal(check(SECRET, 0, "", BODY), CAL_SIG_BAD);
	assert_int_equal(check(SECRET, 0, CAL_NO_SECRET, BODY), CAL_SIG_BAD);
	assert_string_equal(CAL_NO_SECRET, "no-secret-provided");
	/* Accepted as unsigned only when the operator said so. */
	assert_int_equal(check(SECRET, 1, NULL, BODY), CAL_SIG_UNSIGNED);
	assert_int_equal(check(SECRET, 1, "", BODY), CAL_SIG_UNSIGNED);
	assert_int_equal(check(SECRET, 1, CAL_NO_SECRET, BODY),
	    CAL_SIG_UNSIGNED);
	/* The literal exactly: not a prefix, not another case. */
	assert_int_equal(check(SECRET, 1, "no-secret-provided ", BODY),
	    CAL_SIG_BAD);
	assert_int_equal(check(SECRET, 1, "No-Secret-Provided", BODY),
	    CAL_SIG_BAD);
}

static void
test_sig_no_secret(void **state)
{
	(void)state;
	/* No secret configured: nothing can be checked, nothing is OK. */
	assert_int_equal(check(NULL, 0, BODY_SIG, BODY), CAL_SIG_BAD);
	assert_int_equal(check(NULL, 0, NULL, BODY), CAL_SIG_BAD);
	assert_int_equal(check(NULL, 0, CAL_NO_SECRET, BODY), CAL_SIG_BAD);
	assert_int_equal(check(NULL, 1, NULL, BODY), CAL_SIG_UNSIGNED);
	assert_int_equal(check(NULL, 1, CAL_NO_SECRET, BODY), CAL_SIG_UNSIGNED);
	assert_int_equal(check(NULL, 1, BODY_SIG, BODY), CAL_SIG_UNSIGNED);
}

static void
test_sig_body_changed(void **state)
{
	char	body[sizeof(BODY)], sig[65];
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(BODY) - 1; i++) {
		memcpy(body, BODY, sizeof(BODY));
		body[i] ^= 0x01;
		if (check(SECRET, 0, BODY_SIG, body) != CAL_SIG_BAD)
			fail_msg("byte %zu changed, signature accepted", i);
	}
	/* One byte fewer, one more (the length is signed too). */
	assert_int_equal(cal_check_signature(SECRET, 0, BODY_SIG, BODY,
	    strlen(BODY) - 1), CAL_SIG_BAD);
	hmac_hex(SECRET, BODY "\n", strlen(BODY) + 1, sig);
	assert_int_equal(check(SECRET, 0, sig, BODY), CAL_SIG_BAD);
}

/* ---- payload ------------------------------------------------------- */

static enum cal_parse
parse_at(const char *body, int64_t now, struct job *j, const char **field)
{
	return cal_parse(body, strlen(body), now, MAX_WAIT, j, field);
}

static enum cal_parse
parse(const char *body, struct job *j, const char **field)
{
	return parse_at(body, T11 + 60, j, field);
}

/* body must give rc and, for CAL_EPAYLOAD, name want_field. */
static void
expect(const char *body, enum cal_parse rc, const char *want_field)
{
	struct job	 j;
	const char	*field = NULL;
	enum cal_parse	 got = parse(body, &j, &field);

	if (got != rc)
		fail_msg("%s: got %d, want %d (field \"%s\")", body, (int)got,
		    (int)rc, field ? field : "(null)");
	assert_non_null(field);
	if (want_field != NULL && strcmp(field, want_field) != 0)
		fail_msg("%s: field \"%s\", want \"%s\"", body, field,
		    want_field);
}

/*
 * body must be refused with a 400 (not accepted, not ignored), by one of
 * the codes in the mask (1 << CAL_...); a CAL_EPAYLOAD names a field.
 */
static void
expect_refused(const char *body, unsigned mask)
{
	struct job	 j;
	const char	*field = NULL;
	enum cal_parse	 got = parse(body, &j, &field);

	if (!(mask & (1u << got)))
		fail_msg("%s: got %d (field \"%s\"), want one of mask %#x",
		    body, (int)got, field ? field : "(null)", mask);
	assert_non_null(field);
	if (got == CAL_EPAYLOAD && field[0] == '\0')
		fail_msg("%s: CAL_EPAYLOAD names no field", body);
}

#define R_JSON		(1u << CAL_EJSON)
#define R_PAYLOAD	(1u << CAL_EPAYLOAD)
#define R_UID		(1u << CAL_EUID)

/* A MEETING_ENDED body with one booking member given as raw JSON. */
static void
flat_with(char *out, size_t len, const char *member)
{
	snprintf(out, len, "{\"triggerEvent\":\"MEETING_ENDED\","
	    "\"uid\":\"bk-1\",%s}", member);
}

static void
wrapped_with(char *out, size_t len, const char *member)
{
	snprintf(out, len, "{\"triggerEvent\":\"MEETING_ENDED\",\"createdAt\":"
	    "\"2026-11-20T11:00:05.000Z\",\"payload\":{\"uid\":\"bk-1\",%s}}",
	    member);
}

static void
test_parse_flat(void **state)
{
	/* The scheduled-trigger shape: the booking row at the top level. */
	static const char body[] =
	    "{\"triggerEvent\":\"MEETING_ENDED\",\"id\":42,"
	    "\"uid\":\"3JmsLZFu4nUmYFbaTTCx1N\",\"title\":\"Coaching\","
	    "\"startTime\":\"2026-11-20T10:00:00.000Z\","
	    "\"endTime\":\"2026-11-20T11:00:00.000Z\","
	    "\"location\":\"integrations:zoom\",\"status\":\"ACCEPTED\","
	    "\"userId\":7,\"eventTypeId\":3,\"metadata\":{\"videoCallUrl\":"
	    "\"https://us02web.zoom.us/j/85746065432?pwd=abc\"},"
	    "\"responses\":{\"name\":\"Cli\"}}";
	struct job	 j;
	const char	*field;

	(void)state;
	assert_int_equal(parse(body, &j, &field), CAL_OK);
	assert_string_equal(j.uid, "3JmsLZFu4nUmYFbaTTCx1N");
	assert_int_equal(j.start, T10);
	assert_int_equal(j.end, T11);
	assert_false(j.coach.given);
	assert_false(j.client.given);
	assert_int_equal(j.received, T11 + 60);
	assert_int_equal(j.next, T11 + 60);
	assert_int_equal(j.attempts, 0);
	assert_string_equal(j.last_error, "");
	assert_string_equal(j.writing, "");
	assert_string_equal(j.outcome, "");
}

static void
test_parse_wrapped(void **state)
{
	static const char body[] =
	    "{\"triggerEvent\":\"MEETING_ENDED\","
	    "\"createdAt\":\"2026-11-20T11:00:05.123Z\","
	    "\"payload\":{\"bookingId\":42,\"uid\":\"wrapped-uid-1\","
	    "\"title\":\"Coaching\",\"startTime\":\"2026-11-20T11:00:00+01:00\","
	    "\"endTime\":\"2026-11-20T11:00:00Z\","
	    "\"organizer\":{\"id\":7,\"name\":\"Coach Carter\","
	    "\"email\":\"coach@example.com\",\"timeZone\":\"Europe/Paris\","
	    "\"language\":{\"locale\":\"fr\"}},"
	    "\"attendees\":[{\"name\":\"Client \xc3\x89lise\","
	    "\"email\":\"client@example.com\",\"timeZone\":\"UTC\"},"
	    "{\"name\":\"Second\",\"email\":\"second@example.com\"}]}}";
	struct job	 j;
	const char	*field;

	(void)state;
	assert_int_equal(parse(body, &j, &field), CAL_OK);
	assert_string_equal(j.uid, "wrapped-uid-1");
	assert_int_equal(j.start, T10);		/* +01:00 taken into account */
	assert_int_equal(j.end, T11);
	assert_true(j.coach.given);
	assert_string_equal(j.coach.email, "coach@example.com");
	assert_string_equal(j.coach.name, "Coach Carter");
	/* The client is the first attendee. */
	assert_true(j.client.given);
	assert_string_equal(j.client.email, "client@example.com");
	assert_string_equal(j.client.name, "Client \xc3\x89lise");
}

static void
test_parse_wrapped_uid_only_inside(void **state)
{
	struct job	 j;
	const char	*field;

	(void)state;
	/* The wrapper's own members are not the booking's. */
	assert_int_equal(parse("{\"triggerEvent\":\"MEETING_ENDED\","
	    "\"uid\":\"outer\",\"payload\":{\"uid\":\"inner\"}}", &j, &field),
	    CAL_OK);
	assert_string_equal(j.uid, "inner");
	/* A null payload is the flat shape. */
	assert_int_equal(parse("{\"triggerEvent\":\"MEETING_ENDED\","
	    "\"uid\":\"flat\",\"payload\":null}", &j, &field), CAL_OK);
	assert_string_equal(j.uid, "flat");
}

static void
test_parse_people_optional(void **state)
{
	char		 b[1024];
	struct job	 j;
	const char	*field;

	(void)state;
	/* Only a name, or only an email: given. */
	flat_with(b, sizeof(b), "\"organizer\":{\"name\":\"Coach\"},"
	    "\"attendees\":[{\"email\":\"c@x.org\"}]");
	assert_int_equal(parse(b, &j, &field), CAL_OK);
	assert_true(j.coach.given);
	assert_string_equal(j.coach.email, "");
	assert_string_equal(j.coach.name, "Coach");
	assert_true(j.client.given);
	assert_string_equal(j.client.email, "c@x.org");
	/* null everywhere, an empty object, an empty array: not given. */
	flat_with(b, sizeof(b), "\"organizer\":null,\"attendees\":null");
	assert_int_equal(parse(b, &j, &field), CAL_OK);
	assert_false(j.coach.given);
	assert_false(j.client.given);
	flat_with(b, sizeof(b), "\"organizer\":{},\"attendees\":[]");
	assert_int_equal(parse(b, &j, &field), CAL_OK);
	assert_false(j.coach.given);
	assert_false(j.client.given);
	flat_with(b, sizeof(b), "\"organizer\":{\"email\":null,\"name\":null},"
	    "\"attendees\":[null]");
	assert_int_equal(parse(b, &j, &field), CAL_OK);
	assert_false(j.coach.given);
	assert_false(j.client.given);
	wrapped_with(b, sizeof(b), "\"attendees\":[]");
	assert_int_equal(parse(b, &j, &field), CAL_OK);
	assert_false(j.client.given);
	/* 255 bytes is the longest name or email. */
	{
		char name[256], member[400];

		memset(name, 'n', 255);
		name[255] = '\0';
		snprintf(member, sizeof(member), "\"organizer\":{\"name\":\"%s\"}",
		    name);
		flat_with(b, sizeof(b), member);
		assert_int_equal(parse(b, &j, &field), CAL_OK);
		assert_int_equal(strlen(j.coach.name), 255);
		memset(name, 'e', 253);
		memcpy(name + 253, "@x", 3);
		snprintf(member, sizeof(member), "\"organizer\":{\"email\":\"%s\"}",
		    name);
		flat_with(b, sizeof(b), member);
		assert_int_equal(parse(b, &j, &field), CAL_OK);
		assert_int_equal(strlen(j.coach.email), 255);
	}
}

static void
test_parse_other_trigger(void **state)
{
	(void)state;
	expect("{\"triggerEvent\":\"BOOKING_CREATED\",\"payload\":{\"uid\":\"x\"}}",
	    CAL_IGNORED, NULL);
	expect("{\"triggerEvent\":\"MEETING_STARTED\",\"uid\":\"x\"}",
	    CAL_IGNORED, NULL);
	/* Ignored before anything else is read: a bad payload is no error. */
	expect("{\"triggerEvent\":\"PING\"}", CAL_IGNORED, NULL);
	expect("{\"triggerEvent\":\"BOOKING_CANCELLED\",\"payload\":7,"
	    "\"uid\":5}", CAL_IGNORED, NULL);
	/* The name exactly. */
	expect("{\"triggerEvent\":\"meeting_ended\",\"uid\":\"x\"}",
	    CAL_IGNORED, NULL);
	expect("{\"triggerEvent\":\"MEETING_ENDED \",\"uid\":\"x\"}",
	    CAL_IGNORED, NULL);
}

static void
test_parse_not_json(void **state)
{
	static const char *const bodies[] = {
		"", " ", "{", "}", "{\"triggerEvent\":", "{\"a\":1,}",
		"{'triggerEvent':'MEETING_ENDED'}", "triggerEvent=MEETING_ENDED",
		"{\"triggerEvent\":\"MEETING_ENDED\",\"uid\":\"x\"",
		"{\"triggerEvent\":\"MEETING_ENDED\",\"uid\":x}",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++)
		expect(bodies[i], CAL_EJSON, "");
	/* Valid JSON, not an object. */
	expect("[]", CAL_EJSON, "");
	expect("[{\"triggerEvent\":\"MEETING_ENDED\",\"uid\":\"x\"}]", CAL_EJSON,
	    "");
	expect("\"MEETING_ENDED\"", CAL_EJSON, "");
	expect("42", CAL_EJSON, "");
	expect("null", CAL_EJSON, "");
	expect("true", CAL_EJSON, "");
}

static void
test_parse_trailing_data(void **state)
{
	(void)state;
	/* One JSON value and nothing but blanks after it. */
	expect("{\"triggerEvent\":\"MEETING_ENDED\",\"uid\":\"x\"} \r\n",
	    CAL_OK, "");
	expect("{\"triggerEvent\":\"MEETING_ENDED\",\"uid\":\"x\"}garbage",
	    CAL_EJSON, "");
	expect("{\"triggerEvent\":\"MEETING_ENDED\",\"uid\":\"x\"}"
	    "{\"triggerEvent\":\"MEETING_ENDED\",\"uid\":\"y\"}", CAL_EJSON, "");
}

static void
test_parse_length_respected(void **state)
{
	static const char body[] =
	    "{\"triggerEvent\":\"MEETING_ENDED\",\"uid\":\"x\"}";
	char		*copy;
	struct job	 j;
	const char	*field;

	(void)state;
	/* Not NUL-terminated: exactly len bytes are read. */
	assert_non_null(copy = malloc(sizeof(body) - 1));
	memcpy(copy, body, sizeof(body) - 1);
	assert_int_equal(cal_parse(copy, sizeof(body) - 1, T11, MAX_WAIT, &j,
	    &field), CAL_OK);
	assert_string_equal(j.uid, "x");
	/* One byte short: the closing brace is missing. */
	assert_int_equal(cal_parse(copy, sizeof(body) - 2, T11, MAX_WAIT, &j,
	    &field), CAL_EJSON);
	free(copy);
}

static void
test_parse_trigger_event(void **state)
{
	(void)state;
	expect("{\"uid\":\"x\"}", CAL_EPAYLOAD, "triggerEvent");
	expect("{}", CAL_EPAYLOAD, "triggerEvent");
	expect("{\"triggerEvent\":null,\"uid\":\"x\"}", CAL_EPAYLOAD,
	    "triggerEvent");
	expect("{\"triggerEvent\":1,\"uid\":\"x\"}", CAL_EPAYLOAD,
	    "triggerEvent");
	expect("{\"triggerEvent\":[\"MEETING_ENDED\"],\"uid\":\"x\"}",
	    CAL_EPAYLOAD, "triggerEvent");
	expect("{\"triggerEvent\":{\"name\":\"MEETING_ENDED\"},\"uid\":\"x\"}",
	    CAL_EPAYLOAD, "triggerEvent");
	expect("{\"triggerEvent\":\"\",\"uid\":\"x\"}", CAL_EPAYLOAD,
	    "triggerEvent");
	expect("{\"triggerEvent\":\"MEETING\\n_ENDED\",\"uid\":\"x\"}",
	    CAL_EPAYLOAD, "triggerEvent");
	/* Case-sensitive member name. */
	expect("{\"TriggerEvent\":\"MEETING_ENDED\",\"uid\":\"x\"}",
	    CAL_EPAYLOAD, "triggerEvent");
}

static void
test_parse_trigger_event_nul(void **state)
{
	(void)state;
	/* "MEETING_ENDED" followed by a hidden NUL is another word: a 400. */
	expect_refused("{\"triggerEvent\":\"MEETING_ENDED\\u0000x\","
	    "\"uid\":\"x\"}", R_PAYLOAD);
}

static void
test_parse_payload_not_object(void **state)
{
	(void)state;
	expect("{\"triggerEvent\":\"MEETING_ENDED\",\"payload\":\"x\","
	    "\"uid\":\"x\"}", CAL_EPAYLOAD, "payload");
	expect("{\"triggerEvent\":\"MEETING_ENDED\",\"payload\":[{\"uid\":\"x\"}]}",
	    CAL_EPAYLOAD, "payload");
	expect("{\"triggerEvent\":\"MEETING_ENDED\",\"payload\":42}",
	    CAL_EPAYLOAD, "payload");
	expect("{\"triggerEvent\":\"MEETING_ENDED\",\"payload\":true}",
	    CAL_EPAYLOAD, "payload");
}

static void
test_parse_uid(void **state)
{
	char	b[1024], uid[300], member[400];
	size_t	i;

	(void)state;
	/* Missing, in either shape. */
	expect("{\"triggerEvent\":\"MEETING_ENDED\"}", CAL_EUID, NULL);
	expect("{\"triggerEvent\":\"MEETING_ENDED\",\"payload\":{}}", CAL_EUID,
	    NULL);
	expect("{\"triggerEvent\":\"MEETING_ENDED\",\"payload\":{\"id\":4}}",
	    CAL_EUID, NULL);
	expect("{\"triggerEvent\":\"MEETING_ENDED\",\"uid\":\"x\","
	    "\"payload\":{\"title\":\"t\"}}", CAL_EUID, NULL);
	/* Not a string, or empty. */
	expect("{\"triggerEvent\":\"MEETING_ENDED\",\"uid\":\"\"}", CAL_EUID,
	    NULL);
	expect("{\"triggerEvent\":\"MEETING_ENDED\",\"uid\":null}", CAL_EUID,
	    NULL);
	expect("{\"triggerEvent\":\"MEETING_ENDED\",\"uid\":42}", CAL_EUID, NULL);
	expect("{\"triggerEvent\":\"MEETING_ENDED\",\"uid\":true}", CAL_EUID,
	    NULL);
	expect("{\"triggerEvent\":\"MEETING_ENDED\",\"uid\":[\"x\"]}", CAL_EUID,
	    NULL);
	expect("{\"triggerEvent\":\"MEETING_ENDED\",\"uid\":{\"v\":\"x\"}}",
	    CAL_EUID, NULL);
	expect("{\"triggerEvent\":\"MEETING_ENDED\",\"payload\":{\"uid\":7}}",
	    CAL_EUID, NULL);
	/* 200 bytes is the longest; 201 is refused. */
	memset(uid, 'u', 200);
	uid[200] = '\0';
	snprintf(member, sizeof(member), "\"uid\":\"%s\"", uid);
	snprintf(b, sizeof(b), "{\"triggerEvent\":\"MEETING_ENDED\",%s}", member);
	expect(b, CAL_OK, "");
	memset(uid, 'u', 201);
	uid[201] = '\0';
	snprintf(member, sizeof(member), "\"uid\":\"%s\"", uid);
	snprintf(b, sizeof(b), "{\"triggerEvent\":\"MEETING_ENDED\",%s}", member);
	expect(b, CAL_EUID, NULL);
	snprintf(b, sizeof(b), "{\"triggerEvent\":\"MEETING_ENDED\","
	    "\"payload\":{%s}}", member);
	expect(b, CAL_EUID, NULL);
	/* 200 bytes of UTF-8 (100 two-byte characters) is fine. */
	for (i = 0; i < 100; i++)
		memcpy(uid + 2 * i, "\xc3\xa9", 2);
	uid[200] = '\0';
	snprintf(b, sizeof(b), "{\"triggerEvent\":\"MEETING_ENDED\","
	    "\"uid\":\"%s\"}", uid);
	expect(b, CAL_OK, "");
}

static void
test_parse_uid_bad_bytes(void **state)
{
	static const char *const uids[] = {
		"\\u0001x", "a\\nb", "a\\tb", "a\\rb", "x\\u001f",
		"x\\u007f",			/* DEL */
		"x\\u0085",			/* C1 NEL */
		"x\xc2\x9by",			/* C1 CSI, raw */
		"x\x01y",			/* raw control byte */
		"\xff", "a\xc3", "\xc0\xaf",	/* invalid UTF-8 */
		"\xed\xa0\x80",			/* a surrogate, as UTF-8 */
		"\xf8\x88\x80\x80\x80",		/* 5 bytes */
	};
	char	b[256];
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(uids) / sizeof(uids[0]); i++) {
		struct job	 j;
		const char	*field;
		enum cal_parse	 rc;

		snprintf(b, sizeof(b), "{\"triggerEvent\":\"MEETING_ENDED\","
		    "\"uid\":\"%s\"}", uids[i]);
		rc = parse(b, &j, &field);
		/* cJSON may refuse raw control bytes itself: also a 400. */
		if (rc != CAL_EUID && rc != CAL_EJSON)
			fail_msg("uid \"%s\": got %d, want CAL_EUID", uids[i],
			    (int)rc);
	}
}

static void
test_parse_uid_nul(void **state)
{
	(void)state;
	/* "\u0000" alone decodes to an empty string. */
	expect_refused("{\"triggerEvent\":\"MEETING_ENDED\",\"uid\":\"\\u0000\"}",
	    R_UID | R_PAYLOAD);
	/*
	 * Inside: the C string would stop there ("ab"), so two bookings
	 * "ab\u0000cd" and "ab\u0000xy" would be one job. Refused.
	 */
	expect_refused("{\"triggerEvent\":\"MEETING_ENDED\",\"uid\":\"ab\\u0000cd\"}",
	    R_UID | R_PAYLOAD);
	expect_refused("{\"triggerEvent\":\"MEETING_ENDED\",\"payload\":"
	    "{\"uid\":\"ab\\u0000\"}}", R_UID | R_PAYLOAD);
	/* The same for a person: "a@b\u0000 x" is not the email "a@b". */
	expect_refused("{\"triggerEvent\":\"MEETING_ENDED\",\"uid\":\"ab\","
	    "\"organizer\":{\"email\":\"a@b\\u0000 x\"}}", R_PAYLOAD);
	expect_refused("{\"triggerEvent\":\"MEETING_ENDED\",\"uid\":\"ab\","
	    "\"attendees\":[{\"name\":\"\\u0000\\u0001\"}]}", R_PAYLOAD);
	/* An escaped backslash before "u0000" is no NUL: text "\\u0000". */
	{
		struct job	 j;
		const char	*field;

		assert_int_equal(parse("{\"triggerEvent\":\"MEETING_ENDED\","
		    "\"uid\":\"ab\\\\u0000\"}", &j, &field), CAL_OK);
		assert_string_equal(j.uid, "ab\\u0000");
		assert_int_equal(parse("{\"triggerEvent\":\"MEETING_ENDED\","
		    "\"uid\":\"ab\\\\\\u0000\"}", &j, &field) == CAL_OK, 0);
	}
}

static void
test_parse_times_wrong(void **state)
{
	static const char *const values[] = {
		"\"\"", "\"2026-11-20\"", "\"2026-11-20 10:00:00Z\"",
		"\"2026-13-01T00:00:00Z\"", "\"2026-02-30T00:00:00Z\"",
		"\"2026-11-20T24:00:00Z\"", "\"2026-11-20T10:00:00\"",
		"\"2026-11-20T10:00:00+0100\"", "\"2026-11-20T10:00:00.Z\"",
		"\"1969-12-31T23:59:59Z\"", "\"tomorrow\"", "\"2026-11-20T10:00:00Zjunk\"",
		"1795168800", "true", "[]", "{}",
	};
	static const char *const keys[] = { "startTime", "endTime" };
	char	member[128], b[512];
	size_t	i, k;

	(void)state;
	for (k = 0; k < 2; k++)
		for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
			snprintf(member, sizeof(member), "\"%s\":%s", keys[k],
			    values[i]);
			flat_with(b, sizeof(b), member);
			expect(b, CAL_EPAYLOAD, keys[k]);
			wrapped_with(b, sizeof(b), member);
			expect(b, CAL_EPAYLOAD, keys[k]);
		}
}

static void
test_parse_times_absent(void **state)
{
	char		 b[512];
	struct job	 j;
	const char	*field;

	(void)state;
	assert_int_equal(parse("{\"triggerEvent\":\"MEETING_ENDED\","
	    "\"uid\":\"x\"}", &j, &field), CAL_OK);
	assert_int_equal(j.start, -1);
	assert_int_equal(j.end, -1);
	/* null is absent too. */
	flat_with(b, sizeof(b), "\"startTime\":null,\"endTime\":null");
	assert_int_equal(parse(b, &j, &field), CAL_OK);
	assert_int_equal(j.start, -1);
	assert_int_equal(j.end, -1);
	/* One without the other. */
	wrapped_with(b, sizeof(b), "\"startTime\":\"2026-11-20T10:00:00Z\"");
	assert_int_equal(parse(b, &j, &field), CAL_OK);
	assert_int_equal(j.start, T10);
	assert_int_equal(j.end, -1);
	/* A fraction of a second is accepted and dropped. */
	wrapped_with(b, sizeof(b), "\"endTime\":\"2026-11-20T11:00:00.999Z\"");
	assert_int_equal(parse(b, &j, &field), CAL_OK);
	assert_int_equal(j.start, -1);
	assert_int_equal(j.end, T11);
}

static void
test_parse_people_wrong(void **state)
{
	static const struct {
		const char	*member;
		const char	*field;
	} cases[] = {
		{ "\"organizer\":\"coach@example.com\"", "organizer" },
		{ "\"organizer\":[{\"email\":\"c@x\"}]", "organizer" },
		{ "\"organizer\":42", "organizer" },
		{ "\"organizer\":true", "organizer" },
		{ "\"organizer\":{\"email\":42}", "organizer" },
		{ "\"organizer\":{\"email\":[\"c@x\"]}", "organizer" },
		{ "\"organizer\":{\"name\":{\"first\":\"C\"}}", "organizer" },
		{ "\"organizer\":{\"email\":\"nobody\"}", "organizer" },
		{ "\"organizer\":{\"email\":\"@example.com\"}", "organizer" },
		{ "\"organizer\":{\"email\":\"coach@\"}", "organizer" },
		{ "\"organizer\":{\"email\":\"a@b@c\"}", "organizer" },
		{ "\"organizer\":{\"email\":\"a b@c\"}", "organizer" },
		{ "\"organizer\":{\"email\":\"a@b\\n\"}", "organizer" },
		{ "\"organizer\":{\"name\":\"C\\u0007\"}", "organizer" },
		{ "\"organizer\":{\"name\":\"C\\u009b\"}", "organizer" },
		{ "\"attendees\":{\"email\":\"c@x\"}", "attendees" },
		{ "\"attendees\":\"c@x\"", "attendees" },
		{ "\"attendees\":42", "attendees" },
		{ "\"attendees\":[\"c@x\"]", "attendees" },
		{ "\"attendees\":[[{\"email\":\"c@x\"}]]", "attendees" },
		{ "\"attendees\":[{\"email\":7}]", "attendees" },
		{ "\"attendees\":[{\"email\":\"client\"}]", "attendees" },
		{ "\"attendees\":[{\"name\":\"\\u0001\"}]", "attendees" },
	};
	char	b[512];
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		flat_with(b, sizeof(b), cases[i].member);
		expect(b, CAL_EPAYLOAD, cases[i].field);
		wrapped_with(b, sizeof(b), cases[i].member);
		expect(b, CAL_EPAYLOAD, cases[i].field);
	}
	/* Not UTF-8: not JSON, or a wrong field; a 400 either way. */
	flat_with(b, sizeof(b), "\"organizer\":{\"name\":\"\xff\"}");
	expect_refused(b, R_JSON | R_PAYLOAD);
	wrapped_with(b, sizeof(b), "\"attendees\":[{\"email\":\"a\xc3@b\"}]");
	expect_refused(b, R_JSON | R_PAYLOAD);
}

static void
test_parse_people_too_long(void **state)
{
	char	b[1024], text[300], member[512];

	(void)state;
	memset(text, 'n', 256);
	text[256] = '\0';
	snprintf(member, sizeof(member), "\"organizer\":{\"name\":\"%s\"}", text);
	flat_with(b, sizeof(b), member);
	expect(b, CAL_EPAYLOAD, "organizer");
	snprintf(member, sizeof(member), "\"attendees\":[{\"name\":\"%s\"}]",
	    text);
	wrapped_with(b, sizeof(b), member);
	expect(b, CAL_EPAYLOAD, "attendees");
	memcpy(text + 250, "@x.org", 7);	/* 256 bytes */
	snprintf(member, sizeof(member), "\"attendees\":[{\"email\":\"%s\"}]",
	    text);
	flat_with(b, sizeof(b), member);
	expect(b, CAL_EPAYLOAD, "attendees");
}

static void
test_parse_second_attendee_ignored(void **state)
{
	char		 b[512];
	struct job	 j;
	const char	*field;

	(void)state;
	/* Only the first attendee is the client: the others are not read. */
	wrapped_with(b, sizeof(b), "\"attendees\":[{\"email\":\"c@x.org\"},"
	    "{\"email\":\"not an email\"},42]");
	assert_int_equal(parse(b, &j, &field), CAL_OK);
	assert_string_equal(j.client.email, "c@x.org");
}

static void
test_deadline(void **state)
{
	char		 b[512];
	struct job	 j;
	const char	*field;
	int64_t		 now;

	(void)state;
	flat_with(b, sizeof(b), "\"startTime\":\"2026-11-20T10:00:00Z\","
	    "\"endTime\":\"2026-11-20T11:00:00Z\"");

	/* End already past (the usual case, and late deliveries): now + wait. */
	now = T11 + 3600;
	assert_int_equal(parse_at(b, now, &j, &field), CAL_OK);
	assert_int_equal(j.deadline, now + MAX_WAIT);
	assert_int_equal(j.next, now);
	assert_int_equal(j.received, now);
	now = T11 + 2 * 86400;
	assert_int_equal(parse_at(b, now, &j, &field), CAL_OK);
	assert_int_equal(j.deadline, now + MAX_WAIT);
	/* Ending exactly now. */
	assert_int_equal(parse_at(b, T11, &j, &field), CAL_OK);
	assert_int_equal(j.deadline, T11 + MAX_WAIT);

	/* End ahead, within a day (a clock ahead, an early trigger). */
	now = T11 - 600;
	assert_int_equal(parse_at(b, now, &j, &field), CAL_OK);
	assert_int_equal(j.deadline, T11 + MAX_WAIT);
	assert_int_equal(j.next, now);			/* due at once all the same */
	now = T11 - 86399;
	assert_int_equal(parse_at(b, now, &j, &field), CAL_OK);
	assert_int_equal(j.deadline, T11 + MAX_WAIT);

	/* End a day or more ahead: no reason to keep trying for days. */
	now = T11 - 86400;
	assert_int_equal(parse_at(b, now, &j, &field), CAL_OK);
	assert_int_equal(j.deadline, now + MAX_WAIT);
	now = T11 - 30 * 86400;
	assert_int_equal(parse_at(b, now, &j, &field), CAL_OK);
	assert_int_equal(j.deadline, now + MAX_WAIT);

	/* No endTime: from now. */
	assert_int_equal(parse_at("{\"triggerEvent\":\"MEETING_ENDED\","
	    "\"uid\":\"x\"}", T10, &j, &field), CAL_OK);
	assert_int_equal(j.deadline, T10 + MAX_WAIT);

	/* max_wait as given. */
	assert_int_equal(cal_parse(b, strlen(b), T11 - 60, 1, &j, &field),
	    CAL_OK);
	assert_int_equal(j.deadline, T11 + 1);
	assert_int_equal(cal_parse(b, strlen(b), T11 + 60, 604800, &j, &field),
	    CAL_OK);
	assert_int_equal(j.deadline, T11 + 60 + 604800);
}

static void
test_parse_clears_job(void **state)
{
	struct job	 j;
	const char	*field;

	(void)state;
	memset(&j, 0xa5, sizeof(j));
	assert_int_equal(parse("{\"triggerEvent\":\"MEETING_ENDED\","
	    "\"uid\":\"x\"}", &j, &field), CAL_OK);
	assert_false(j.coach.given);
	assert_string_equal(j.coach.email, "");
	assert_string_equal(j.outcome, "");
	/* An error leaves no uid behind. */
	memset(&j, 0xa5, sizeof(j));
	assert_int_equal(parse("[1]", &j, &field), CAL_EJSON);
	assert_string_equal(j.uid, "");
}

static void
test_parse_deep_and_big(void **state)
{
	struct job	 j;
	const char	*field;
	char		*b;
	size_t		 n = 0, i, depth = 5000, len = CAL_MAX_BODY;
	enum cal_parse	 rc;

	(void)state;
	/* Nesting far beyond any payload: refused, without a crash. */
	assert_non_null(b = malloc(2 * depth + 200));
	n = (size_t)sprintf(b, "{\"triggerEvent\":\"MEETING_ENDED\","
	    "\"uid\":\"x\",\"metadata\":");
	for (i = 0; i < depth; i++)
		b[n++] = '[';
	for (i = 0; i < depth; i++)
		b[n++] = ']';
	b[n++] = '}';
	rc = cal_parse(b, n, T11, MAX_WAIT, &j, &field);
	assert_true(rc == CAL_EJSON || rc == CAL_OK);
	free(b);

	/* A 256 KiB body (the cap) of booking metadata parses. */
	assert_non_null(b = malloc(len));
	n = (size_t)sprintf(b, "{\"triggerEvent\":\"MEETING_ENDED\","
	    "\"uid\":\"big\",\"description\":\"");
	while (n < len - 2)
		b[n++] = 'd';
	b[n++] = '"';
	b[n++] = '}';
	assert_int_equal(cal_parse(b, n, T11, MAX_WAIT, &j, &field), CAL_OK);
	assert_string_equal(j.uid, "big");
	free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sig_known_vector),
		cmocka_unit_test(test_sig_computed),
		cmocka_unit_test(test_sig_body_with_nul),
		cmocka_unit_test(test_sig_one_digit_wrong),
		cmocka_unit_test(test_sig_uppercase),
		cmocka_unit_test(test_sig_prefix_and_length),
		cmocka_unit_test(test_sig_missing),
		cmocka_unit_test(test_sig_no_secret),
		cmocka_unit_test(test_sig_body_changed),
		cmocka_unit_test(test_parse_flat),
		cmocka_unit_test(test_parse_wrapped),
		cmocka_unit_test(test_parse_wrapped_uid_only_inside),
		cmocka_unit_test(test_parse_people_optional),
		cmocka_unit_test(test_parse_other_trigger),
		cmocka_unit_test(test_parse_not_json),
		cmocka_unit_test(test_parse_trailing_data),
		cmocka_unit_test(test_parse_length_respected),
		cmocka_unit_test(test_parse_trigger_event),
		cmocka_unit_test(test_parse_trigger_event_nul),
		cmocka_unit_test(test_parse_payload_not_object),
		cmocka_unit_test(test_parse_uid),
		cmocka_unit_test(test_parse_uid_bad_bytes),
		cmocka_unit_test(test_parse_uid_nul),
		cmocka_unit_test(test_parse_times_wrong),
		cmocka_unit_test(test_parse_times_absent),
		cmocka_unit_test(test_parse_people_wrong),
		cmocka_unit_test(test_parse_people_too_long),
		cmocka_unit_test(test_parse_second_attendee_ignored),
		cmocka_unit_test(test_deadline),
		cmocka_unit_test(test_parse_clears_job),
		cmocka_unit_test(test_parse_deep_and_big),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
