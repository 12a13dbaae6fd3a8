/*
 * Fuzz the attendance path of a participants page: the row members the
 * merge captures while it validates (js_next_element_capture), and the
 * verdict over them. Oracles: the captured rows are exactly those a
 * separate walk of each merged row finds (a differential of the one-pass
 * capture against the iterator); the verdict never crashes, counts no
 * more persons than rows, points only at rows that exist, and writes
 * valid JSON.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "attendance.h"
#include "json_scan.h"
#include "zoom_api.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
same_rows(const struct att_rows *a, const struct att_rows *b)
{
	size_t i, f;

	if (a->n != b->n)
		abort();
	for (i = 0; i < a->n; i++) {
		for (f = 0; f < ATT_F_STATUS; f++)
			if (a->v[i].f[f].off != b->v[i].f[f].off ||
			    a->v[i].f[f].len != b->v[i].f[f].len)
				abort();
		if (a->v[i].waiting != b->v[i].waiting ||
		    a->v[i].email_plain != b->v[i].email_plain ||
		    a->v[i].name_end != b->v[i].name_end ||
		    (a->v[i].email_plain && a->v[i].f[ATT_F_EMAIL].len > 0 &&
		    a->v[i].email_hash != b->v[i].email_hash) ||
		    (a->v[i].f[ATT_F_ID].len > 0 &&
		    a->v[i].id_hash != b->v[i].id_hash))
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const words[ATT__STATUS_MAX] = { "C", "N", "S", "X" };
	struct buf		 elems, final, next, out;
	struct zapi_merge	 m;
	struct att_rows		 rows, walked;
	struct att_query	 q;
	struct att_result	 res;
	struct js_iter		 it;
	struct js_span		 el, arr;
	const char		*text;

	buf_init(&elems, 16 * 1024 * 1024);
	buf_init(&final, 16 * 1024 * 1024);
	buf_init(&next, 4096);
	buf_init(&out, 1024 * 1024);
	att_rows_init(&rows);
	att_rows_init(&walked);
	zapi_merge_init(&m, &elems, &next, &rows);
	if (zapi_merge_page(&m, (const char *)data, size) != ZOOM_OK ||
	    zapi_merge_finish(&m, &final) != ZOOM_OK)
		goto out;
	text = final.data + rows.text_off;
	/* The merged rows walked one by one, as a second opinion. */
	arr.p = text - 1;		/* the participants array's '[' */
	arr.len = final.len - rows.text_off;	/* up to its ']' */
	if (js_iter_array(&it, arr) != JS_OK)
		abort();
	while (js_next_element(&it, &el) == JS_OK)
		if (att_rows_add_json(&walked, el, text, 0) != ATT_OK)
			abort();
	same_rows(&rows, &walked);

	/* A verdict asked with names and emails taken from the input. */
	memset(&q, 0, sizeof(q));
	q.coach.given = q.client.given = 1;
	memcpy(q.coach.email, "a@b.c", 6);
	memcpy(q.client.name, data, size < 8 ? size : 8);
	q.client.name[size < 8 ? size : 8] = '\0';
	if (q.client.name[0] == '\0')
		memcpy(q.client.name, "x", 2);
	q.min_seconds = size % 120;
	if (att_decide(&rows, text, &q, &res) != ATT_OK)
		goto out;
	if (res.people > rows.n || (res.coach.joins > 0 &&
	    res.coach.person >= rows.n) || res.coach.joins > (int)rows.n)
		abort();
	if (att_write_json(&rows, &res, words, &out) == 0 &&
	    js_validate(out.data, out.len) != JS_OK)
		abort();
out:
	att_rows_free(&rows);
	att_rows_free(&walked);
	buf_free(&out);
	buf_free(&next);
	buf_free(&elems);
	buf_free(&final);
	return 0;
}
