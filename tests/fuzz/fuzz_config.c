/*
 * Fuzz the configuration file parser. Oracle: an error message never
 * repeats a value. It is one of a few fixed forms, "line N: <reason>",
 * where the only input it may quote is an unknown setting's name, made of
 * A-Z 0-9 _ alone (a name, never the text after an '=').
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
is_key_text(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		    *s == '_'))
			return 0;
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	 err[256];
	int	 line, used = 0;

	err[0] = '\0';
	if (cfg_parse_text((const char *)data, size, err, sizeof(err)) == 0)
		return 0;
	if (strcmp(err, "holds a NUL byte") == 0 || strcmp(err, "out of memory") == 0)
		return 0;
	if (sscanf(err, "line %d: %n", &line, &used) != 1 || used == 0 || line < 1)
		abort();
	if (strcmp(err + used, "not KEY=VALUE") == 0 ||
	    strcmp(err + used, "unbalanced quote") == 0)
		return 0;
	if (strncmp(err + used, "unknown setting ", 16) == 0 &&
	    is_key_text(err + used + 16))
		return 0;
	abort();
}
