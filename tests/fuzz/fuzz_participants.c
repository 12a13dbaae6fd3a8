/*
 * Fuzz the participants page validator and merger. Oracle: whenever pages
 * are accepted, the merged answer must be valid JSON for both our strict
 * scanner and cJSON, and hold as many participants as counted.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "json_scan.h"
#include "zoom_api.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf		 elems, final, next;
	struct zapi_merge	 m;
	cJSON			*root;
	const cJSON		*parts;
	int			 ok = 1, i;

	buf_init(&elems, 16 * 1024 * 1024);
	buf_init(&final, 16 * 1024 * 1024);
	buf_init(&next, 4096);
	zapi_merge_init(&m, &elems, &next, NULL);
	/* The same page twice: exercises the join between pages. */
	for (i = 0; i < 2 && ok; i++)
		ok = zapi_merge_page(&m, (const char *)data, size) == ZOOM_OK;
	if (ok && zapi_merge_finish(&m, &final) == ZOOM_OK) {
		if (js_validate(final.data, final.len) != JS_OK)
			abort();
		if ((root = cJSON_ParseWithLength(final.data, final.len)) == NULL)
			abort();
		parts = cJSON_GetObjectItemCaseSensitive(root, "participants");
		if (!cJSON_IsArray(parts) || cJSON_GetArraySize(parts) != m.count)
			abort();
		cJSON_Delete(root);
	}
	/* Differential: what the strict scanner accepts, cJSON parses. */
	if (js_validate((const char *)data, size) == JS_OK) {
		if ((root = cJSON_ParseWithLength((const char *)data, size)) == NULL)
			abort();
		cJSON_Delete(root);
	}
	buf_free(&next);
	buf_free(&elems);
	buf_free(&final);
	return 0;
}
