/* Fuzz Retry-After parsing: any value gives -1 or 0..7 days. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "exchange.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	 v[128];
	long	 r;
	int	 is_date;

	if (size >= sizeof(v))
		size = sizeof(v) - 1;
	memcpy(v, data, size);
	v[size] = '\0';
	r = xchg_retry_after(v, (time_t)1764000000, &is_date);
	if (r < -1 || r > 7 * 86400)
		abort();
	return 0;
}
