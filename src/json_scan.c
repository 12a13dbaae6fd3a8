/*
 * json_scan.c - strict JSON validation and member spans without a tree.
 * Grammar: RFC 8259 sections 2-8. Strings must be valid UTF-8 (RFC 3629):
 * no overlong forms, no surrogates, nothing above U+10FFFF, and \u escapes
 * must pair their surrogates.
 */
#include <stdint.h>
#include <string.h>

#include "json_scan.h"

static const char *
skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Read 4 hex digits at p (p + 4 <= end checked by caller). -1 if not hex. */
static long
hex4(const char *p)
{
	long	v = 0;
	int	i, h;

	for (i = 0; i < 4; i++) {
		if ((h = hexval(p[i])) < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

/*
 * Length of the UTF-8 sequence at p whose first byte is >= 0x80, or 0 when
 * it is not a valid, shortest-form scalar value.
 */
static size_t
utf8_len(const unsigned char *p, const unsigned char *end)
{
	unsigned char	c = p[0];
	size_t		n, i;
	unsigned char	lo = 0x80, hi = 0xBF;

	if (c >= 0xC2 && c <= 0xDF)
		n = 2;
	else if (c >= 0xE0 && c <= 0xEF) {
		n = 3;
		if (c == 0xE0)
			lo = 0xA0;	/* overlong */
		else if (c == 0xED)
			hi = 0x9F;	/* surrogates */
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4;
		if (c == 0xF0)
			lo = 0x90;	/* overlong */
		else if (c == 0xF4)
			hi = 0x8F;	/* above U+10FFFF */
	} else
		return 0;
	if ((size_t)(end - p) < n)
		return 0;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xBF)
			return 0;
	return n;
}

/*
 * Skip plain string bytes (printable ASCII but '"' and '\\'), eight at a
 * time while eight remain: a word is let through only if none of its bytes
 * is below 0x20, at or above 0x80, a quote or a backslash. The subtractions
 * can only borrow out of a byte that is itself flagged, so no flag is
 * lost, and a false flag can only sit above a true one: in memory order
 * (little-endian) the first flagged byte is the first special byte, and
 * the word's trailing zero bits count the plain bytes before it. Short
 * strings, the common case in Zoom's answers, so take the byte loop only
 * within 7 bytes of the end (or on a big-endian build).
 *
 * Kept because it pays. Callgrind, whole requests to the Zoom stand-in
 * (gzip answers), the share of a request's instructions it saves against
 * the byte loop alone: FastCGI, 12 participants 5.8 to 6.3 % (7.5 % with
 * coach and client named), 1,000 participants 17 % (16 %); CGI, 1,000
 * participants 5.7 % (8.4 %), 12 participants 0.1 % (start-up dominates).
 * Even a byte loop over a 256-entry table of plain bytes costs 6.0 %
 * (5.7 %) more at 1,000 participants.
 */
static inline const unsigned char *
skip_plain(const unsigned char *p, const unsigned char *e)
{
	const uint64_t	ones = 0x0101010101010101ULL;
	const uint64_t	highs = 0x8080808080808080ULL;
	uint64_t	w, flags;

	while (e - p >= 8) {
		memcpy(&w, p, sizeof(w));
		flags = (w | (w - ones * 0x20) |
		    ((w ^ ones * '"') - ones) | ((w ^ ones * '\\') - ones)) &
		    highs;
		if (flags != 0) {
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			return p + (__builtin_ctzll(flags) >> 3);
#else
			break;
#endif
		}
		p += 8;
	}
	while (p < e && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
		p++;
	return p;
}

/* The rest of a string from p, its first byte that is not plain. */
static enum js_err
skip_string_rest(const char **pp, const unsigned char *p, const char *end)
{
	const unsigned char	*e = (const unsigned char *)end;
	long			 u, u2;
	size_t			 n;

	for (;;) {
		/* The common case: plain ASCII runs. */
		p = skip_plain(p, e);
		if (p >= e)
			return JS_ESYNTAX;
		if (*p == '"') {
			*pp = (const char *)p + 1;
			return JS_OK;
		}
		if (*p < 0x20)
			return JS_ESYNTAX;	/* control characters must be escaped */
		if (*p >= 0x80) {
			if ((n = utf8_len(p, e)) == 0)
				return JS_EUTF8;
			p += n;
			continue;
		}
		/* backslash */
		if (++p >= e)
			return JS_ESYNTAX;
		switch (*p) {
		case '"': case '\\': case '/': case 'b':
		case 'f': case 'n': case 'r': case 't':
			p++;
			break;
		case 'u':
			if (e - p < 5 || (u = hex4((const char *)p + 1)) < 0)
				return JS_ESYNTAX;
			p += 5;
			if (u >= 0xDC00 && u <= 0xDFFF)
				return JS_EUTF8;	/* lone low surrogate */
			if (u >= 0xD800 && u <= 0xDBFF) {
				if (e - p < 6 || p[0] != '\\' || p[1] != 'u' ||
				    (u2 = hex4((const char *)p + 2)) < 0 ||
				    u2 < 0xDC00 || u2 > 0xDFFF)
					return JS_EUTF8;
				p += 6;
			}
			break;
		default:
			return JS_ESYNTAX;
		}
	}
}

/*
 * *pp is at the opening quote; on success it is just past the closing one.
 * Inline for the usual string, plain bytes up to the quote: most keys and
 * values in Zoom's answers, so the scan makes no call for them.
 *
 * Kept because it pays for large meetings (measured as for skip_plain):
 * against one out-of-line string function (gcc does not inline it, even
 * marked inline) it saves 5.9 % of a FastCGI request for 1,000
 * participants (5.6 % with coach and client named), 2.0 % (2.4 %) for 12,
 * under 3 % as CGI.
 */
static inline enum js_err
skip_string(const char **pp, const char *end)
{
	const unsigned char *p = skip_plain((const unsigned char *)*pp + 1,
	    (const unsigned char *)end);

	if (p < (const unsigned char *)end && *p == '"') {
		*pp = (const char *)p + 1;
		return JS_OK;
	}
	return skip_string_rest(pp, p, end);
}

static enum js_err
skip_number(const char **pp, const char *end)
{
	const char *p = *pp;

	if (p < end && *p == '-')
		p++;
	if (p >= end)
		return JS_ESYNTAX;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	else
		return JS_ESYNTAX;
	if (p < end && *p == '.') {
		p++;
		if (p >= end || *p < '0' || *p > '9')
			return JS_ESYNTAX;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || *p < '0' || *p > '9')
			return JS_ESYNTAX;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	*pp = p;
	return JS_OK;
}

static enum js_err
skip_literal(const char **pp, const char *end, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(end - *pp) < n || memcmp(*pp, lit, n) != 0)
		return JS_ESYNTAX;
	*pp += n;
	return JS_OK;
}

/*
 * A member's key and its colon; *pp is past white space, ends past ':'.
 * *key: the raw text between the key's quotes.
 */
static enum js_err
skip_key(const char **pp, const char *end, struct js_span *key)
{
	const char	*p = *pp;
	enum js_err	 rc;

	if (p >= end || *p != '"')
		return JS_ESYNTAX;
	if ((rc = skip_string(&p, end)) != JS_OK)
		return rc;
	key->p = *pp + 1;
	key->len = (size_t)(p - *pp) - 2;
	p = skip_ws(p, end);
	if (p >= end || *p != ':')
		return JS_ESYNTAX;
	*pp = p + 1;
	return JS_OK;
}

/*
 * Skip white space and one value; *pp ends just past it. depth counts the
 * containers already open around the value. No recursion: the containers
 * this call opens are a stack of their closing bytes, at most JS_MAX_DEPTH,
 * so hostile nesting costs no C stack and a value costs no call.
 */
/*
 * cap (may be NULL): when the value is an object, the spans of its own
 * members that cap->index knows go to cap->vals as they are passed (the
 * last of a key given twice).
 */
static enum js_err
skip_value(const char **pp, const char *end, int depth,
    const struct js_capture *cap)
{
	const char	*p = *pp, *vstart = NULL;
	struct js_span	 key;
	char		 closer[JS_MAX_DEPTH];	/* '}' or ']', innermost last */
	int		 open = 0, want = -1;	/* want: cap's slot being read */
	enum js_err	 rc;

	for (;;) {
		p = skip_ws(p, end);
		if (p >= end)
			return JS_ESYNTAX;
		if (want >= 0 && vstart == NULL)
			vstart = p;		/* a member of cap's begins */
		switch (*p) {
		case '{':
		case '[':
			/* depth >= 0, so closer[] never overflows */
			if (depth + open >= JS_MAX_DEPTH)
				return JS_EDEPTH;
			closer[open++] = *p == '{' ? '}' : ']';
			p = skip_ws(p + 1, end);
			if (p < end && *p == closer[open - 1]) {
				p++;		/* empty: a whole value */
				open--;
				rc = JS_OK;
				break;
			}
			if (closer[open - 1] == '}') {
				if ((rc = skip_key(&p, end, &key)) != JS_OK)
					return rc;
				if (cap != NULL && open == 1)
					want = cap->index(key.p, key.len);
			}
			continue;		/* to its first value */
		case '"':
			rc = skip_string(&p, end);
			break;
		case 't':
			rc = skip_literal(&p, end, "true");
			break;
		case 'f':
			rc = skip_literal(&p, end, "false");
			break;
		case 'n':
			rc = skip_literal(&p, end, "null");
			break;
		default:
			rc = skip_number(&p, end);
			break;
		}
		if (rc != JS_OK)
			return rc;
		/* A value ended: close what ends with it, or on to the next. */
		for (;;) {
			if (want >= 0 && open == 1) {	/* a member of cap's ended */
				cap->vals[want].p = vstart;
				cap->vals[want].len = (size_t)(p - vstart);
				want = -1;
				vstart = NULL;
			}
			if (open == 0) {
				*pp = p;
				return JS_OK;
			}
			p = skip_ws(p, end);
			if (p >= end)
				return JS_ESYNTAX;
			if (*p == closer[open - 1]) {
				p++;
				open--;
				continue;
			}
			if (*p != ',')
				return JS_ESYNTAX;
			p = skip_ws(p + 1, end);
			if (closer[open - 1] == '}') {
				if ((rc = skip_key(&p, end, &key)) != JS_OK)
					return rc;
				if (cap != NULL && open == 1)
					want = cap->index(key.p, key.len);
			}
			break;
		}
	}
}

enum js_err
js_validate(const char *s, size_t len)
{
	const char	*p = s, *end = s + len;
	enum js_err	 rc;

	if ((rc = skip_value(&p, end, 0, NULL)) != JS_OK)
		return rc;
	return skip_ws(p, end) == end ? JS_OK : JS_ESYNTAX;
}

static struct js_span
iter_rest(const struct js_iter *it)
{
	struct js_span s;

	s.p = it->p;
	s.len = (size_t)(it->end - it->p);
	return s;
}

/* depth: the containers open around the items, this one included. */
static enum js_err
iter_start(struct js_iter *it, struct js_span v, char open, char close,
    int depth)
{
	const char *end = v.p + v.len;
	const char *p = skip_ws(v.p, end);

	if (p >= end)
		return JS_ESYNTAX;
	if (*p != open)
		return JS_ETYPE;
	if (depth > JS_MAX_DEPTH)
		return JS_EDEPTH;
	it->p = p + 1;
	it->end = end;
	it->count = 0;
	it->depth = depth;
	it->close = close;
	return JS_OK;
}

enum js_err
js_iter_object(struct js_iter *it, struct js_span v)
{
	return iter_start(it, v, '{', '}', 1);
}

enum js_err
js_iter_array(struct js_iter *it, struct js_span v)
{
	return iter_start(it, v, '[', ']', 1);
}

enum js_err
js_iter_array_in(struct js_iter *child, const struct js_iter *parent)
{
	return iter_start(child, iter_rest(parent), '[', ']', parent->depth + 1);
}

/* Step over the separator before the next item; JS_END at the close. */
static enum js_err
iter_sep(struct js_iter *it)
{
	const char *p = skip_ws(it->p, it->end);

	if (p >= it->end)
		return JS_ESYNTAX;
	if (*p == it->close) {
		it->p = p + 1;	/* what follows is the caller's business */
		return JS_END;
	}
	if (it->count > 0) {
		if (*p != ',')
			return JS_ESYNTAX;
		p = skip_ws(p + 1, it->end);
	}
	it->p = p;
	return JS_OK;
}

enum js_err
js_next_key(struct js_iter *it, struct js_span *key)
{
	const char	*p;
	enum js_err	 rc;

	if ((rc = iter_sep(it)) != JS_OK)
		return rc;
	p = it->p;
	if ((rc = skip_key(&p, it->end, key)) != JS_OK)
		return rc;
	it->p = skip_ws(p, it->end);
	return JS_OK;
}

/* The value at the iterator into *val, noting cap's members (or NULL). */
static enum js_err
skip_item(struct js_iter *it, struct js_span *val,
    const struct js_capture *cap)
{
	const char	*p = it->p;
	enum js_err	 rc;

	if ((rc = skip_value(&p, it->end, it->depth, cap)) != JS_OK)
		return rc;
	val->p = it->p;
	val->len = (size_t)(p - it->p);
	it->p = p;
	it->count++;
	return JS_OK;
}

enum js_err
js_skip(struct js_iter *it, struct js_span *val)
{
	return skip_item(it, val, NULL);
}

enum js_err
js_next_member(struct js_iter *it, struct js_span *key, struct js_span *val)
{
	enum js_err rc;

	if ((rc = js_next_key(it, key)) != JS_OK)
		return rc;
	return js_skip(it, val);
}

void
js_resume(struct js_iter *it, const struct js_iter *child)
{
	it->p = child->p;
	it->count++;
}

int
js_at_end(const struct js_iter *it)
{
	return skip_ws(it->p, it->end) == it->end;
}

enum js_err
js_next_element(struct js_iter *it, struct js_span *val)
{
	enum js_err rc;

	if ((rc = iter_sep(it)) != JS_OK)
		return rc;
	return js_skip(it, val);
}

enum js_err
js_next_element_capture(struct js_iter *it, struct js_span *val,
    const struct js_capture *cap)
{
	enum js_err	 rc;
	size_t		 i;

	for (i = 0; i < cap->nvals; i++) {
		cap->vals[i].p = NULL;
		cap->vals[i].len = 0;
	}
	if ((rc = iter_sep(it)) != JS_OK)
		return rc;
	return skip_item(it, val, cap);
}

int
js_key_is(struct js_span key, const char *lit)
{
	size_t n = strlen(lit);

	return key.len == n && memcmp(key.p, lit, n) == 0;
}

int
js_key_equals(struct js_span key, const char *lit)
{
	struct js_span	quoted;
	struct buf	b;
	int		eq;

	/* No escape: the raw text is the key, and nothing outside it is read. */
	if (memchr(key.p, '\\', key.len) == NULL)
		return js_key_is(key, lit);
	/* The key span lies between its quotes: widen it to decode it. */
	quoted.p = key.p - 1;
	quoted.len = key.len + 2;
	buf_init(&b, strlen(lit) + 1);
	eq = js_string_decode(quoted, &b) == JS_OK && b.len == strlen(lit) &&
	    memcmp(b.data, lit, b.len) == 0;
	buf_free(&b);
	return eq;
}

int
js_is_string(struct js_span v)
{
	return v.len >= 2 && v.p[0] == '"';
}

int
js_is_array(struct js_span v)
{
	return v.len >= 2 && v.p[0] == '[';
}

int
js_is_object(struct js_span v)
{
	return v.len >= 2 && v.p[0] == '{';
}

static enum buf_err
put_utf8(struct buf *out, unsigned long u)
{
	unsigned char	b[4];
	size_t		n;

	if (u < 0x80) {
		b[0] = (unsigned char)u;
		n = 1;
	} else if (u < 0x800) {
		b[0] = (unsigned char)(0xC0 | (u >> 6));
		b[1] = (unsigned char)(0x80 | (u & 0x3F));
		n = 2;
	} else if (u < 0x10000) {
		b[0] = (unsigned char)(0xE0 | (u >> 12));
		b[1] = (unsigned char)(0x80 | ((u >> 6) & 0x3F));
		b[2] = (unsigned char)(0x80 | (u & 0x3F));
		n = 3;
	} else {
		b[0] = (unsigned char)(0xF0 | (u >> 18));
		b[1] = (unsigned char)(0x80 | ((u >> 12) & 0x3F));
		b[2] = (unsigned char)(0x80 | ((u >> 6) & 0x3F));
		b[3] = (unsigned char)(0x80 | (u & 0x3F));
		n = 4;
	}
	return buf_add(out, b, n);
}

enum js_err
js_string_decode(struct js_span v, struct buf *out)
{
	const char	*p, *end, *run;
	enum js_err	 rc;
	unsigned long	 u;
	char		 c;

	if (!js_is_string(v))
		return JS_ETYPE;
	p = v.p;
	if ((rc = skip_string(&p, v.p + v.len)) != JS_OK)
		return rc;
	if (p != v.p + v.len)
		return JS_ETYPE;
	end = v.p + v.len - 1;	/* the closing quote */
	p = v.p + 1;
	buf_reset(out);
	while (p < end) {
		run = p;
		while (p < end && *p != '\\')
			p++;
		if (buf_add(out, run, (size_t)(p - run)) != BUF_OK)
			return JS_ENOMEM;
		if (p >= end)
			break;
		c = p[1];
		p += 2;
		switch (c) {
		case 'b': c = '\b'; break;
		case 'f': c = '\f'; break;
		case 'n': c = '\n'; break;
		case 'r': c = '\r'; break;
		case 't': c = '\t'; break;
		case 'u':
			/* skip_string proved the hex digits and surrogate pairs. */
			u = (unsigned long)hex4(p);
			p += 4;
			if (u >= 0xD800 && u <= 0xDBFF) {
				u = 0x10000 + ((u - 0xD800) << 10) +
				    ((unsigned long)hex4(p + 2) - 0xDC00);
				p += 6;
			}
			if (put_utf8(out, u) != BUF_OK)
				return JS_ENOMEM;
			continue;
		default:
			break;	/* " \ / stand for themselves */
		}
		if (buf_add(out, &c, 1) != BUF_OK)
			return JS_ENOMEM;
	}
	return JS_OK;
}

const char *
js_strerror(enum js_err e)
{
	static const char *const msgs[JS__MAX] = {
		"ok",				/* JS_OK */
		"end of container",		/* JS_END */
		"not valid JSON",		/* JS_ESYNTAX */
		"invalid UTF-8 in a string",	/* JS_EUTF8 */
		"nested too deeply",		/* JS_EDEPTH */
		"unexpected JSON type",		/* JS_ETYPE */
		"out of memory",		/* JS_ENOMEM */
	};

	return (e >= 0 && e < JS__MAX) ? msgs[e] : "unknown error";
}
