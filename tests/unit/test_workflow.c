/*
 * test_workflow.c - the workflow's pure parts: the meeting a Notion
 * property names (an id, a UUID or a join link), the retry backoff, page
 * properties read from pages shaped as Notion returns them, a person from
 * decoded text, log fields and the route's path match.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "notion.h"
#include "request.h"
#include "util.h"
#include "workflow.h"

/* ---- wf_meeting_id ------------------------------------------------------ */

static void
expect_id(const char *text, const char *want, int is_uuid)
{
	struct meeting_id id;

	memset(&id, 0x5a, sizeof(id));
	if (wf_meeting_id(text, &id) != 0)
		fail_msg("\"%s\" refused, want %s", text, want);
	if (strcmp(id.text, want) != 0)
		fail_msg("\"%s\": \"%s\", want \"%s\"", text, id.text, want);
	assert_int_equal(id.is_uuid, is_uuid);
}

static void
expect_no_id(const char *text)
{
	struct meeting_id id;

	if (wf_meeting_id(text, &id) != -1)
		fail_msg("\"%s\" accepted as \"%s\"", text, id.text);
}

static void
test_meeting_id_plain(void **state)
{
	(void)state;
	expect_id("85746065432", "85746065432", 0);
	expect_id("123456789", "123456789", 0);
	expect_id("123456789012", "123456789012", 0);
	/* As people type them. */
	expect_id("857 4606 5432", "85746065432", 0);
	expect_id("857-4606-5432", "85746065432", 0);
	expect_id("857 - 4606 - 5432", "85746065432", 0);
	/* A meeting UUID, as given. */
	expect_id("4444AAAiAAAAAiAiAiiAii==", "4444AAAiAAAAAiAiAiiAii==", 1);
	expect_id("/ajXp112QmuoKj4854875==", "/ajXp112QmuoKj4854875==", 1);
	expect_id("ab/cdEFgh+ijKLmn0pQrS==", "ab/cdEFgh+ijKLmn0pQrS==", 1);
	/* Not an id. */
	expect_no_id("12345678");			/* 8 digits */
	expect_no_id("1234567890123");			/* 13 digits */
	expect_no_id("8574606543a");
	expect_no_id("857_4606_5432");
	expect_no_id("-85746065432");
	expect_no_id("85746065432-");
	expect_no_id("4444AAAiAAAAAiAiAiiAii==4444");	/* too long a UUID */
	expect_no_id("4444AAAiAAAAAiAiAi.Aii==");
	expect_no_id("../../v2/users/me");
	expect_no_id("Zoom: 85746065432");
	expect_no_id("85746065432, 12345678901");
}

static void
test_meeting_id_whitespace(void **state)
{
	(void)state;
	expect_id(" 85746065432", "85746065432", 0);
	expect_id("85746065432  ", "85746065432", 0);
	expect_id("\t857 4606 5432\r\n", "85746065432", 0);
	expect_id("\n\n4444AAAiAAAAAiAiAiiAii==\n", "4444AAAiAAAAAiAiAiiAii==", 1);
	expect_id("  https://us02web.zoom.us/j/85746065432?pwd=abc \n",
	    "85746065432", 0);
	/* Nothing but blanks is no id. */
	expect_no_id("");
	expect_no_id(" ");
	expect_no_id(" \t\r\n ");
	/* Inside, other blanks are not separators. */
	expect_no_id("857\t4606\t5432");
	expect_no_id("857\n4606 5432");
}

static void
test_meeting_id_join_url(void **state)
{
	(void)state;
	expect_id("https://us02web.zoom.us/j/85746065432?pwd=abc",
	    "85746065432", 0);
	expect_id("https://us02web.zoom.us/j/85746065432", "85746065432", 0);
	expect_id("https://zoom.us/j/123456789", "123456789", 0);
	expect_id("https://acme.zoom.us/j/85746065432?pwd=aBc.1&from=addon",
	    "85746065432", 0);
	expect_id("https://us02web.zoom.us/j/85746065432#success",
	    "85746065432", 0);
	expect_id("HTTPS://US02WEB.ZOOM.US/j/85746065432?pwd=abc",
	    "85746065432", 0);
	/* Links with no /j/ and an id after it. */
	expect_no_id("https://us02web.zoom.us/my/coach.name");
	expect_no_id("https://us02web.zoom.us/w/85746065432?pwd=abc");
	expect_no_id("https://us02web.zoom.us/");
	expect_no_id("https://us02web.zoom.us/j/");
	expect_no_id("https://us02web.zoom.us/j/?pwd=abc");
	expect_no_id("https://us02web.zoom.us/j/abc");
	expect_no_id("https://us02web.zoom.us/j/12345678?pwd=abc");
	expect_no_id("https://us02web.zoom.us/j/1234567890123");
	expect_no_id("https://");
	expect_no_id("https:/");
}

/* ---- wf_backoff -------------------------------------------------------- */

static void
test_backoff(void **state)
{
	static const long want120[] = { 120, 240, 480, 960, 1800, 1800, 1800 };
	int	n;
	long	d;

	(void)state;
	for (n = 1; n <= 7; n++)
		assert_int_equal(wf_backoff(120, n), want120[n - 1]);
	/* 1, 2, 4, ... 1024, then the cap. */
	for (n = 1, d = 1; n <= 11; n++, d *= 2)
		assert_int_equal(wf_backoff(1, n), d);
	assert_int_equal(wf_backoff(1, 12), WF_BACKOFF_MAX_S);
	assert_int_equal(WF_BACKOFF_MAX_S, 1800);
	/* Never beyond the cap, however many attempts. */
	assert_int_equal(wf_backoff(120, 100), 1800);
	assert_int_equal(wf_backoff(1, 64), 1800);
	assert_int_equal(wf_backoff(7, INT_MAX), 1800);
	assert_int_equal(wf_backoff(3600, INT_MAX), 1800);
	/* A first delay at or over the cap: the cap. */
	assert_int_equal(wf_backoff(1800, 1), 1800);
	assert_int_equal(wf_backoff(3600, 1), 1800);
	assert_int_equal(wf_backoff(3600, 2), 1800);
	/* Just under it. */
	assert_int_equal(wf_backoff(900, 2), 1800);
	assert_int_equal(wf_backoff(899, 2), 1798);
	assert_int_equal(wf_backoff(899, 3), 1800);
	/* Before any retry: the first delay. */
	assert_int_equal(wf_backoff(120, 0), 120);
	/* Monotonic. */
	for (n = 1; n < 40; n++)
		assert_true(wf_backoff(3, n) <= wf_backoff(3, n + 1));
}

/* ---- Notion page properties ------------------------------------------- */

/* A page as POST /databases/{id}/query returns it in results[]. */
static const char page_json[] =
    "{\"object\":\"page\",\"id\":\"59833787-2cf9-4fdf-8782-e53db20768a5\","
    "\"created_time\":\"2026-11-01T10:00:00.000Z\",\"archived\":false,"
    "\"properties\":{"
    "\"Zoom Meet ID\":{\"id\":\"a%3Bb\",\"type\":\"rich_text\",\"rich_text\":["
	"{\"type\":\"text\",\"text\":{\"content\":\"857 4606\",\"link\":null},"
	"\"annotations\":{\"bold\":false,\"italic\":false,\"code\":false,"
	"\"color\":\"default\"},\"plain_text\":\"857 4606\",\"href\":null},"
	"{\"type\":\"text\",\"text\":{\"content\":\" 5432 \",\"link\":null},"
	"\"annotations\":{\"bold\":true},\"plain_text\":\" 5432 \","
	"\"href\":null}]},"
    "\"Cal Booking UID\":{\"id\":\"x\",\"type\":\"rich_text\",\"rich_text\":["
	"{\"type\":\"text\",\"text\":{\"content\":\"bk-1\"},"
	"\"plain_text\":\"bk-1\"}]},"
    "\"Empty Text\":{\"id\":\"e\",\"type\":\"rich_text\",\"rich_text\":[]},"
    "\"Name\":{\"id\":\"title\",\"type\":\"title\",\"title\":["
	"{\"type\":\"text\",\"plain_text\":\"Session with \"},"
	"{\"type\":\"mention\",\"mention\":{\"type\":\"user\"},"
	"\"plain_text\":\"@Client\"}]},"
    "\"Coach Email\":{\"id\":\"c\",\"type\":\"email\","
	"\"email\":\"coach@example.com\"},"
    "\"Client Email\":{\"id\":\"d\",\"type\":\"email\",\"email\":null},"
    "\"Join Link\":{\"id\":\"l\",\"type\":\"url\","
	"\"url\":\"https://us02web.zoom.us/j/85746065432?pwd=abc\"},"
    "\"Phone\":{\"id\":\"p\",\"type\":\"phone_number\","
	"\"phone_number\":\"+1 555 0100\"},"
    "\"Meeting Number\":{\"id\":\"n\",\"type\":\"number\","
	"\"number\":85746065432},"
    "\"No Number\":{\"id\":\"n2\",\"type\":\"number\",\"number\":null},"
    "\"Fraction\":{\"id\":\"n3\",\"type\":\"number\",\"number\":1.5},"
    "\"Negative\":{\"id\":\"n4\",\"type\":\"number\",\"number\":-3},"
    "\"Status\":{\"id\":\"s\",\"type\":\"status\",\"status\":"
	"{\"id\":\"1\",\"name\":\"Completed\",\"color\":\"green\"}},"
    "\"Empty Status\":{\"id\":\"s2\",\"type\":\"status\",\"status\":null},"
    "\"Outcome\":{\"id\":\"o\",\"type\":\"select\",\"select\":"
	"{\"id\":\"2\",\"name\":\"No Show\",\"color\":\"red\"}},"
    "\"Empty Select\":{\"id\":\"o2\",\"type\":\"select\",\"select\":null},"
    "\"No Date\":{\"id\":\"w2\",\"type\":\"date\",\"date\":null},"
    "\"Done\":{\"id\":\"k\",\"type\":\"checkbox\",\"checkbox\":true},"
    "\"When\":{\"id\":\"w\",\"type\":\"date\",\"date\":"
	"{\"start\":\"2026-11-20T10:00:00.000Z\",\"end\":null}},"
    "\"Tags\":{\"id\":\"t\",\"type\":\"multi_select\",\"multi_select\":"
	"[{\"name\":\"Completed\"}]},"
    "\"Formula\":{\"id\":\"f\",\"type\":\"formula\",\"formula\":"
	"{\"type\":\"string\",\"string\":\"85746065432\"}},"
    "\"Text Not Array\":{\"type\":\"rich_text\",\"rich_text\":\"85746065432\"},"
    "\"Text No Value\":{\"type\":\"rich_text\"},"
    "\"Type Not String\":{\"type\":5,\"rich_text\":[]},"
    "\"Type Missing\":{\"rich_text\":[{\"plain_text\":\"x\"}]},"
    "\"Not Object\":\"85746065432\","
    "\"Odd Pieces\":{\"type\":\"rich_text\",\"rich_text\":[{\"type\":"
	"\"equation\"},{\"plain_text\":\"12\"},{\"plain_text\":3},\"x\","
	"null,{\"plain_text\":\"34\"}]},"
    "\"Email Number\":{\"type\":\"email\",\"email\":5},"
    "\"Select String\":{\"type\":\"select\",\"select\":\"No Show\"},"
    "\"Select No Name\":{\"type\":\"select\",\"select\":{\"id\":\"2\"}},"
    "\"Select Name Number\":{\"type\":\"select\",\"select\":{\"name\":2}},"
    "\"Status As Select\":{\"type\":\"select\",\"status\":{\"name\":\"X\"}}"
    "}}";

static int
page_setup(void **state)
{
	*state = cJSON_Parse(page_json);
	return *state != NULL ? 0 : -1;
}

static int
page_teardown(void **state)
{
	cJSON_Delete(*state);
	return 0;
}

static void
expect_text(const cJSON *page, const char *prop, const char *want)
{
	char out[1024];

	memset(out, 'Z', sizeof(out));
	if (notion_prop_text(page, prop, out, sizeof(out)) != 0)
		fail_msg("\"%s\": refused, want \"%s\"", prop, want);
	if (strcmp(out, want) != 0)
		fail_msg("\"%s\": \"%s\", want \"%s\"", prop, out, want);
}

static void
expect_no_text(const cJSON *page, const char *prop)
{
	char out[1024];

	memset(out, 'Z', sizeof(out));
	if (notion_prop_text(page, prop, out, sizeof(out)) != -1)
		fail_msg("\"%s\": accepted as \"%s\"", prop, out);
}

static void
test_prop_text(void **state)
{
	const cJSON		*page = *state;
	struct meeting_id	 id;
	char			 out[64];

	/* rich_text in pieces: joined as they are (trimmed later). */
	expect_text(page, "Zoom Meet ID", "857 4606 5432 ");
	assert_int_equal(notion_prop_text(page, "Zoom Meet ID", out,
	    sizeof(out)), 0);
	assert_int_equal(wf_meeting_id(out, &id), 0);
	assert_string_equal(id.text, "85746065432");
	expect_text(page, "Cal Booking UID", "bk-1");
	expect_text(page, "Empty Text", "");
	expect_text(page, "Name", "Session with @Client");
	/* Pieces without a plain_text string are skipped. */
	expect_text(page, "Odd Pieces", "1234");
	expect_text(page, "Coach Email", "coach@example.com");
	expect_text(page, "Client Email", "");		/* email: null */
	expect_text(page, "Join Link",
	    "https://us02web.zoom.us/j/85746065432?pwd=abc");
	assert_int_equal(notion_prop_text(page, "Join Link", out, sizeof(out)),
	    0);
	assert_int_equal(wf_meeting_id(out, &id), 0);
	assert_string_equal(id.text, "85746065432");
	expect_text(page, "Phone", "+1 555 0100");
	expect_text(page, "Meeting Number", "85746065432");
	expect_text(page, "No Number", "");
}

static void
test_prop_text_refused(void **state)
{
	const cJSON	*page = *state;
	char		 out[16];

	/* Missing, or names another property's case. */
	expect_no_text(page, "Nope");
	expect_no_text(page, "zoom meet id");
	expect_no_text(page, "");
	/* Types that are not text. */
	expect_no_text(page, "Status");
	expect_no_text(page, "Outcome");
	expect_no_text(page, "Done");
	expect_no_text(page, "When");
	expect_no_text(page, "Tags");
	expect_no_text(page, "Formula");
	/* A number that is no id. */
	expect_no_text(page, "Fraction");
	expect_no_text(page, "Negative");
	/* Malformed properties. */
	expect_no_text(page, "Text Not Array");
	expect_no_text(page, "Text No Value");
	expect_no_text(page, "Type Not String");
	expect_no_text(page, "Type Missing");
	expect_no_text(page, "Not Object");
	expect_no_text(page, "Email Number");
	/* No page, a page without properties. */
	assert_int_equal(notion_prop_text(NULL, "Zoom Meet ID", out,
	    sizeof(out)), -1);
	{
		cJSON *empty = cJSON_Parse("{\"object\":\"page\",\"id\":\"x\"}");

		assert_non_null(empty);
		assert_int_equal(notion_prop_text(empty, "Zoom Meet ID", out,
		    sizeof(out)), -1);
		cJSON_Delete(empty);
		empty = cJSON_Parse("{\"properties\":[]}");
		assert_non_null(empty);
		assert_int_equal(notion_prop_text(empty, "Zoom Meet ID", out,
		    sizeof(out)), -1);
		cJSON_Delete(empty);
	}
}

static void
test_prop_text_null_other_type(void **state)
{
	const cJSON *page = *state;

	/*
	 * An empty property of a type that holds no text is of another
	 * type all the same: a setting naming a select is a mistake to
	 * report, not an empty id to wait for.
	 */
	expect_no_text(page, "Empty Select");
	expect_no_text(page, "Empty Status");
	expect_no_text(page, "No Date");
}

static void
test_prop_text_room(void **state)
{
	const cJSON	*page = *state;
	char		 out[64];

	/* "857 4606 5432 ": 14 bytes, 15 with the NUL. */
	assert_int_equal(notion_prop_text(page, "Zoom Meet ID", out, 15), 0);
	assert_string_equal(out, "857 4606 5432 ");
	assert_int_equal(notion_prop_text(page, "Zoom Meet ID", out, 14), -1);
	assert_int_equal(notion_prop_text(page, "Zoom Meet ID", out, 8), -1);
	/* "coach@example.com": 17 bytes. */
	assert_int_equal(notion_prop_text(page, "Coach Email", out, 18), 0);
	assert_int_equal(notion_prop_text(page, "Coach Email", out, 17), -1);
	assert_int_equal(notion_prop_text(page, "Join Link", out, 20), -1);
	/* 85746065432: 11 digits. */
	assert_int_equal(notion_prop_text(page, "Meeting Number", out, 12), 0);
	assert_string_equal(out, "85746065432");
}

static void
test_prop_text_number_room(void **state)
{
	const cJSON	*page = *state;
	char		 out[64];

	/* A number cut short would be another meeting: refused. */
	memset(out, 0, sizeof(out));
	if (notion_prop_text(page, "Meeting Number", out, 8) != -1)
		fail_msg("85746065432 in 8 bytes: accepted as \"%s\"", out);
	assert_int_equal(notion_prop_text(page, "Meeting Number", out, 11), -1);
}

static void
expect_choice(const cJSON *page, const char *prop, const char *want_type,
    const char *want)
{
	const char	*type = NULL;
	char		 out[JOB_WORD_MAX];

	memset(out, 'Z', sizeof(out));
	if (notion_prop_choice(page, prop, &type, out, sizeof(out)) != 0)
		fail_msg("\"%s\": refused", prop);
	assert_non_null(type);
	assert_string_equal(type, want_type);
	assert_string_equal(out, want);
}

static void
expect_no_choice(const cJSON *page, const char *prop)
{
	const char	*type = "unset";
	char		 out[JOB_WORD_MAX];

	memset(out, 'Z', sizeof(out));
	if (notion_prop_choice(page, prop, &type, out, sizeof(out)) != -1)
		fail_msg("\"%s\": accepted as \"%s\"", prop, out);
	assert_int_equal(out[0], '\0');
}

static void
test_prop_choice(void **state)
{
	const cJSON	*page = *state;
	const char	*type;
	char		 out[16];

	expect_choice(page, "Status", "status", "Completed");
	expect_choice(page, "Empty Status", "status", "");
	expect_choice(page, "Outcome", "select", "No Show");
	expect_choice(page, "Empty Select", "select", "");
	/* Room: "Completed" is 9 bytes. */
	assert_int_equal(notion_prop_choice(page, "Status", &type, out, 10), 0);
	assert_string_equal(out, "Completed");
	assert_int_equal(notion_prop_choice(page, "Status", &type, out, 9), -1);
}

static void
test_prop_choice_refused(void **state)
{
	const cJSON	*page = *state;
	const char	*type = "unset";
	char		 out[16];

	expect_no_choice(page, "Nope");
	expect_no_choice(page, "status");
	/* Other types, text ones included. */
	expect_no_choice(page, "Zoom Meet ID");
	expect_no_choice(page, "Coach Email");
	expect_no_choice(page, "Tags");
	expect_no_choice(page, "Done");
	expect_no_choice(page, "Meeting Number");
	/* Malformed. */
	expect_no_choice(page, "Select String");
	expect_no_choice(page, "Select No Name");
	expect_no_choice(page, "Select Name Number");
	expect_no_choice(page, "Status As Select");
	expect_no_choice(page, "Type Not String");
	expect_no_choice(page, "Type Missing");
	expect_no_choice(page, "Not Object");
	/* Missing: no type either. */
	assert_int_equal(notion_prop_choice(page, "Nope", &type, out,
	    sizeof(out)), -1);
	assert_null(type);
	assert_int_equal(notion_prop_choice(NULL, "Status", &type, out,
	    sizeof(out)), -1);
}

/* ---- req_who_set --------------------------------------------------------- */

static void
test_who_set(void **state)
{
	struct att_who	who;
	char		long_text[300];

	(void)state;
	assert_int_equal(req_who_set(&who, "coach@example.com", "Coach"), 0);
	assert_true(who.given);
	assert_string_equal(who.email, "coach@example.com");
	assert_string_equal(who.name, "Coach");
	assert_int_equal(req_who_set(&who, "c@x", NULL), 0);
	assert_true(who.given);
	assert_string_equal(who.name, "");
	assert_int_equal(req_who_set(&who, NULL, "Only A Name"), 0);
	assert_true(who.given);
	assert_string_equal(who.email, "");
	/* Nothing: not given, no error. */
	assert_int_equal(req_who_set(&who, NULL, NULL), 0);
	assert_false(who.given);
	assert_int_equal(req_who_set(&who, "", ""), 0);
	assert_false(who.given);
	/* Wrong: refused and cleared. */
	memset(long_text, 'a', 255);
	long_text[255] = '\0';
	assert_int_equal(req_who_set(&who, NULL, long_text), 0);
	long_text[255] = 'a';
	long_text[256] = '\0';
	assert_int_equal(req_who_set(&who, NULL, long_text), -1);
	assert_false(who.given);
	assert_string_equal(who.name, "");
	assert_int_equal(req_who_set(&who, "nobody", "N"), -1);
	assert_false(who.given);
	assert_int_equal(req_who_set(&who, "@x", NULL), -1);
	assert_int_equal(req_who_set(&who, "a@", NULL), -1);
	assert_int_equal(req_who_set(&who, "a@b@c", NULL), -1);
	assert_int_equal(req_who_set(&who, "a b@c", NULL), -1);
	assert_int_equal(req_who_set(&who, " a@b", NULL), -1);
	assert_int_equal(req_who_set(&who, "a@b", "x\ny"), -1);
	assert_int_equal(req_who_set(&who, "a@b", "x\x7fy"), -1);
	assert_int_equal(req_who_set(&who, "a@b", "x\xc2\x85y"), -1);	/* C1 */
	assert_int_equal(req_who_set(&who, "a@b", "x\xffy"), -1);
	assert_int_equal(req_who_set(&who, "a\xc3@b", NULL), -1);
	assert_int_equal(req_who_set(&who, "\xc3\xa9@b", "\xc3\x89lise"), 0);
}

/* ---- log_safe ------------------------------------------------------------ */

static void
test_log_safe(void **state)
{
	char	out[64], small[4];
	char	canary[4] = { 'Q', 'Q', 'Q', 'Q' };

	(void)state;
	assert_ptr_equal(log_safe("x", out, sizeof(out)), out);
	assert_string_equal(log_safe("bk-1_A.b:c@d+e", out, sizeof(out)),
	    "bk-1_A.b:c@d+e");
	assert_string_equal(log_safe("Az09", out, sizeof(out)), "Az09");
	/* Blanks, quotes, '=' and the rest become '_': one field, no forgery. */
	assert_string_equal(log_safe("a b\"c\nd\re\tf", out, sizeof(out)),
	    "a_b_c_d_e_f");
	assert_string_equal(log_safe("uid=x outcome=written", out, sizeof(out)),
	    "uid_x_outcome_written");
	assert_string_equal(log_safe("../%s/\\;'`$()", out, sizeof(out)),
	    "..__s________");
	/* UTF-8: each byte. */
	assert_string_equal(log_safe("caf\xc3\xa9", out, sizeof(out)),
	    "caf__");
	assert_string_equal(log_safe("\x1b[31m\x7f", out, sizeof(out)),
	    "__31m_");
	assert_string_equal(log_safe("", out, sizeof(out)), "");
	/* Cut to the room given. */
	assert_string_equal(log_safe("abcdef", small, sizeof(small)), "abc");
	assert_string_equal(log_safe("abcdef", small, 1), "");
	log_safe("abcdef", canary, 0);		/* no room: nothing written */
	assert_memory_equal(canary, "QQQQ", 4);
}

/* ---- req_path_ends ------------------------------------------------------ */

static void
test_path_ends(void **state)
{
	static const char suffix[] = "/api/cal/meeting-ended";

	(void)state;
	assert_true(req_path_ends("/api/cal/meeting-ended", suffix));
	assert_true(req_path_ends("/api/cal/meeting-ended/", suffix));
	assert_true(req_path_ends("/api/cal/meeting-ended//", suffix));
	assert_true(req_path_ends("/api/cal/meeting-ended?x=1", suffix));
	assert_true(req_path_ends("/api/cal/meeting-ended/?next=/a/b", suffix));
	assert_true(req_path_ends("/api/cal/meeting-ended?", suffix));
	assert_true(req_path_ends("/zoom-attendees/api/cal/meeting-ended",
	    suffix));
	assert_true(req_path_ends("/cgi-bin/zoom-attendees.cgi/api/cal/"
	    "meeting-ended", suffix));
	assert_false(req_path_ends("/api/cal/meeting-ended/x", suffix));
	assert_false(req_path_ends("/api/cal/meeting-ended.json", suffix));
	assert_false(req_path_ends("/api/cal/meeting-endedx", suffix));
	assert_false(req_path_ends("/api/cal/meeting-ende", suffix));
	assert_false(req_path_ends("/api/cal/xmeeting-ended", suffix));
	assert_false(req_path_ends("api/cal/meeting-ended", suffix));
	assert_false(req_path_ends("/?/api/cal/meeting-ended", suffix));
	assert_false(req_path_ends("/x?y=/api/cal/meeting-ended", suffix));
	assert_false(req_path_ends("", suffix));
	assert_false(req_path_ends("/", suffix));
	assert_false(req_path_ends(NULL, suffix));
	/* The short suffix the route matches, and the health check. */
	assert_true(req_path_ends("/api/zoom/meeting-ended", "/meeting-ended"));
	assert_true(req_path_ends("/meeting-ended", "/meeting-ended"));
	assert_false(req_path_ends("meeting-ended", "/meeting-ended"));
	assert_false(req_path_ends("/api/cal/premeeting-ended", "/meeting-ended"));
	assert_true(req_path_ends("/healthz/", "/healthz"));
	assert_false(req_path_ends("/api/zoom-attendees", "/healthz"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_meeting_id_plain),
		cmocka_unit_test(test_meeting_id_whitespace),
		cmocka_unit_test(test_meeting_id_join_url),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test_setup_teardown(test_prop_text, page_setup,
		    page_teardown),
		cmocka_unit_test_setup_teardown(test_prop_text_refused,
		    page_setup, page_teardown),
		cmocka_unit_test_setup_teardown(test_prop_text_null_other_type,
		    page_setup, page_teardown),
		cmocka_unit_test_setup_teardown(test_prop_text_room, page_setup,
		    page_teardown),
		cmocka_unit_test_setup_teardown(test_prop_text_number_room,
		    page_setup, page_teardown),
		cmocka_unit_test_setup_teardown(test_prop_choice, page_setup,
		    page_teardown),
		cmocka_unit_test_setup_teardown(test_prop_choice_refused,
		    page_setup, page_teardown),
		cmocka_unit_test(test_who_set),
		cmocka_unit_test(test_log_safe),
		cmocka_unit_test(test_path_ends),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
