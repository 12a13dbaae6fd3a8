/*
 * notion.h - the Notion API calls the workflow makes (../shared/zoom-api.md
 * section 8): find a database's page by a rich-text property, and set
 * properties on a page. Notion-Version 2022-06-28, whose
 * POST /databases/{id}/query this uses.
 *
 * Every call waits its turn: a process calls Notion at most three times a
 * second (Notion's documented average per connection). Answers are read,
 * never copied into a log or an error: the log names an error's status and
 * code only.
 */
#ifndef ZA_NOTION_H
#define ZA_NOTION_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "config.h"
#include "exchange.h"

#define NOTION_VERSION		"2022-06-28"
#define NOTION_MAX_BODY		(4 * 1024 * 1024)	/* an answer's cap */
#define NOTION_INTERVAL_MS	334			/* 3 requests a second */
#define NOTION_TOKEN_MAX	512			/* longer is refused */

enum notion_err {
	NOTION_OK = 0,
	NOTION_ERETRY,		/* 429, 409, 5xx, 529, no answer: try later */
	NOTION_EFATAL,		/* refused: credentials, sharing, schema */
	NOTION_ENOMEM
};

/* What a call did, for the job's record and the log. */
struct notion_info {
	int	 calls;			/* HTTP requests sent */
	long	 retry_after;		/* seconds Notion asked us to wait */
	char	 why[200];		/* safe text: status, code, advice */
};

struct notion {
	struct exchange		 x;
	const char		*base;		/* NOTION_API_BASE, no '/' at end */
	const char		*database;	/* NOTION_DATABASE_ID */
	struct buf		 bearer;	/* "Authorization: Bearer ..." */
	struct curl_slist	 hdr_auth, hdr_version, hdr_type, hdr_accept;
	struct xchg_answer	 answer;
	int64_t			 timeout_ms;	/* one call's budget, retries in */
	const int		*stop;		/* set: no new attempt (or NULL) */
};

/*
 * A Notion id (a database's, a page's): 32 hex digits, with or without
 * the UUID's dashes; nothing else, so it may go into a URL. 1 or 0.
 */
int		 notion_id_ok(const char *s);

/* 0, or -1 (out of memory). cfg must outlive n. */
int		 notion_init(struct notion *n, const struct config *cfg);
void		 notion_free(struct notion *n);	/* wipes the token */

/*
 * The first page of the database whose rich-text property prop equals
 * value, or *page = NULL when there is none; *count says how many pages
 * matched (up to 10). *page is the caller's (cJSON_Delete).
 */
enum notion_err	 notion_find_page(struct notion *n, const char *prop,
		     const char *value, cJSON **page, int *count,
		     struct notion_info *info);

/* PATCH /pages/{id} with body {"properties": ...}. */
enum notion_err	 notion_update_page(struct notion *n, const char *page_id,
		     const char *body, struct notion_info *info);

/*
 * A page property's text: rich_text and title pieces' plain_text joined,
 * email, url or phone_number strings, a number's digits. out holds outlen
 * bytes; 0 (possibly ""), or -1 when the property is missing, of another
 * type, or too long.
 */
int		 notion_prop_text(const cJSON *page, const char *prop,
		     char *out, size_t outlen);

/*
 * A select or status property: *type is "select" or "status", out its
 * option's name ("" when empty). 0, or -1 when missing or of another type.
 */
int		 notion_prop_choice(const cJSON *page, const char *prop,
		     const char **type, char *out, size_t outlen);

#endif
