/*
 * Fuzz the request body parser and the meeting id rules: whatever the
 * bytes, an accepted id must be digits only or base64 alphabet only, so
 * nothing can escape the URL path.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_id(const struct meeting_id *id)
{
	const char *p;

	for (p = id->text; *p != '\0'; p++) {
		if (*p >= '0' && *p <= '9')
			continue;
		if (!id->is_uuid)
			abort();
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    *p == '+' || *p == '/' || *p == '='))
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct meeting_id	 id;
	char			*s;

	if (req_parse_body((const char *)data, size, &id) == REQ_OK)
		check_id(&id);
	if (req_meeting_id((const char *)data, size, &id) == REQ_OK)
		check_id(&id);
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	(void)req_is_json_type(s);
	(void)req_is_healthz(s);
	free(s);
	return 0;
}
