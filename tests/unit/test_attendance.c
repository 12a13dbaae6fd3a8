/*
 * test_attendance.c - every rule of the verdict, each with the Zoom rows
 * that show it: rejoins, two devices, failover, the waiting room, guests
 * without an email, device-tagged and Unicode names, ambiguous names, the
 * minimum time at its boundary, no rows with each kind of meeting record,
 * and the answer's JSON.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "attendance.h"

/* 2026-11-20T10:00:00Z */
#define T0	((int64_t)1795168800)

/* One row as Zoom sends it; minutes after 10:00 for join and leave. */
struct row {
	const char	*email;		/* NULL: the member is absent */
	const char	*id;
	const char	*name;
	int		 join_min, leave_min;
	const char	*status;	/* NULL: "in_meeting" */
	int		 failover;
};

/* The participants text the rows are in, as in an answer. */
static char	 text[1 << 16];

static void
add_rows(struct att_rows *r, const struct row *rows, size_t n)
{
	char		 json[2048], email[300];
	struct js_span	 el;
	size_t		 i, used = 0;

	for (i = 0; i < n; i++) {
		if (rows[i].email != NULL)
			snprintf(email, sizeof(email), "\"user_email\":\"%s\",",
			    rows[i].email);
		else
			email[0] = '\0';
		snprintf(json, sizeof(json),
		    "{\"id\":\"%s\",\"user_id\":\"%d\",\"name\":\"%s\",%s"
		    "\"join_time\":\"2026-11-20T%02d:%02d:00Z\","
		    "\"leave_time\":\"2026-11-20T%02d:%02d:00Z\","
		    "\"duration\":%d,\"failover\":%s,\"status\":\"%s\","
		    "\"registrant_id\":\"\"}",
		    rows[i].id ? rows[i].id : "", 16778240 + (int)i,
		    rows[i].name, email,
		    10 + rows[i].join_min / 60, rows[i].join_min % 60,
		    10 + rows[i].leave_min / 60, rows[i].leave_min % 60,
		    (rows[i].leave_min - rows[i].join_min) * 60,
		    rows[i].failover ? "true" : "false",
		    rows[i].status ? rows[i].status : "in_meeting");
		if (i > 0)
			text[used++] = ',';
		assert_true(used + strlen(json) < sizeof(text));
		memcpy(text + used, json, strlen(json) + 1);
		el.p = text + used;
		el.len = strlen(json);
		assert_int_equal(att_rows_add_json(r, el, text, 0), ATT_OK);
		used += strlen(json);
	}
}

static void
who(struct att_who *w, const char *email, const char *name)
{
	memset(w, 0, sizeof(*w));
	w->given = 1;
	snprintf(w->email, sizeof(w->email), "%s", email);
	snprintf(w->name, sizeof(w->name), "%s", name);
}

/* Decide over rows for coach (email, name) and client (email, name). */
static void
decide(const struct row *rows, size_t n, const char *ce, const char *cn,
    const char *le, const char *ln, long min_seconds, struct att_result *res)
{
	struct att_rows		r;
	struct att_query	q;

	memset(&q, 0, sizeof(q));
	if (ce != NULL)
		who(&q.coach, ce, cn);
	if (le != NULL)
		who(&q.client, le, ln);
	q.min_seconds = min_seconds;
	att_rows_init(&r);
	add_rows(&r, rows, n);
	assert_int_equal(att_decide(&r, text, &q, res), ATT_OK);
	att_rows_free(&r);
}

#define COACH	"coach@example.com", "Ada Lovelace"
#define CLIENT	"", "Grace Hopper"

static void
test_rejoin_counts_once(void **state)
{
	static const struct row rows[] = {
		{ "coach@example.com", "c1", "Ada Lovelace", 0, 10, NULL, 0 },
		{ "", "", "Grace Hopper", 1, 20, NULL, 0 },
		{ "coach@example.com", "c1", "Ada Lovelace", 12, 30, NULL, 0 },
		{ "", "", "Grace Hopper", 22, 30, NULL, 0 },
	};
	struct att_result res;

	(void)state;
	decide(rows, 4, COACH, CLIENT, 0, &res);
	assert_int_equal(res.people, 2);
	assert_true(res.coach.attended);
	assert_int_equal(res.coach.match, ATT_MATCH_EMAIL);
	assert_int_equal(res.coach.joins, 2);
	assert_int_equal(res.coach.seconds, (10 + 18) * 60);
	assert_int_equal(res.coach.first_join, T0);
	assert_int_equal(res.coach.last_leave, T0 + 30 * 60);
	/* The guest: no email, matched by name, both rows one person. */
	assert_true(res.client.attended);
	assert_int_equal(res.client.match, ATT_MATCH_NAME);
	assert_int_equal(res.client.joins, 2);
	assert_int_equal(res.client.seconds, (19 + 8) * 60);
	assert_true(res.has_status);
	assert_int_equal(res.status, ATT_COMPLETED);
}

static void
test_two_devices_and_failover_overlap(void **state)
{
	/* A laptop 0-30, a phone 5-20 (inside it), a failover row 25-40:
	 * the union is 0-40, not the 30+15+15 minutes of the durations. */
	static const struct row rows[] = {
		{ "Coach@Example.com ", "c1", "Ada Lovelace", 0, 30, NULL, 0 },
		{ "coach@example.com", "", "Ada (iPhone)", 5, 20, NULL, 0 },
		{ "coach@example.com", "c1", "Ada Lovelace", 25, 40, NULL, 1 },
		{ "", "", "Grace Hopper", 0, 40, NULL, 0 },
	};
	struct att_result res;

	(void)state;
	decide(rows, 4, " COACH@example.com", "x", CLIENT, 0, &res);
	assert_int_equal(res.people, 2);
	assert_int_equal(res.coach.match, ATT_MATCH_EMAIL);
	assert_int_equal(res.coach.joins, 3);
	assert_int_equal(res.coach.seconds, 40 * 60);
}

static void
test_waiting_room_only(void **state)
{
	static const struct row rows[] = {
		{ "coach@example.com", "c1", "Ada Lovelace", 0, 55, NULL, 0 },
		{ "", "", "Grace Hopper", 0, 15, "in_waiting_room", 0 },
	};
	struct att_result res;

	(void)state;
	decide(rows, 2, COACH, CLIENT, 0, &res);
	assert_true(res.coach.attended);
	assert_false(res.client.attended);
	assert_true(res.client.waiting_only);
	assert_int_equal(res.client.joins, 1);
	assert_int_equal(res.client.seconds, 0);
	assert_int_equal(res.client.first_join, -1);
	assert_int_equal(res.status, ATT_NO_SHOW);
}

static void
test_waiting_room_then_admitted(void **state)
{
	/* Waited 5 minutes, then in the meeting 10: 10 count, not 15. */
	static const struct row rows[] = {
		{ "coach@example.com", "c1", "Ada Lovelace", 0, 30, NULL, 0 },
		{ "", "", "Grace Hopper", 0, 5, "in_waiting_room", 0 },
		{ "", "", "Grace Hopper", 5, 15, NULL, 0 },
	};
	struct att_result res;

	(void)state;
	decide(rows, 3, COACH, CLIENT, 0, &res);
	assert_true(res.client.attended);
	assert_false(res.client.waiting_only);
	assert_int_equal(res.client.joins, 2);
	assert_int_equal(res.client.seconds, 10 * 60);
	assert_int_equal(res.client.first_join, T0 + 5 * 60);
}

static void
test_device_tags_and_spaces(void **state)
{
	/* Guests with no email and no id: one person by normalised name. */
	static const struct row rows[] = {
		{ "", "", "Grace Hopper (iPhone)", 0, 10, NULL, 0 },
		{ "", "", "  grace   HOPPER - Android", 10, 20, NULL, 0 },
		{ NULL, "", "Grace Hopper", 25, 30, NULL, 0 },
		/* Not a device: a different person. */
		{ "", "", "Grace Hopper (Sales)", 0, 30, NULL, 0 },
		{ "coach@example.com", "c1", "Ada Lovelace", 0, 30, NULL, 0 },
	};
	struct att_result res;

	(void)state;
	decide(rows, 5, COACH, "", "grace hopper", 0, &res);
	assert_int_equal(res.people, 3);
	assert_int_equal(res.client.match, ATT_MATCH_NAME);
	assert_int_equal(res.client.joins, 3);
	assert_int_equal(res.client.seconds, 25 * 60);
}

static void
test_unicode_names(void **state)
{
	/* Case folding beyond ASCII, and NFKC: a decomposed é is é. */
	static const struct row rows[] = {
		{ "", "", "JOS\xc3\x89 M\xc3\x9cLLER", 0, 10, NULL, 0 },
		{ "", "", "Jose\xcc\x81 M\xc3\xbcller (iPad)", 10, 20, NULL, 0 },
		{ "", "", "STRASSE", 0, 5, NULL, 0 },
	};
	struct att_result res;

	(void)state;
	decide(rows, 3, "", "Stra\xc3\x9f" "e", "",
	    "jos\xc3\xa9 m\xc3\xbcller", 0, &res);
	assert_int_equal(res.people, 2);
	assert_int_equal(res.client.match, ATT_MATCH_NAME);
	assert_int_equal(res.client.joins, 2);
	assert_int_equal(res.client.seconds, 20 * 60);
	assert_int_equal(res.coach.match, ATT_MATCH_NAME);	/* ß folds to ss */
}

static void
test_decomposed_first_letter(void **state)
{
	/* "E" + U+0301 composes into "é": the row must not be skipped for
	 * starting with an ASCII "E" while the name starts with "é". */
	static const struct row rows[] = {
		{ "coach@example.com", "c1", "Ada Lovelace", 0, 30, NULL, 0 },
		{ "", "", "E\xcc\x81milie Dubois", 0, 30, NULL, 0 },
		{ "", "", "Emile Zola", 0, 30, NULL, 0 },
	};
	struct att_result res;

	(void)state;
	decide(rows, 3, COACH, "", "\xc3\x89milie Dubois", 0, &res);
	assert_int_equal(res.client.match, ATT_MATCH_NAME);
	assert_true(res.client.attended);
	decide(rows, 3, COACH, "", "emile zola", 0, &res);
	assert_int_equal(res.client.match, ATT_MATCH_NAME);
}

static void
test_name_ends(void **state)
{
	/* Names told apart by their last byte, device tags, a last letter
	 * that is an escape's last hex digit, a combining mark at the end. */
	static const char doc[] = "["
	    "{\"name\":\"Guest 12\"},"
	    "{\"name\":\"Guest 13 - Android\"},"
	    "{\"name\":\"Guest 13 (iPhone) \"},"
	    "{\"name\":\"Ren\\u00e9\"},"
	    "{\"name\":\"Rene\xcc\x81\"}"
	    "]";
	struct att_rows		 r;
	struct att_query	 q;
	struct att_result	 res;
	struct js_iter		 it;
	struct js_span		 el, all = { doc, sizeof(doc) - 1 };

	(void)state;
	att_rows_init(&r);
	assert_int_equal(js_iter_array(&it, all), JS_OK);
	while (js_next_element(&it, &el) == JS_OK)
		assert_int_equal(att_rows_add_json(&r, el, doc, 0), ATT_OK);
	memset(&q, 0, sizeof(q));
	who(&q.coach, "", "guest 13");
	who(&q.client, "", "REN\xc3\x89");
	assert_int_equal(att_decide(&r, doc, &q, &res), ATT_OK);
	assert_int_equal(res.coach.match, ATT_MATCH_NAME);	/* one person */
	assert_int_equal(res.coach.joins, 2);
	assert_int_equal(res.client.match, ATT_MATCH_NAME);
	assert_int_equal(res.client.joins, 2);
	assert_int_equal(res.people, 3);
	att_rows_free(&r);
}

static void
test_norm_name(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "Ada Lovelace", "ada lovelace" },
		{ "  Ada \t Lovelace  ", "ada lovelace" },
		{ "Ada Lovelace (iPhone)", "ada lovelace" },
		{ "Ada Lovelace (ANDROID)", "ada lovelace" },
		{ "Ada Lovelace - iPad", "ada lovelace" },
		{ "Ada Lovelace  -  Web Client", "ada lovelace" },
		{ "Ada Lovelace (Zoom Rooms)", "ada lovelace" },
		{ "Ada Lovelace (she/her)", "ada lovelace (she/her)" },
		{ "Ada - Lovelace", "ada - lovelace" },
		{ "(iPhone)", "(iphone)" },
		{ "\xef\xbc\xa1\xef\xbd\x84\xef\xbd\x81", "ada" },	/* fullwidth */
	};
	char	out[ATT_TEXT_MAX * 4];
	long	n;
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = att_norm_name(cases[i].in, strlen(cases[i].in), out,
		    sizeof(out));
		assert_true(n >= 0);
		out[n] = '\0';
		if (strcmp(out, cases[i].out) != 0)
			fail_msg("\"%s\" -> \"%s\", want \"%s\"", cases[i].in,
			    out, cases[i].out);
	}
	/* Not UTF-8: no name. */
	assert_int_equal(att_norm_name("\xff\xfe", 2, out, sizeof(out)), -1);
}

static void
test_ambiguous_name(void **state)
{
	/* Two different persons (two emails) named Sam Lee. */
	static const struct row rows[] = {
		{ "coach@example.com", "c1", "Ada Lovelace", 0, 30, NULL, 0 },
		{ "sam1@example.com", "", "Sam Lee", 0, 30, NULL, 0 },
		{ "sam2@example.com", "", "sam lee (iPhone)", 0, 30, NULL, 0 },
	};
	struct att_result res;

	(void)state;
	decide(rows, 3, COACH, "", "Sam Lee", 0, &res);
	assert_int_equal(res.people, 3);
	assert_int_equal(res.client.match, ATT_MATCH_AMBIGUOUS);
	assert_false(res.client.attended);
	assert_int_equal(res.status, ATT_NO_SHOW);
	/* The email decides where there is one. */
	decide(rows, 3, COACH, "sam2@example.com", "Sam Lee", 0, &res);
	assert_int_equal(res.client.match, ATT_MATCH_EMAIL);
	assert_true(res.client.attended);
}

static void
test_user_id_is_no_key_id_is(void **state)
{
	/* Same id: one person, email or not. user_id differs per row
	 * (add_rows numbers them), and two guests without id stay two. */
	static const struct row rows[] = {
		{ "coach@example.com", "XUID1", "Ada Lovelace", 0, 10, NULL, 0 },
		{ "", "XUID1", "Ada L.", 15, 20, NULL, 0 },
		{ "", "", "Guest One", 0, 10, NULL, 0 },
		{ "", "", "Guest Two", 0, 10, NULL, 0 },
	};
	struct att_result res;

	(void)state;
	decide(rows, 4, COACH, NULL, NULL, 0, &res);
	assert_int_equal(res.people, 3);
	assert_int_equal(res.coach.joins, 2);
	assert_int_equal(res.coach.seconds, 15 * 60);
	assert_false(res.has_status);		/* no client asked */
}

static void
test_minimum_seconds_boundary(void **state)
{
	static const struct row rows[] = {
		{ "coach@example.com", "c1", "Ada Lovelace", 0, 30, NULL, 0 },
		{ "", "", "Grace Hopper", 0, 1, NULL, 0 },	/* 60 s */
	};
	struct att_result res;

	(void)state;
	decide(rows, 2, COACH, CLIENT, 60, &res);
	assert_true(res.client.attended);
	assert_int_equal(res.status, ATT_COMPLETED);
	decide(rows, 2, COACH, CLIENT, 61, &res);
	assert_false(res.client.attended);
	assert_int_equal(res.client.seconds, 60);
	assert_int_equal(res.status, ATT_NO_SHOW);
	/* The default 0: present at all is attending. */
	decide(rows, 2, COACH, CLIENT, 0, &res);
	assert_true(res.client.attended);
}

static void
test_status_table(void **state)
{
	static const struct row both[] = {
		{ "coach@example.com", "c1", "Ada Lovelace", 0, 30, NULL, 0 },
		{ "", "", "Grace Hopper", 0, 30, NULL, 0 },
	};
	struct att_result res;

	(void)state;
	decide(both, 2, COACH, CLIENT, 0, &res);
	assert_int_equal(res.status, ATT_COMPLETED);
	decide(both, 1, COACH, CLIENT, 0, &res);
	assert_int_equal(res.status, ATT_NO_SHOW);
	decide(both + 1, 1, COACH, CLIENT, 0, &res);
	assert_int_equal(res.status, ATT_COACH_NO_SHOW);
	decide(both, 2, "other@example.com", "Nobody", "", "Noone", 0, &res);
	assert_int_equal(res.coach.match, ATT_MATCH_NONE);
	assert_int_equal(res.status, ATT_NEVER_HELD);
}

static void
record(struct att_record *rec, int found, long count, const char *host)
{
	memset(rec, 0, sizeof(*rec));
	rec->found = found;
	rec->participants_count = count;
	snprintf(rec->host_email, sizeof(rec->host_email), "%s", host);
	rec->start = T0;
	rec->end = T0 + 1800;
	rec->duration_min = 30;
}

static void
test_no_rows_records(void **state)
{
	struct att_query	q;
	struct att_record	rec;
	struct att_result	res;

	(void)state;
	memset(&q, 0, sizeof(q));
	who(&q.coach, "Coach@Example.com", "Ada Lovelace");
	who(&q.client, "", "Grace Hopper");

	/* One participant, the host is the coach: alone, so No Show. */
	record(&rec, 1, 1, "coach@example.com");
	assert_int_equal(att_from_record(&q, &rec, &res), 0);
	assert_int_equal(res.coach.match, ATT_MATCH_HOST);
	assert_true(res.coach.attended);
	assert_int_equal(res.coach.seconds, 1800);
	assert_false(res.client.attended);
	assert_int_equal(res.status, ATT_NO_SHOW);
	assert_int_equal(res.people, 1);

	/* One participant, another host: nobody we know came. */
	record(&rec, 1, 1, "admin@example.com");
	assert_int_equal(att_from_record(&q, &rec, &res), 0);
	assert_int_equal(res.coach.match, ATT_MATCH_NONE);
	assert_int_equal(res.status, ATT_NEVER_HELD);

	/* No record at all (404 / 3001): never took place. */
	record(&rec, 0, -1, "");
	assert_int_equal(att_from_record(&q, &rec, &res), 0);
	assert_int_equal(res.status, ATT_NEVER_HELD);
	assert_int_equal(res.people, 0);

	/* A record with nobody. */
	record(&rec, 1, 0, "coach@example.com");
	assert_int_equal(att_from_record(&q, &rec, &res), 0);
	assert_int_equal(res.status, ATT_NEVER_HELD);

	/* People came, their rows are not there yet: no verdict. */
	record(&rec, 1, 2, "coach@example.com");
	assert_int_equal(att_from_record(&q, &rec, &res), -1);

	/* The host alone, with minimumSeconds above the meeting's length. */
	q.min_seconds = 1801;
	record(&rec, 1, 1, "coach@example.com");
	assert_int_equal(att_from_record(&q, &rec, &res), 0);
	assert_false(res.coach.attended);
	assert_int_equal(res.status, ATT_NEVER_HELD);
}

static void
test_json_answer(void **state)
{
	static const struct row rows[] = {
		{ "coach@example.com", "c1", "Ada Lovelace", 0, 10, NULL, 0 },
		{ "", "", "Grace Hopper", 0, 15, "in_waiting_room", 0 },
		{ "", "", "Someone", 0, 30, NULL, 0 },
		{ "coach@example.com", "c1", "Ada Lovelace", 12, 30, NULL, 0 },
	};
	static const char *const words[ATT__STATUS_MAX] = {
		"Done", "Client \"absent\"", "Never", "Coach absent"
	};
	struct att_rows		 r;
	struct att_query	 q;
	struct att_result	 res;
	struct buf		 out;
	cJSON			*root;
	const cJSON		*c, *l;

	(void)state;
	memset(&q, 0, sizeof(q));
	who(&q.coach, "coach@example.com", "");
	who(&q.client, "", "Grace Hopper");
	att_rows_init(&r);
	add_rows(&r, rows, 4);
	assert_int_equal(att_decide(&r, text, &q, &res), ATT_OK);
	buf_init(&out, 1 << 16);
	assert_int_equal(att_write_json(&r, &res, words, &out), 0);
	root = cJSON_Parse(out.data);
	assert_non_null(root);
	assert_string_equal(cJSON_GetObjectItem(root, "status")->valuestring,
	    "Client \"absent\"");
	assert_int_equal(cJSON_GetObjectItem(root, "people")->valueint, 3);
	c = cJSON_GetObjectItem(root, "coach");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(c, "attended")));
	assert_int_equal(cJSON_GetObjectItem(c, "seconds")->valueint, 1680);
	assert_int_equal(cJSON_GetObjectItem(c, "joins")->valueint, 2);
	assert_string_equal(cJSON_GetObjectItem(c, "firstJoin")->valuestring,
	    "2026-11-20T10:00:00Z");
	assert_string_equal(cJSON_GetObjectItem(c, "lastLeave")->valuestring,
	    "2026-11-20T10:30:00Z");
	assert_string_equal(cJSON_GetObjectItem(c, "matchedBy")->valuestring,
	    "email");
	assert_null(cJSON_GetObjectItem(c, "waitingRoomOnly"));
	/* rows: indexes into the participants array, for the evidence. */
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(c, "rows")), 2);
	assert_int_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(c, "rows"),
	    0)->valueint, 0);
	assert_int_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(c, "rows"),
	    1)->valueint, 3);
	l = cJSON_GetObjectItem(root, "client");
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(l, "attended")));
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(l, "waitingRoomOnly")));
	assert_null(cJSON_GetObjectItem(l, "firstJoin"));
	assert_int_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(l, "rows"),
	    0)->valueint, 1);
	cJSON_Delete(root);

	/* Only the coach asked: no status, no client object. */
	memset(&q.client, 0, sizeof(q.client));
	assert_int_equal(att_decide(&r, text, &q, &res), ATT_OK);
	buf_reset(&out);
	assert_int_equal(att_write_json(&r, &res, words, &out), 0);
	root = cJSON_Parse(out.data);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(root, "status")));
	assert_null(cJSON_GetObjectItem(root, "client"));
	cJSON_Delete(root);
	buf_free(&out);
	att_rows_free(&r);
}

static void
test_rows_odd_members(void **state)
{
	/* Members of unexpected types count as absent; escapes decode. */
	static const char els[] =
	    "{\"user_email\":null,\"id\":5,\"name\":\"Gr\\u00e2ce\","
	    "\"join_time\":\"nonsense\",\"leave_time\":7,\"status\":1},"
	    "{\"user_email\":\"  A\\u0040B.example \",\"name\":\"\"}";
	struct att_rows		 r;
	struct att_query	 q;
	struct att_result	 res;
	struct js_iter		 it;
	struct js_span		 el, all = { NULL, 0 };
	char			 doc[512];

	(void)state;
	snprintf(doc, sizeof(doc), "[%s]", els);
	all.p = doc;
	all.len = strlen(doc);
	att_rows_init(&r);
	assert_int_equal(js_iter_array(&it, all), JS_OK);
	while (js_next_element(&it, &el) == JS_OK)
		assert_int_equal(att_rows_add_json(&r, el, doc, 0), ATT_OK);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.v[0].f[ATT_F_EMAIL].len, 0);
	assert_int_equal(r.v[0].f[ATT_F_ID].len, 0);
	assert_int_equal(r.v[0].f[ATT_F_NAME].len, 10);	/* Gr\u00e2ce */
	assert_false(r.v[0].waiting);
	assert_int_equal(r.v[1].f[ATT_F_NAME].len, 0);
	/* The escaped email decodes, trims and matches without case. */
	memset(&q, 0, sizeof(q));
	who(&q.coach, "a@b.EXAMPLE", "");
	who(&q.client, "", "gr\xc3\xa2" "ce");
	assert_int_equal(att_decide(&r, doc, &q, &res), ATT_OK);
	assert_int_equal(res.coach.match, ATT_MATCH_EMAIL);
	assert_int_equal(res.coach.joins, 1);
	assert_int_equal(res.client.match, ATT_MATCH_NAME);
	assert_int_equal(res.client.first_join, -1);	/* "nonsense" */
	assert_int_equal(res.people, 2);
	el.p = "[1]";
	el.len = 3;
	assert_int_equal(att_rows_add_json(&r, el, el.p, 0), ATT_EROW);
	att_rows_free(&r);
}

static void
test_long_escaped_strings(void **state)
{
	/* A guest whose name and email decode to 5,000 bytes: no usable
	 * name (too long to match), no error; the rest still decides. */
	static char		 doc[80000];
	struct att_rows		 r;
	struct att_query	 q;
	struct att_result	 res;
	struct js_iter		 it;
	struct js_span		 el, all;
	size_t			 n = 0, i;

	(void)state;
	n += (size_t)snprintf(doc + n, sizeof(doc) - n, "[{\"name\":\"");
	for (i = 0; i < 5000; i++)
		n += (size_t)snprintf(doc + n, sizeof(doc) - n, "\\u0041");
	n += (size_t)snprintf(doc + n, sizeof(doc) - n, "\",\"user_email\":\"");
	for (i = 0; i < 5000; i++)
		n += (size_t)snprintf(doc + n, sizeof(doc) - n, "\\u0062");
	n += (size_t)snprintf(doc + n, sizeof(doc) - n, "\"},"
	    "{\"name\":\"Ada\",\"user_email\":\"coach@example.com\","
	    "\"join_time\":\"2026-11-20T10:00:00Z\","
	    "\"leave_time\":\"2026-11-20T10:30:00Z\"}]");
	all.p = doc;
	all.len = n;
	att_rows_init(&r);
	assert_int_equal(js_iter_array(&it, all), JS_OK);
	while (js_next_element(&it, &el) == JS_OK)
		assert_int_equal(att_rows_add_json(&r, el, doc, 0), ATT_OK);
	memset(&q, 0, sizeof(q));
	who(&q.coach, "coach@example.com", "");
	who(&q.client, "", "AAAA");
	assert_int_equal(att_decide(&r, doc, &q, &res), ATT_OK);
	assert_true(res.coach.attended);
	assert_int_equal(res.client.match, ATT_MATCH_NONE);
	assert_int_equal(res.people, 2);
	att_rows_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rejoin_counts_once),
		cmocka_unit_test(test_two_devices_and_failover_overlap),
		cmocka_unit_test(test_waiting_room_only),
		cmocka_unit_test(test_waiting_room_then_admitted),
		cmocka_unit_test(test_device_tags_and_spaces),
		cmocka_unit_test(test_unicode_names),
		cmocka_unit_test(test_decomposed_first_letter),
		cmocka_unit_test(test_name_ends),
		cmocka_unit_test(test_norm_name),
		cmocka_unit_test(test_ambiguous_name),
		cmocka_unit_test(test_user_id_is_no_key_id_is),
		cmocka_unit_test(test_minimum_seconds_boundary),
		cmocka_unit_test(test_status_table),
		cmocka_unit_test(test_no_rows_records),
		cmocka_unit_test(test_json_answer),
		cmocka_unit_test(test_rows_odd_members),
		cmocka_unit_test(test_long_escaped_strings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
