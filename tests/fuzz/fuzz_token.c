/* Fuzz the token endpoint answer parser: an accepted token is header-safe. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "zoom_token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char	 token[TOKEN_MAX];
	long		 expires_in;
	const char	*p;

	if (ztok_parse((const char *)data, size, token, &expires_in) == ZOOM_OK) {
		if (expires_in < 1 || token[0] == '\0')
			abort();
		for (p = token; *p != '\0'; p++)
			if (*p <= ' ' || *p > '~')
				abort();
	}
	return 0;
}
