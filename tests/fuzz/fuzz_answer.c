/*
 * Fuzz the framing of Zoom's answers (http_conn_parse, over http-parser).
 * The first byte sets how the rest is cut into reads, as a socket would;
 * the end of the input is the server closing. Checked: an answer is only
 * complete with a final status, never past the body cap, with header
 * fields that are printable and NUL-terminated; nothing is used twice.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http_conn.h"

#define BODY_CAP	4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
printable(const char *s, size_t size)
{
	size_t i;

	for (i = 0; i < size && s[i] != '\0'; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			abort();
	if (i == size)
		abort();	/* not terminated */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct http_conn	c;
	static char		err[CURL_ERROR_SIZE];
	struct http_answer	a;
	enum http_parse		st = HTTP_PARSE_MORE;
	size_t			step, off = 0, n, used;
	const char		*text;

	if (size < 1)
		return 0;
	step = (size_t)data[0] % 64 + 1;
	text = (const char *)data + 1;
	size--;

	http_conn_init(&c, 1, err);
	memset(&a, 0, sizeof(a));
	buf_init(&a.body, BODY_CAP);
	http_conn_parse_begin(&c, &a);
	while (st == HTTP_PARSE_MORE) {
		n = size - off < step ? size - off : step;
		st = http_conn_parse(&c, text + off, n, &used);
		if (used > n)
			abort();
		if (st == HTTP_PARSE_MORE && used != n)
			abort();	/* a read half used, yet more wanted */
		if (n == 0)
			break;		/* the server closed */
		off += n;
	}
	if (a.body.len > BODY_CAP)
		abort();
	if (a.too_big && st != HTTP_PARSE_ERROR)
		abort();
	if (st == HTTP_PARSE_DONE && (a.status < 200 || a.status > 999))
		abort();
	printable(a.trackingid, sizeof(a.trackingid));
	printable(a.retry_after, sizeof(a.retry_after));
	buf_free(&a.body);
	http_conn_free(&c);
	return 0;
}
