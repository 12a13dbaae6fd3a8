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

/*
 * Called for every member of every row (a dozen a row): the length and
 * one byte rule out the others before any comparison of the text.
 */
int
att_field_index(const char *k, size_t len)
{
	switch (len) {
	case 2:
		return k[0] == 'i' && k[1] == 'd' ? ATT_F_ID : -1;
	case 4:
		return memcmp(k, "name", 4) == 0 ? ATT_F_NAME : -1;
	case 6:
		return memcmp(k, "status", 6) == 0 ? ATT_F_STATUS : -1;
	case 9:
		return memcmp(k, "join_time", 9) == 0 ? ATT_F_JOIN : -1;
	case 10:
		if (k[0] == 'u')
			return memcmp(k, "user_email", 10) == 0 ?
			    ATT_F_EMAIL : -1;
		return memcmp(k, "leave_time", 10) == 0 ? ATT_F_LEAVE : -1;
	default:
		return -1;
	}
}

void
att_rows_init(struct att_rows *r)
{
	memset(r, 0, sizeof(*r));
}

void
att_rows_reset(struct att_rows *r)
{
	r->n = 0;
	r->text_off = 0;
}

void
att_rows_free(struct att_rows *r)
{
	free(r->v);
	r->v = NULL;
	r->n = r->cap = 0;
}

static uint64_t	hash_key(const char *s, size_t len, int fold);

/* Can c (folded) be the last byte of a device tag? ')' or b c d e k m p s t x. */
static inline int
ends_device_tag(char c)
{
	return c == ')' || (c >= 'b' && c <= 'x' &&
	    ((0x464a0fUL >> (c - 'b')) & 1));
}

/* ASCII upper case to lower; every other byte as it is. */
static inline char
fold_ascii(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
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

/*
 * The last byte a row's name normalises to, when its raw bytes tell: a
 * last byte that ends no device tag, is ASCII and no escape's (folded);
 * else 0.
 */
static char
name_end_of(const char *raw, size_t len)
{
	size_t	n = len, i;
	char	c;

	while (n > 0 && is_blank(raw[n - 1]))
		n--;
	if (n == 0)
		return 0;
	c = raw[n - 1];
	if ((unsigned char)c >= 0x80)
		return 0;
	for (i = n > 6 ? n - 6 : 0; i < n; i++)
		if (raw[i] == '\\')
			return 0;	/* "\u00e9" ends with '9', decodes to 'é' */
	c = fold_ascii(c);
	return ends_device_tag(c) ? 0 : c;
}

enum att_err
att_rows_add(struct att_rows *r, const struct js_span vals[ATT_F__MAX],
    const char *base, size_t off_base)
{
	struct att_row	*row;
	struct att_str	*e;
	const char	*p;
	enum att_err	 rc;
	size_t		 f, len;

	if (r->n == r->cap && (rc = grow(r)) != ATT_OK)
		return rc;
	row = &r->v[r->n++];
	row->person = 0;
	for (f = 0; f < ATT_F_STATUS; f++) {
		const struct js_span *v = &vals[f];

		/* Strings only; null or another type counts as absent. */
		if (v->len < 3 || v->p[0] != '"') {
			row->f[f].off = row->f[f].len = 0;
			continue;
		}
		row->f[f].off = (uint32_t)(off_base + (size_t)(v->p + 1 - base));
		row->f[f].len = (uint32_t)(v->len - 2);
	}
	row->waiting = vals[ATT_F_STATUS].len == 17 &&
	    memcmp(vals[ATT_F_STATUS].p, "\"in_waiting_room\"", 17) == 0;

	/* The email trimmed and hashed, unless escaped (the merge decodes). */
	e = &row->f[ATT_F_EMAIL];
	row->email_plain = 1;
	if (e->len > 0) {
		p = vals[ATT_F_EMAIL].p + 1;
		row->email_plain = memchr(p, '\\', e->len) == NULL;
	}
	if (row->email_plain && e->len > 0) {
		len = e->len;
		trim(&p, &len);
		e->off += (uint32_t)(p - (vals[ATT_F_EMAIL].p + 1));
		e->len = (uint32_t)len;
		row->email_hash = hash_key(p, len, 1);
	}
	if (row->f[ATT_F_ID].len > 0)
		row->id_hash = hash_key(vals[ATT_F_ID].p + 1,
		    row->f[ATT_F_ID].len, 0);
	row->name_end = row->f[ATT_F_NAME].len > 0 ?
	    name_end_of(vals[ATT_F_NAME].p + 1, row->f[ATT_F_NAME].len) : 0;
	return ATT_OK;
}

enum att_err
att_rows_add_json(struct att_rows *r, struct js_span el, const char *base,
    size_t off_base)
{
	struct js_span	 vals[ATT_F__MAX], key, val;
	struct js_iter	 it;
	enum js_err	 je;
	int		 f;

	memset(vals, 0, sizeof(vals));
	if (js_iter_object(&it, el) != JS_OK)
		return ATT_EROW;
	while ((je = js_next_member(&it, &key, &val)) == JS_OK)
		if ((f = att_field_index(key.p, key.len)) >= 0)
			vals[f] = val;
	if (je != JS_END)
		return ATT_EROW;
	return att_rows_add(r, vals, base, off_base);
}

/*
 * A row's string, decoded: the bytes in text when it has no escape
 * (Zoom's usual: 0), else decoded into tmp, valid until its next use (1).
 * -1: out of memory.
 */
static int
str_of(const char *text, const struct att_str *s, struct buf *tmp,
    const char **p, size_t *len)
{
	struct js_span v = { text + s->off - 1, (size_t)s->len + 2 };

	if (memchr(text + s->off, '\\', s->len) == NULL) {
		*p = text + s->off;
		*len = s->len;
		return 0;
	}
	if (js_string_decode(v, tmp) != JS_OK)
		return -1;
	*p = tmp->data ? tmp->data : "";
	*len = tmp->len;
	return 1;
}

/* A row's time member as epoch seconds; -1 when absent or not a time. */
static int64_t
time_of(const char *text, const struct att_str *s)
{
	char	 buf[TIME_TEXT_MAX];
	time_t	 t;

	if (s->len == 0 || s->len >= sizeof(buf))
		return -1;	/* an escape fails the parse: no time Zoom sends */
	memcpy(buf, text + s->off, s->len);
	buf[s->len] = '\0';
	return parse_utc_time(buf, &t) == 0 ? (int64_t)t : -1;
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

#define DEVICE_WORD_MAX	10	/* the longest of device_words */

/* The length of s without a trailing device tag (s is folded, trimmed). */
static size_t
drop_device_tag(const char *s, size_t len)
{
	size_t	 i, lo = len > DEVICE_WORD_MAX ? len - DEVICE_WORD_MAX : 0;

	/* " (word)": the word is at most DEVICE_WORD_MAX bytes. */
	if (len >= 4 && s[len - 1] == ')') {
		for (i = len - 1; i > 0 && i + 1 >= lo && s[i - 1] != '('; i--)
			;
		if (i >= 3 && s[i - 1] == '(' && s[i - 2] == ' ' &&
		    is_device_word(s + i, len - 1 - i))
			return i - 2;
	}
	/* " - word" */
	for (i = len; i >= 3 && i >= lo; i--)
		if (s[i - 3] == ' ' && s[i - 2] == '-' && s[i - 1] == ' ')
			return is_device_word(s + i, len - i) ? i - 3 : len;
	return len;
}

/*
 * Copy in to out (they may be the same) with runs of white space made one
 * space, trimmed, ASCII upper case folded if fold; then drop a device tag
 * and the blanks before it. The new length.
 */
static size_t
tidy(char *out, const char *in, size_t len, int fold)
{
	size_t	 i, j = 0;
	int	 blank = 0;
	char	 c;

	for (i = 0; i < len; i++) {
		c = in[i];
		if (is_blank(c)) {
			blank = j > 0;	/* leading blanks go */
			continue;
		}
		if (blank)
			out[j++] = ' ';
		blank = 0;
		out[j++] = fold ? fold_ascii(c) : c;
	}
	j = drop_device_tag(out, j);
	while (j > 0 && out[j - 1] == ' ')
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
		return (long)tidy(out, s, len, 1);
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
	return (long)tidy(out, out, n, 0);
}

/*
 * Rows' normalised names, made only for the rows that need one (rows
 * without email and id, and name matching): folding every name of a
 * 1,000-row meeting would cost more than the rest of the verdict.
 */
#define NAME_NOT_DONE	((size_t)-1)
#define NAME_UNUSABLE	((size_t)-2)

struct names {
	const char	*text;		/* the participants text */
	struct buf	 made;		/* the names made so far */
	struct buf	 tmp;		/* one decoded name */
	size_t		*off, *len;	/* per row, or NAME_* */
};

static int
names_init(struct names *nm, const char *text, size_t n)
{
	size_t i;

	nm->text = text;
	buf_init(&nm->made, ROWS_TEXT_CAP);
	buf_init(&nm->tmp, ROWS_TEXT_CAP);	/* decoded is never longer */
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
	buf_free(&nm->made);
	buf_free(&nm->tmp);
	free(nm->off);
	free(nm->len);
}

/*
 * Row i's normalised name: 1 with *p and *len set, 0 when it has none
 * usable (empty, not UTF-8, too long), -1 out of memory. *p stays valid
 * until a name not made yet is asked for.
 */
static int
row_name(struct names *nm, const struct att_rows *r, size_t i,
    const char **p, size_t *len)
{
	char		 out[ATT_TEXT_MAX * 4];
	const char	*raw;
	size_t		 rawlen;
	long		 n;

	if (nm->len[i] == NAME_NOT_DONE) {
		nm->len[i] = NAME_UNUSABLE;
		if (str_of(nm->text, &r->v[i].f[ATT_F_NAME], &nm->tmp, &raw,
		    &rawlen) < 0)
			return -1;
		n = att_norm_name(raw, rawlen, out, sizeof(out));
		if (n > 0) {
			nm->off[i] = nm->made.len;
			if (buf_add(&nm->made, out, (size_t)n) != BUF_OK)
				return -1;
			nm->len[i] = (size_t)n;
		}
	}
	if (nm->len[i] == NAME_UNUSABLE)
		return 0;
	*p = nm->made.data + nm->off[i];
	*len = nm->len[i];
	return 1;
}

/* ---- merging rows into persons ----------------------------------------- */

/* Union-find over rows: rows of one person end with the same root. */
static uint32_t
find(uint32_t *parent, uint32_t i)
{
	while (parent[i] != i) {
		parent[i] = parent[parent[i]];
		i = parent[i];
	}
	return i;
}

static void
unite(uint32_t *parent, uint32_t a, uint32_t b)
{
	a = find(parent, a);
	b = find(parent, b);
	if (a != b)
		parent[a < b ? b : a] = a < b ? a : b;	/* the earlier row leads */
}

/* Murmur3's finaliser: every input bit reaches every output bit. */
static uint64_t
mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

/*
 * Hash 8 bytes at a time (the last 8 overlapping the others): a
 * 1,000-row meeting hashes 2,000 keys of 20 to 30 bytes, and a byte loop
 * cost more than the rest of the merge. fold: ASCII case-insensitive
 * (bit 5 of every byte set: a few more collisions, sorted out by the
 * exact comparison).
 */
static uint64_t
hash_key(const char *s, size_t len, int fold)
{
	const uint64_t	 bits = fold ? 0x2020202020202020ULL : 0;
	uint64_t	 h = 0x9e3779b97f4a7c15ULL ^ len, w = 0;
	size_t		 i;

	if (len == 0)
		return mix64(h);
	if (len < 8) {
		memcpy(&w, s, len);
		return mix64(h ^ (w | (bits >> (8 * (8 - len)))));
	}
	for (i = 0; i + 8 <= len; i += 8) {
		memcpy(&w, s + i, 8);
		h = (h ^ (w | bits)) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 31;
	}
	if (i < len) {
		memcpy(&w, s + len - 8, 8);
		h = (h ^ (w | bits)) * 0x9e3779b97f4a7c15ULL;
	}
	return mix64(h);
}

/*
 * An open-addressing table from a key to the first row that had it. Each
 * slot keeps its key's hash too: a probe that meets another key is told
 * apart without reading that key.
 */
struct key_slot {
	uint32_t	 row;		/* row + 1; 0 empty */
	uint32_t	 hash;
};

struct key_map {
	struct key_slot	*slot;
	size_t		 mask;
};

static int
map_init(struct key_map *m, size_t n)
{
	size_t size = 16;

	while (size < n * 2)
		size *= 2;
	m->mask = size - 1;
	return (m->slot = calloc(size, sizeof(*m->slot))) == NULL ? -1 : 0;
}

/* A row's key: the email (trimmed, any case) or the id (exact). */
struct key {
	const char	*p;
	size_t		 len;
};

/*
 * The first row whose key equals k, of hash h (row's own if none yet:
 * then it is noted). keyof gives a noted row's key; fold: compare without
 * ASCII case.
 */
static uint32_t
map_first(struct key_map *m, uint32_t row, struct key k, uint64_t h, int fold,
    struct key (*keyof)(void *, uint32_t), void *ctx)
{
	uint32_t	h32 = (uint32_t)(h >> 32);
	size_t		i = (size_t)h & m->mask;
	struct key	o;

	for (;; i = (i + 1) & m->mask) {
		if (m->slot[i].row == 0) {
			m->slot[i].row = row + 1;
			m->slot[i].hash = h32;
			return row;
		}
		if (m->slot[i].hash != h32)
			continue;
		o = keyof(ctx, m->slot[i].row - 1);
		if (o.len == k.len && (fold ? ascii_ncaseeq(o.p, k.p, k.len) :
		    memcmp(o.p, k.p, k.len) == 0))
			return m->slot[i].row - 1;
	}
}

/* What the merge reads keys from. */
struct merge_ctx {
	const struct att_rows	*r;
	const char		*text;
	struct key		*emails;	/* per row; len 0: none */
	struct names		*nm;
};

static struct key
email_key(void *ctx, uint32_t i)
{
	return ((struct merge_ctx *)ctx)->emails[i];
}

static struct key
id_key(void *ctx, uint32_t i)
{
	struct merge_ctx	*c = ctx;
	struct key		 k = { c->text + c->r->v[i].f[ATT_F_ID].off,
				    c->r->v[i].f[ATT_F_ID].len };

	return k;
}

static struct key
name_key(void *ctx, uint32_t i)
{
	struct merge_ctx	*c = ctx;
	struct key		 k = { "", 0 };

	(void)row_name(c->nm, c->r, i, &k.p, &k.len);	/* made already */
	return k;
}

/*
 * Every row's email as people match it: trimmed, compared without ASCII
 * case. Most point into text; escaped ones (rare) are decoded into one
 * block, *store, which the caller frees. 0, or -1 (out of memory).
 */
static int
emails_of(const struct att_rows *r, const char *text, struct key *emails,
    char **store)
{
	struct buf	 tmp;
	const char	*p;
	size_t		 i, len, total = 1, used = 0;
	int		 rc = -1, decoded;

	for (i = 0; i < r->n; i++)
		if (!r->v[i].email_plain)
			total += r->v[i].f[ATT_F_EMAIL].len; /* decoded: shorter */
	if ((*store = malloc(total)) == NULL)
		return -1;
	buf_init(&tmp, ROWS_TEXT_CAP);
	for (i = 0; i < r->n; i++) {
		if (r->v[i].email_plain) {	/* trimmed when captured */
			emails[i].p = text + r->v[i].f[ATT_F_EMAIL].off;
			emails[i].len = r->v[i].f[ATT_F_EMAIL].len;
			continue;
		}
		if ((decoded = str_of(text, &r->v[i].f[ATT_F_EMAIL], &tmp, &p,
		    &len)) < 0)
			goto out;
		trim(&p, &len);
		if (decoded) {	/* tmp is reused: keep a copy */
			memcpy(*store + used, p, len);
			p = *store + used;
			used += len;
		}
		emails[i].p = p;
		emails[i].len = len;
	}
	rc = 0;
out:
	buf_free(&tmp);
	return rc;
}

/*
 * Merge: rows sharing an email are one person, so are rows sharing a
 * non-empty id (user_id is per join: never a key); rows with neither
 * join the others with neither by normalised name. The number of
 * persons, or -1 (out of memory).
 */
static long
merge(struct att_rows *r, const char *text, struct names *nm,
    uint32_t *parent, struct key *emails)
{
	struct key_map	 by_email, by_id, by_name;
	struct merge_ctx ctx = { r, text, emails, nm };
	struct key	 k;
	uint32_t	 i;
	long		 persons = -1;
	int		 got;
	size_t		 with_email = 0, with_id = 0, neither = 0;

	/* Each table as large as the rows it will hold need. */
	for (i = 0; i < r->n; i++) {
		with_email += emails[i].len > 0;
		with_id += r->v[i].f[ATT_F_ID].len > 0;
		neither += emails[i].len == 0 && r->v[i].f[ATT_F_ID].len == 0;
	}
	memset(&by_email, 0, sizeof(by_email));
	memset(&by_id, 0, sizeof(by_id));
	memset(&by_name, 0, sizeof(by_name));
	if (map_init(&by_email, with_email) < 0 || map_init(&by_id, with_id) < 0 ||
	    map_init(&by_name, neither) < 0)
		goto out;
	for (i = 0; i < r->n; i++) {
		const struct att_row *w = &r->v[i];

		parent[i] = i;
		if (emails[i].len > 0)
			unite(parent, i, map_first(&by_email, i, emails[i],
			    w->email_plain ? w->email_hash :
			    hash_key(emails[i].p, emails[i].len, 1), 1,
			    email_key, &ctx));
		if (w->f[ATT_F_ID].len > 0)
			unite(parent, i, map_first(&by_id, i, id_key(&ctx, i),
			    w->id_hash, 0, id_key, &ctx));
		if (emails[i].len > 0 || w->f[ATT_F_ID].len > 0)
			continue;
		if ((got = row_name(nm, r, i, &k.p, &k.len)) < 0)
			goto out;
		if (got == 1)	/* else nothing to know this row by */
			unite(parent, i, map_first(&by_name, i, k,
			    hash_key(k.p, k.len, 0), 0, name_key, &ctx));
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
 * counted once). The times are read here, for this person's rows only.
 * 1 when in the meeting, 0 when not, -1 out of memory.
 */
static int
measure(const struct att_rows *r, const char *text, uint32_t p,
    struct att_person *out)
{
	int64_t	*iv, start = -1, end = -1, join, leave;
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
		if ((join = time_of(text, &w->f[ATT_F_JOIN])) < 0)
			continue;
		leave = time_of(text, &w->f[ATT_F_LEAVE]);
		if (out->first_join < 0 || join < out->first_join)
			out->first_join = join;
		if (leave >= join) {
			if (leave > out->last_leave)
				out->last_leave = leave;
			iv[2 * k] = join;
			iv[2 * k + 1] = leave;
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

/* A byte that folding, NFKC or an escape may turn into something else. */
static int
not_plain(const char *s, size_t i, size_t len)
{
	return i < len && ((unsigned char)s[i] >= 0x80 || s[i] == '\\');
}

/*
 * Can row name raw (len bytes as Zoom sent them) normalise to target
 * (tlen bytes, normalised)? A normalised name is always a prefix of the
 * name folded and blank-collapsed (the device tag and the trailing blanks
 * are cut from its end), so a name that differs from target within
 * target's length cannot match: 0, said at the first byte that differs,
 * without folding the name. 1: maybe, the full normalisation decides:
 * target is a prefix, or the difference is at a byte beyond ASCII or an
 * escape, or just before one ("E" + U+0301 is one letter).
 */
static int
name_may_match(const char *raw, size_t len, const char *target, size_t tlen)
{
	size_t	 i, j = 0;
	int	 blank = 0;
	char	 c;

	for (i = 0; i < len && j < tlen; i++) {
		c = raw[i];
		if (is_blank(c)) {
			blank = j > 0;	/* leading blanks go, runs are one */
			continue;
		}
		if (blank) {
			if (target[j++] != ' ')
				return not_plain(raw, i, len);
			blank = 0;
			if (j == tlen)
				break;
		}
		if (target[j++] != fold_ascii(c))
			return not_plain(raw, i, len) ||
			    not_plain(raw, i + 1, len);
	}
	return j == tlen;
}

/*
 * Find who among the persons: by email first, else by normalised name
 * (ambiguous when it fits two persons). Then measure them.
 */
static int
find_person(const struct att_rows *r, const char *text, struct names *nm,
    const struct key *emails, const struct att_who *who, long min_seconds,
    struct att_person *out)
{
	char		 name[ATT_TEXT_MAX * 4];
	const char	*email = who->email, *rname;
	size_t		 i, elen = strlen(who->email), rlen;
	uint64_t	 h;
	uint32_t	 found = UINT32_MAX;
	long		 nlen;
	int		 in_meeting, got;

	memset(out, 0, sizeof(*out));
	out->given = who->given;
	out->first_join = out->last_leave = -1;
	if (!who->given)
		return 0;
	trim(&email, &elen);
	h = elen > 0 ? hash_key(email, elen, 1) : 0;
	for (i = 0; elen > 0 && i < r->n; i++)
		if (emails[i].len == elen && (!r->v[i].email_plain ||
		    r->v[i].email_hash == h) &&
		    ascii_ncaseeq(emails[i].p, email, elen)) {
			found = r->v[i].person;
			out->match = ATT_MATCH_EMAIL;
			break;
		}
	if (found == UINT32_MAX && who->name[0] != '\0' &&
	    (nlen = att_norm_name(who->name, strlen(who->name), name,
	    sizeof(name))) > 0) {
		for (i = 0; i < r->n; i++) {
			const struct att_str *f = &r->v[i].f[ATT_F_NAME];

			/* Most rows differ at the end, or early: not folded. */
			if ((r->v[i].name_end != 0 &&
			    r->v[i].name_end != name[nlen - 1]) ||
			    !name_may_match(text + f->off, f->len, name,
			    (size_t)nlen))
				continue;
			if ((got = row_name(nm, r, i, &rname, &rlen)) < 0)
				return -1;
			if (got == 0 || rlen != (size_t)nlen ||
			    memcmp(rname, name, rlen) != 0)
				continue;
			if (found == UINT32_MAX) {
				found = r->v[i].person;
				out->match = ATT_MATCH_NAME;
			} else if (r->v[i].person != found) {
				out->match = ATT_MATCH_AMBIGUOUS;
				return 0;	/* never counted as attended */
			}
		}
	}
	if (found == UINT32_MAX)
		return 0;
	out->person = found;
	if ((in_meeting = measure(r, text, found, out)) < 0)
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
att_decide(struct att_rows *r, const char *text, const struct att_query *q,
    struct att_result *res)
{
	struct names	 nm;
	uint32_t	*parent;
	struct key	*emails;
	char		*store = NULL;
	long		 people;
	enum att_err	 rc = ATT_ENOMEM;

	memset(res, 0, sizeof(*res));
	memset(&nm, 0, sizeof(nm));
	parent = malloc((r->n ? r->n : 1) * sizeof(*parent));
	emails = malloc((r->n ? r->n : 1) * sizeof(*emails));
	if (parent == NULL || emails == NULL ||
	    names_init(&nm, text, r->n) < 0 ||
	    emails_of(r, text, emails, &store) < 0 ||
	    (people = merge(r, text, &nm, parent, emails)) < 0)
		goto out;
	res->people = (size_t)people;
	if (find_person(r, text, &nm, emails, &q->coach, q->min_seconds,
	    &res->coach) < 0 ||
	    find_person(r, text, &nm, emails, &q->client, q->min_seconds,
	    &res->client) < 0)
		goto out;
	set_status(res);
	rc = ATT_OK;
out:
	names_free(&nm);
	free(parent);
	free(emails);
	free(store);
	return rc;
}

int
att_from_record(const struct att_query *q, const struct att_record *rec,
    struct att_result *res)
{
	struct att_person	*c = &res->coach;
	const char		*email = q->coach.email;
	size_t			 elen = strlen(q->coach.email);

	memset(res, 0, sizeof(*res));
	res->coach.given = q->coach.given;
	res->client.given = q->client.given;
	c->first_join = c->last_leave = -1;
	res->client.first_join = res->client.last_leave = -1;
	if (rec->found && rec->participants_count > 1)
		return -1;	/* people came; their rows are not ready */
	if (rec->found && rec->participants_count == 1)
		res->people = 1;
	trim(&email, &elen);
	/* Zoom lists no rows when one person was there alone: the host. */
	if (rec->found && rec->participants_count == 1 && q->coach.given &&
	    elen > 0 && strlen(rec->host_email) == elen &&
	    ascii_ncaseeq(rec->host_email, email, elen)) {
		c->match = ATT_MATCH_HOST;
		c->joins = 1;
		if (rec->start > 0 && rec->end >= rec->start) {
			c->seconds = (long)(rec->end - rec->start);
			c->first_join = rec->start;
			c->last_leave = rec->end;
		} else if (rec->duration_min > 0)
			c->seconds = rec->duration_min * 60;
		c->attended = c->seconds >= q->min_seconds;
	}
	/* No record (404 / 3001), or nobody in it: never took place. */
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
