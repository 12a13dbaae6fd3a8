/*
 * Replay a fuzz target over files and directories of inputs, without
 * libFuzzer, so every corpus file runs under the normal compiler (with
 * ASan/UBSan) in `make check` and a past crash stays fixed.
 * Prints "N passed, N failed" (a crash aborts the whole run, non-zero).
 */
#include <sys/stat.h>

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
run_file(const char *path)
{
	FILE	*f;
	uint8_t	*data;
	long	 len;

	if ((f = fopen(path, "rb")) == NULL)
		return -1;
	if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return -1;
	}
	if ((data = malloc((size_t)len + 1)) == NULL ||
	    fread(data, 1, (size_t)len, f) != (size_t)len) {
		free(data);
		fclose(f);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(data, (size_t)len);
	free(data);
	return 0;
}

int
main(int argc, char *argv[])
{
	struct stat	 st;
	struct dirent	*de;
	DIR		*d;
	char		 path[4096];
	int		 i, ok = 0, bad = 0;

	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			if ((d = opendir(argv[i])) == NULL) {
				bad++;
				continue;
			}
			while ((de = readdir(d)) != NULL) {
				if (de->d_name[0] == '.')
					continue;
				snprintf(path, sizeof(path), "%s/%s", argv[i],
				    de->d_name);
				if (run_file(path) == 0)
					ok++;
				else
					bad++;
			}
			closedir(d);
		} else if (run_file(argv[i]) == 0)
			ok++;
		else
			bad++;
	}
	printf("%d passed, %d failed\n", ok, bad);
	return bad ? 1 : 0;
}
