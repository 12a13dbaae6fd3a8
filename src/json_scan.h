/*
 * json_scan.h - a strict JSON (RFC 8259) validator and scanner that builds
 * no tree.
 *
 * Zoom's participant pages are copied into our answer as raw bytes, so they
 * must be proven valid JSON first (grammar, UTF-8, nesting depth) and we
 * need the byte spans of a few top-level members. cJSON would cost one
 * allocation per value and a re-print; this scanner looks at each byte
 * once and allocates nothing. cJSON is still used for small documents.
 *
 * Spans point into the caller's input and live as long as it does.
 */
#ifndef ZA_JSON_SCAN_H
#define ZA_JSON_SCAN_H

#include <stddef.h>

#include "buf.h"

#define JS_MAX_DEPTH	64	/* deeper nesting is rejected, never recursed */

enum js_err {
	JS_OK = 0,
	JS_END,		/* iterator: no more members or elements */
	JS_ESYNTAX,	/* not JSON */
	JS_EUTF8,	/* a string holds invalid UTF-8 or a lone surrogate */
	JS_EDEPTH,	/* nested deeper than JS_MAX_DEPTH */
	JS_ETYPE,	/* valid JSON, but not the type asked for */
	JS_ENOMEM,	/* decoding into a buffer failed */
	JS__MAX
};

struct js_span {
	const char	*p;	/* first byte */
	size_t		 len;	/* bytes */
};

/* Iterator over the members of an object or the elements of an array. */
struct js_iter {
	const char	*p;	/* next byte to read */
	const char	*end;	/* one past the last byte */
	int		 count;	/* members or elements returned so far */
	int		 depth;	/* containers open around the items, its own included */
	char		 close;	/* '}' or ']' */
};

/* The whole input is exactly one JSON value, with optional white space. */
enum js_err	 js_validate(const char *s, size_t len);

/*
 * Start iterating the object (or array) that fills span v (white space
 * allowed around it). JS_ETYPE when v is another type. The members are
 * validated as they are reached by js_next_*.
 */
enum js_err	 js_iter_object(struct js_iter *it, struct js_span v);
enum js_err	 js_iter_array(struct js_iter *it, struct js_span v);

/*
 * Next member: key is the raw text between the quotes (escapes left as
 * they are), val the raw value text. JS_END after the last one; the
 * iterator then stands just past the closing bracket.
 */
enum js_err	 js_next_member(struct js_iter *it, struct js_span *key,
		     struct js_span *val);
enum js_err	 js_next_element(struct js_iter *it, struct js_span *val);

/*
 * The same in two steps, so a member's value can be walked in place
 * without scanning it twice: js_next_key stops at the value; then either
 * js_skip it, or start a child iterator on it with js_iter_array_in (the
 * nesting limit counts the parent's depth), walk it to JS_END and
 * js_resume(it, &child).
 */
enum js_err	 js_next_key(struct js_iter *it, struct js_span *key);
enum js_err	 js_skip(struct js_iter *it, struct js_span *val);
enum js_err	 js_iter_array_in(struct js_iter *child,
		     const struct js_iter *parent);
void		 js_resume(struct js_iter *it, const struct js_iter *child);

/*
 * Which values to note while an element is validated (see
 * js_next_element_capture): index(key, len) says which of the nvals
 * slots a member's raw key fills (-1: none); vals[i] gets that value's
 * span, or {NULL, 0} when the element has no such member (or is not an
 * object).
 */
struct js_capture {
	int		(*index)(const char *key, size_t len);
	struct js_span	*vals;
	size_t		 nvals;
};

/*
 * js_next_element, noting on the way the values of the element's own
 * members named in cap: one pass over the element, not two (the rows of
 * a 1,000-participant meeting are read for the attendance verdict this
 * way). A key given twice: the last. Keys with escapes never match.
 */
enum js_err	 js_next_element_capture(struct js_iter *it,
		     struct js_span *val, const struct js_capture *cap);

/* Only white space is left after the iterator (top-level documents). */
int		 js_at_end(const struct js_iter *it);

/* Raw key text equals the plain string lit (keys with escapes never do). */
int		 js_key_is(struct js_span key, const char *lit);

/* The key, once its escapes are decoded, equals lit ("zoom\u0043allId"). */
int		 js_key_equals(struct js_span key, const char *lit);

/*
 * Decode the string value in span v (with its quotes) into out, as UTF-8.
 * JS_ETYPE when v is not a string.
 */
enum js_err	 js_string_decode(struct js_span v, struct buf *out);

/* The span's first byte is this type. */
int		 js_is_string(struct js_span v);
int		 js_is_array(struct js_span v);
int		 js_is_object(struct js_span v);

const char	*js_strerror(enum js_err e);

#endif
