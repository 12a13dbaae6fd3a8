/*
 * Fuzz the mapping of Zoom's error answers (zc_map_error): any status and
 * any body give one of our error kinds, never a crash or undefined
 * behaviour ({"code":1e300} once was), and the text for the caller holds
 * only what we wrote (no quote, no control byte, nothing of the body but
 * scope names).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "zoom_client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xchg_answer	 a;
	struct zoom_info	 info;
	enum zoom_err		 rc;
	const char		*p;

	if (size < 2)
		return 0;
	xchg_answer_init(&a, 1 << 20);
	memset(&info, 0, sizeof(info));
	/* The first two bytes pick the status: 300 to 599. */
	a.status = 300 + ((long)data[0] << 8 | data[1]) % 300;
	if (buf_add(&a.body, data + 2, size - 2) != BUF_OK)
		abort();
	rc = zc_map_error(&a, "participants", &info);
	if (rc <= ZOOM_OK || rc >= ZOOM__MAX)
		abort();
	for (p = info.detail; *p != '\0'; p++)
		if (*p < ' ' || *p > '~' || *p == '"' || *p == '\\')
			abort();
	if (rc == ZOOM_ERATE && info.retry_after < 1)
		abort();
	xchg_answer_free(&a);
	return 0;
}
