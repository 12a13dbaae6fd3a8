/* attendance.c - rows to persons to a verdict; see attendance.h. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <unicase.h>
#include <uninorm.h>
#include <unistr.h>

#include "attendance.h"
#include "util.h"

#define ROWS_TEXT_CAP	(64 * 1024 * 1024)	/* the rows' strings, at most */
#define TIME_TEXT_MAX	64			/* a join_time or leave_time */

static const char *const match_names[ATT_MATCH__MAX] = {
	"none",			/* ATT_MATCH_NONE */
	"email",		/* ATT_MATCH_EMAIL */
	"name",			/* ATT_MATCH_NAME */
	"ambiguous",		/* ATT_MATCH_AMBIGUOUS */
	"host",			/* ATT_MATCH_HOST */
};

const char *
att_match_name(enum att_match m)
{
	return m >= 0 && m < ATT_MATCH__MAX ? match_names[m] : "none";
}

/* ---- the rows ------------------------------------------------------------ */

void
att_rows_init(struct att_rows *r)
{
	memset(r, 0, sizeof(*r));
	buf_init(&r->text, ROWS_TEXT_CAP);
}

void
att_rows_reset(struct att_rows *r)
{
	r->n = 0;
	buf_reset(&r->text);
}

void
att_rows_free(struct att_rows *r)
{
	free(r->v);
	r->v = NULL;
	r->n = r->cap = 0;
	buf_free(&r->text);
}

static int
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/*
 * Append the string value v (validated JSON, quotes included) to r->text
 * and note where it went. Most of Zoom's strings hold no escape: those
 * are copied as they are, without a second pass of the decoder.
 */
static enum att_err
add_text(struct att_rows *r, struct js_span v, size_t *off, size_t *len)
{
	struct buf	 tmp;
	enum att_err	 rc = ATT_OK;

	*off = r->text.len;
	*len = 0;
	if (!js_is_string(v) || v.len < 2)
		return ATT_OK;		/* null or another type: absent */
	if (memchr(v.p, '\\', v.len) == NULL) {
		if (buf_add(&r->text, v.p + 1, v.len - 2) != BUF_OK)
			return ATT_ENOMEM;
	} else {
		buf_init(&tmp, ATT_TEXT_MAX * 16);
		if (js_string_decode(v, &tmp) != JS_OK ||
		    buf_add(&r->text, tmp.data ? tmp.data : "", tmp.len) != BUF_OK)
			rc = ATT_ENOMEM;
		buf_free(&tmp);
		if (rc != ATT_OK)
			return rc;
	}
	*len = r->text.len - *off;
	return ATT_OK;
}

/* The email as people match it: blanks around dropped, ASCII lower case. */
static void
norm_email(struct att_rows *r, size_t *off, size_t *len)
{
	char	*s = r->text.data + *off;
	size_t	 i;

	while (*len > 0 && is_blank(s[0])) {
		s++;
		(*off)++;
		(*len)--;
	}
	while (*len > 0 && is_blank(s[*len - 1]))
		(*len)--;
	for (i = 0; i < *len; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			s[i] = (char)(s[i] - 'A' + 'a');
}

/* A JSON string holding an ISO 8601 time, as epoch seconds; -1 if not. */
static int64_t
json_time(struct js_span v)
{
	char	 text[TIME_TEXT_MAX];
	time_t	 t;

	if (!js_is_string(v) || v.len < 2 || v.len - 2 >= sizeof(text) ||
	    memchr(v.p, '\\', v.len) != NULL)
		return -1;
	memcpy(text, v.p + 1, v.len - 2);
	text[v.len - 2] = '\0';
	return parse_utc_time(text, &t) == 0 ? (int64_t)t : -1;
}

static enum att_err
grow(struct att_rows *r)
{
	struct att_row	*v;
	size_t		 cap = r->cap ? r->cap * 2 : 64;

	if ((v = realloc(r->v, cap * sizeof(*v))) == NULL)
		return ATT_ENOMEM;
	r->v = v;
	r->cap = cap;
	return ATT_OK;
}

enum att_err
att_rows_add_json(struct att_rows *r, struct js_span el)
{
	struct js_iter	 it;
	struct js_span	 key, val;
	struct att_row	*row;
	enum att_err	 rc;
	enum js_err	 je;

	if (js_iter_object(&it, el) != JS_OK)
		return ATT_EROW;
	if (r->n == r->cap && (rc = grow(r)) != ATT_OK)
		return rc;
	row = &r->v[r->n];
	memset(row, 0, sizeof(*row));
	row->join = row->leave = -1;
	row->email = row->id = row->name = r->text.len;
	while ((je = js_next_member(&it, &key, &val)) == JS_OK) {
		rc = ATT_OK;
		if (js_key_is(key, "user_email")) {
			rc = add_text(r, val, &row->email, &row->email_len);
			norm_email(r, &row->email, &row->email_len);
		} else if (js_key_is(key, "id"))
			rc = add_text(r, val, &row->id, &row->id_len);
		else if (js_key_is(key, "name"))
			rc = add_text(r, val, &row->name, &row->name_len);
		else if (js_key_is(key, "join_time"))
			row->join = json_time(val);
		else if (js_key_is(key, "leave_time"))
			row->leave = json_time(val);
		else if (js_key_is(key, "status"))
			row->waiting = val.len == 17 &&
			    memcmp(val.p, "\"in_waiting_room\"", 17) == 0;
		if (rc != ATT_OK)
			return rc;
	}
	if (je != JS_END)
		return ATT_EROW;
	r->n++;
	return ATT_OK;
}

/* ---- names ------------------------------------------------------------- */

/*
 * Device words Zoom's clients append to a name, as " (iPhone)" or
 * " - Android" (lower case: compared after folding).
 */
static const char *const device_words[] = {
	"iphone", "ipad", "ipod", "android", "phone", "mobile", "tablet",
	"web", "web client", "desktop", "pc", "mac", "macbook", "windows",
	"linux", "chromebook", "zoom rooms", "zoom room",
};

static int
is_device_word(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < ARRAY_LEN(device_words); i++)
		if (strlen(device_words[i]) == len &&
		    memcmp(device_words[i], s, len) == 0)
			return 1;
	return 0;
}

/* The length of s without a trailing device tag (s is folded, trimmed). */
static size_t
drop_device_tag(const char *s, size_t len)
{
	size_t	 i;

	if (len >= 4 && s[len - 1] == ')') {
		for (i = len - 1; i > 0 && s[i - 1] != '('; i--)
			;
		if (i >= 3 && s[i - 2] == ' ' &&
		    is_device_word(s + i, len - 1 - i))
			return i - 2;
	}
	for (i = len; i >= 3; i--)
		if (s[i - 3] == ' ' && s[i - 2] == '-' && s[i - 1] == ' ')
			return is_device_word(s + i, len - i) ? i - 3 : len;
	return len;
}

/*
 * Collapse runs of white space to one space and trim, in place; then
 * drop a device tag and the blanks before it. The new length.
 */
static size_t
tidy(char *s, size_t len)
{
	size_t	 i, j = 0;
	int	 blank = 1;	/* leading blanks go */

	for (i = 0; i < len; i++) {
		if (is_blank(s[i])) {
			if (!blank)
				s[j++] = ' ';
			blank = 1;
		} else {
			s[j++] = s[i];
			blank = 0;
		}
	}
	if (j > 0 && s[j - 1] == ' ')
		j--;
	j = drop_device_tag(s, j);
	while (j > 0 && s[j - 1] == ' ')
		j--;
	return j;
}

long
att_norm_name(const char *s, size_t len, char *out, size_t outlen)
{
	uint8_t	*folded;
	size_t	 i, n;
	int	 ascii = 1;

	for (i = 0; i < len && ascii; i++)
		ascii = (unsigned char)s[i] < 0x80;
	if (ascii) {
		/* ASCII folds to ASCII lower case, and NFKC leaves it as it is. */
		if (len >= outlen)
			return -1;
		for (i = 0; i < len; i++)
			out[i] = (s[i] >= 'A' && s[i] <= 'Z') ?
			    (char)(s[i] - 'A' + 'a') : s[i];
		return (long)tidy(out, len);
	}
	if (u8_check((const uint8_t *)s, len) != NULL)
		return -1;		/* not UTF-8: no name to match */
	n = outlen;
	folded = u8_casefold((const uint8_t *)s, len, NULL, UNINORM_NFKC,
	    (uint8_t *)out, &n);
	if (folded == NULL)
		return -1;		/* out of memory */
	if (folded != (uint8_t *)out) {	/* did not fit */
		free(folded);
		return -1;
	}
	return (long)tidy(out, n);
}

/* ---- merging rows into persons ----------------------------------------- */

/* Union-find over rows: rows of one person end with the same root. */
static size_t
find(size_t *parent, size_t i)
{
	while (parent[i] != i) {
		parent[i] = parent[parent[i]];
		i = parent[i];
	}
	return i;
}

static void
unite(size_t *parent, size_t a, size_t b)
{
	a = find(parent, a);
	b = find(parent, b);
	if (a != b)
		parent[a < b ? b : a] = a < b ? a : b;	/* the earlier row leads */
}

/* An open-addressing table from a string to the first row that had it. */
struct str_map {
	size_t		*slot;		/* row + 1; 0 empty */
	size_t		 mask;
};

static uint64_t
hash_bytes(const char *s, size_t len)
{
	uint64_t	h = 1469598103934665603ULL;
	size_t		i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h;
}

static int
map_init(struct str_map *m, size_t n)
{
	size_t size = 16;

	while (size < n * 2)
		size *= 2;
	m->mask = size - 1;
	return (m->slot = calloc(size, sizeof(*m->slot))) == NULL ? -1 : 0;
}

/*
 * The first row with this string (text of row `row`, at key/len), or row
 * itself when it is the first. keyof gives a row's string.
 */
static size_t
map_first(struct str_map *m, const char *base, const struct att_row *rows,
    size_t row, size_t key, size_t len,
    void (*keyof)(const struct att_row *, size_t *, size_t *))
{
	size_t	 i = (size_t)hash_bytes(base + key, len) & m->mask;
	size_t	 k, l;

	for (;; i = (i + 1) & m->mask) {
		if (m->slot[i] == 0) {
			m->slot[i] = row + 1;
			return row;
		}
		keyof(&rows[m->slot[i] - 1], &k, &l);
		if (l == len && memcmp(base + k, base + key, len) == 0)
			return m->slot[i] - 1;
	}
}

static void
email_of(const struct att_row *r, size_t *off, size_t *len)
{
	*off = r->email;
	*len = r->email_len;
}

static void
id_of(const struct att_row *r, size_t *off, size_t *len)
{
	*off = r->id;
	*len = r->id_len;
}

/*
 * Rows' normalised names, made only for the rows that need one (rows
 * without email and id, and name matching): folding every name of a
 * 1,000-row meeting would cost more than the rest of the verdict.
 */
#define NAME_NOT_DONE	((size_t)-1)
#define NAME_UNUSABLE	((size_t)-2)

struct names {
	struct buf	 text;		/* the names made so far */
	size_t		*off, *len;	/* per row, or NAME_* */
};

static int
names_init(struct names *nm, size_t n)
{
	size_t i;

	buf_init(&nm->text, ROWS_TEXT_CAP);
	nm->off = malloc((n ? n : 1) * sizeof(*nm->off));
	nm->len = malloc((n ? n : 1) * sizeof(*nm->len));
	if (nm->off == NULL || nm->len == NULL)
		return -1;
	for (i = 0; i < n; i++)
		nm->len[i] = NAME_NOT_DONE;
	return 0;
}

static void
names_free(struct names *nm)
{
	buf_free(&nm->text);
	free(nm->off);
	free(nm->len);
}

/*
 * Row i's normalised name: 1 with *p and *len set, 0 when it has none
 * usable (empty, not UTF-8, too long), -1 out of memory.
 */
static int
row_name(struct names *nm, const struct att_rows *r, size_t i,
    const char **p, size_t *len)
{
	char	 tmp[ATT_TEXT_MAX * 4];
	long	 n;

	if (nm->len[i] == NAME_NOT_DONE) {
		n = att_norm_name(r->text.data + r->v[i].name,
		    r->v[i].name_len, tmp, sizeof(tmp));
		nm->len[i] = NAME_UNUSABLE;
		if (n > 0) {
			nm->off[i] = nm->text.len;
			if (buf_add(&nm->text, tmp, (size_t)n) != BUF_OK)
				return -1;
			nm->len[i] = (size_t)n;
		}
	}
	if (nm->len[i] == NAME_UNUSABLE)
		return 0;
	*p = nm->text.data + nm->off[i];
	*len = nm->len[i];
	return 1;
}

/*
 * Merge: rows sharing an email are one person, so are rows sharing a
 * non-empty id (user_id is per join: never a key); rows with neither
 * join the others with neither by normalised name. The number of
 * persons, or -1 (out of memory).
 */
static long
merge(struct att_rows *r, struct names *nm, size_t *parent)
{
	struct str_map	 by_email, by_id, by_name;
	const char	*base = r->text.data, *name, *other;
	size_t		 i, j, k, len, olen;
	long		 persons = -1;
	int		 got;

	memset(&by_email, 0, sizeof(by_email));
	memset(&by_id, 0, sizeof(by_id));
	memset(&by_name, 0, sizeof(by_name));
	if (map_init(&by_email, r->n) < 0 || map_init(&by_id, r->n) < 0 ||
	    map_init(&by_name, r->n) < 0)
		goto out;
	for (i = 0; i < r->n; i++)
		parent[i] = i;
	for (i = 0; i < r->n; i++) {
		const struct att_row *w = &r->v[i];

		if (w->email_len > 0)
			unite(parent, i, map_first(&by_email, base, r->v, i,
			    w->email, w->email_len, email_of));
		if (w->id_len > 0)
			unite(parent, i, map_first(&by_id, base, r->v, i,
			    w->id, w->id_len, id_of));
		if (w->email_len > 0 || w->id_len > 0)
			continue;
		if ((got = row_name(nm, r, i, &name, &len)) < 0)
			goto out;
		if (got == 0)
			continue;	/* nothing to know this row by */
		for (k = (size_t)hash_bytes(name, len) & by_name.mask; ;
		    k = (k + 1) & by_name.mask) {
			if (by_name.slot[k] == 0) {
				by_name.slot[k] = i + 1;
				break;
			}
			j = by_name.slot[k] - 1;
			if (row_name(nm, r, j, &other, &olen) == 1 &&
			    olen == len && memcmp(other, name, len) == 0) {
				unite(parent, i, j);
				break;
			}
		}
	}
	persons = 0;
	for (i = 0; i < r->n; i++) {
		r->v[i].person = find(parent, i);
		persons += r->v[i].person == i;
	}
out:
	free(by_email.slot);
	free(by_id.slot);
	free(by_name.slot);
	return persons;
}

/* ---- one person of the query --------------------------------------------- */

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/*
 * The rows of person p: joins, waiting room only, and the union of the
 * in-meeting intervals (overlaps from a second device or a failover
 * counted once).
 */
static int
measure(const struct att_rows *r, size_t p, struct att_person *out)
{
	int64_t	*iv, start = -1, end = -1;
	size_t	 i, k = 0;
	int	 in_meeting = 0;

	if ((iv = malloc((r->n ? r->n : 1) * 2 * sizeof(*iv))) == NULL)
		return -1;
	out->first_join = out->last_leave = -1;
	for (i = 0; i < r->n; i++) {
		const struct att_row *w = &r->v[i];

		if (w->person != p)
			continue;
		out->joins++;
		if (w->waiting)
			continue;
		in_meeting = 1;
		if (w->join < 0)
			continue;
		if (out->first_join < 0 || w->join < out->first_join)
			out->first_join = w->join;
		if (w->leave >= w->join) {
			if (w->leave > out->last_leave)
				out->last_leave = w->leave;
			iv[2 * k] = w->join;
			iv[2 * k + 1] = w->leave;
			k++;
		}
	}
	out->waiting_only = out->joins > 0 && !in_meeting;
	/* Sort by start (pairs move together), then sweep. */
	qsort(iv, k, 2 * sizeof(*iv), cmp_i64);
	out->seconds = 0;
	for (i = 0; i < k; i++) {
		if (start < 0 || iv[2 * i] > end) {
			if (start >= 0)
				out->seconds += (long)(end - start);
			start = iv[2 * i];
			end = iv[2 * i + 1];
		} else if (iv[2 * i + 1] > end)
			end = iv[2 * i + 1];
	}
	if (start >= 0)
		out->seconds += (long)(end - start);
	free(iv);
	return in_meeting;
}

/*
 * Find who among the persons: by email first, else by normalised name
 * (ambiguous when it fits two persons). Then measure them.
 */
static int
find_person(const struct att_rows *r, struct names *nm,
    const struct att_who *who, long min_seconds, struct att_person *out)
{
	char		 email[ATT_TEXT_MAX], name[ATT_TEXT_MAX * 4];
	const char	*rname;
	size_t		 i, elen = strlen(who->email), found = (size_t)-1;
	size_t		 rlen;
	long		 nlen;
	int		 in_meeting, got;

	memset(out, 0, sizeof(*out));
	out->given = who->given;
	out->first_join = out->last_leave = -1;
	if (!who->given)
		return 0;
	/* Email: the same normalisation as the rows'. */
	while (elen > 0 && is_blank(who->email[elen - 1]))
		elen--;
	for (i = 0; i < elen && is_blank(who->email[i]); i++)
		;
	elen -= i;
	memcpy(email, who->email + i, elen);
	for (i = 0; i < elen; i++)
		if (email[i] >= 'A' && email[i] <= 'Z')
			email[i] = (char)(email[i] - 'A' + 'a');
	for (i = 0; elen > 0 && i < r->n; i++)
		if (r->v[i].email_len == elen &&
		    memcmp(r->text.data + r->v[i].email, email, elen) == 0) {
			found = r->v[i].person;
			out->match = ATT_MATCH_EMAIL;
			break;
		}
	if (found == (size_t)-1 && who->name[0] != '\0' &&
	    (nlen = att_norm_name(who->name, strlen(who->name), name,
	    sizeof(name))) > 0) {
		for (i = 0; i < r->n; i++) {
			if ((got = row_name(nm, r, i, &rname, &rlen)) < 0)
				return -1;
			if (got == 0 || rlen != (size_t)nlen ||
			    memcmp(rname, name, rlen) != 0)
				continue;
			if (found == (size_t)-1) {
				found = r->v[i].person;
				out->match = ATT_MATCH_NAME;
			} else if (r->v[i].person != found) {
				out->match = ATT_MATCH_AMBIGUOUS;
				return 0;	/* never counted as attended */
			}
		}
	}
	if (found == (size_t)-1)
		return 0;
	out->person = found;
	if ((in_meeting = measure(r, found, out)) < 0)
		return -1;
	out->attended = in_meeting && out->seconds >= min_seconds;
	return 0;
}

static void
set_status(struct att_result *res)
{
	res->has_status = res->coach.given && res->client.given;
	if (res->coach.attended && res->client.attended)
		res->status = ATT_COMPLETED;
	else if (res->coach.attended)
		res->status = ATT_NO_SHOW;
	else if (res->client.attended)
		res->status = ATT_COACH_NO_SHOW;
	else
		res->status = ATT_NEVER_HELD;
}

enum att_err
att_decide(struct att_rows *r, const struct att_query *q,
    struct att_result *res)
{
	struct names	 nm;
	size_t		*parent;
	long		 people;
	enum att_err	 rc = ATT_ENOMEM;

	memset(res, 0, sizeof(*res));
	memset(&nm, 0, sizeof(nm));
	if ((parent = malloc((r->n ? r->n : 1) * sizeof(*parent))) == NULL)
		return ATT_ENOMEM;
	if (names_init(&nm, r->n) < 0 || (people = merge(r, &nm, parent)) < 0)
		goto out;
	res->people = (size_t)people;
	if (find_person(r, &nm, &q->coach, q->min_seconds, &res->coach) < 0 ||
	    find_person(r, &nm, &q->client, q->min_seconds, &res->client) < 0)
		goto out;
	set_status(res);
	rc = ATT_OK;
out:
	names_free(&nm);
	free(parent);
	return rc;
}

int
att_from_record(const struct att_query *q, const struct att_record *rec,
    struct att_result *res)
{
	struct att_person	*c = &res->coach;
	size_t			 i, n;

	memset(res, 0, sizeof(*res));
	res->coach.given = q->coach.given;
	res->client.given = q->client.given;
	c->first_join = c->last_leave = -1;
	res->client.first_join = res->client.last_leave = -1;
	/* No record at all: the meeting never took place. */
	if (rec->found && rec->participants_count > 1)
		return -1;	/* people came; their rows are not ready */
	if (rec->found && rec->participants_count == 1 && q->coach.given &&
	    q->coach.email[0] != '\0') {
		/* Zoom lists no rows when one person was there alone. */
		n = strlen(q->coach.email);
		while (n > 0 && is_blank(q->coach.email[n - 1]))
			n--;
		for (i = 0; i < n && is_blank(q->coach.email[i]); i++)
			;
		if (strlen(rec->host_email) == n - i &&
		    ascii_ncaseeq(rec->host_email, q->coach.email + i, n - i)) {
			c->match = ATT_MATCH_HOST;
			c->joins = 1;
			if (rec->end >= rec->start && rec->start > 0) {
				c->seconds = (long)(rec->end - rec->start);
				c->first_join = rec->start;
				c->last_leave = rec->end;
			} else if (rec->duration_min > 0)
				c->seconds = rec->duration_min * 60;
			c->attended = c->seconds >= q->min_seconds;
			res->people = 1;
		}
	}
	if (rec->found && rec->participants_count == 1)
		res->people = 1;
	set_status(res);
	return 0;
}

/* ---- the answer ---------------------------------------------------------- */

static int
add_time(cJSON *o, const char *name, int64_t t)
{
	char		 text[32];
	time_t		 tt = (time_t)t;
	struct tm	 tm;

	if (t < 0)
		return 0;
	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return -1;
	return cJSON_AddStringToObject(o, name, text) == NULL ? -1 : 0;
}

static cJSON *
person_json(const struct att_rows *r, const struct att_person *p)
{
	cJSON	*o, *rows;
	size_t	 i;
	int	 matched = p->match == ATT_MATCH_EMAIL ||
		    p->match == ATT_MATCH_NAME;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	if (cJSON_AddBoolToObject(o, "attended", p->attended) == NULL ||
	    cJSON_AddNumberToObject(o, "seconds", (double)p->seconds) == NULL ||
	    cJSON_AddNumberToObject(o, "joins", p->joins) == NULL ||
	    add_time(o, "firstJoin", p->first_join) < 0 ||
	    add_time(o, "lastLeave", p->last_leave) < 0 ||
	    (p->waiting_only &&
	    cJSON_AddBoolToObject(o, "waitingRoomOnly", 1) == NULL) ||
	    cJSON_AddStringToObject(o, "matchedBy",
	    att_match_name(p->match)) == NULL ||
	    (rows = cJSON_AddArrayToObject(o, "rows")) == NULL)
		goto fail;
	for (i = 0; matched && i < r->n; i++)
		if (r->v[i].person == p->person &&
		    !cJSON_AddItemToArray(rows, cJSON_CreateNumber((double)i)))
			goto fail;
	return o;
fail:
	cJSON_Delete(o);
	return NULL;
}

int
att_write_json(const struct att_rows *r, const struct att_result *res,
    const char *const words[ATT__STATUS_MAX], struct buf *out)
{
	cJSON	*o, *p;
	char	*text = NULL;
	int	 rc = -1;

	if ((o = cJSON_CreateObject()) == NULL)
		return -1;
	if ((res->has_status ?
	    cJSON_AddStringToObject(o, "status", words[res->status]) :
	    cJSON_AddNullToObject(o, "status")) == NULL)
		goto out;
	if (res->coach.given) {
		if ((p = person_json(r, &res->coach)) == NULL)
			goto out;
		cJSON_AddItemToObject(o, "coach", p);
	}
	if (res->client.given) {
		if ((p = person_json(r, &res->client)) == NULL)
			goto out;
		cJSON_AddItemToObject(o, "client", p);
	}
	if (cJSON_AddNumberToObject(o, "people", (double)res->people) == NULL ||
	    (text = cJSON_PrintUnformatted(o)) == NULL)
		goto out;
	rc = buf_addstr(out, text) == BUF_OK ? 0 : -1;
out:
	cJSON_free(text);
	cJSON_Delete(o);
	return rc;
}
