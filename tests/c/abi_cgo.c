/*
 * abi_cgo.c -- porter.h together with the header cgo generates for the
 * library's //export functions. A prototype in porter.h that does not
 * match the Go export (a missing const, int vs long, a wrong pointer
 * type) is a "conflicting types" error here. Only compiled.
 */
#include "porter.h"
#include "porter_cgo.h"

/* each export, taken with porter.h's type: a mismatch fails to compile */
int (*const porter_cgo_server_new)(const porter_config *, porter_server **) =
    server_new;
int (*const porter_cgo_server_listen)(porter_server *, const char *) =
    server_listen;
int (*const porter_cgo_req_respond)(porter_req, int, const porter_header *,
                                    size_t, const void *, size_t) =
    req_respond;
const char *(*const porter_cgo_porter_version)(void) = porter_version;
