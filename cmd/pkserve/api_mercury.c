/* api_mercury.c - Mercury's GET /v1/q (not yet: 501) */
#include "pk.h"
#include "serve.h"

enum MHD_Result
api_mercury(struct req *r)
{
	return respond_error(r, MHD_HTTP_NOT_IMPLEMENTED, EX_UNAVAILABLE, "GET /v1/q is not implemented yet");
}
