/*
 * The CGI floor: a program that only loads the responder's three
 * libraries and calls curl_global_init, then answers nothing. A CGI run of
 * the responder cannot be faster than this with Debian's libcurl, so the
 * benchmark reports the responder's time minus this one's.
 */
#include <stdio.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <fcgiapp.h>

int
main(void)
{
	/* Touch one symbol of each library so none is dropped at link time. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return 1;
	if (FCGX_IsCGI() < 0 || cJSON_Version() == NULL)
		return 1;
	curl_global_cleanup();
	return 0;
}
