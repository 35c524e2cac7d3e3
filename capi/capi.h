/* capi.h: what the Go exports need from C. Internal to libporter. */
#ifndef PORTER_CAPI_H
#define PORTER_CAPI_H

#include <stdlib.h>
#include "porter.h"

/* cgo writes exported prototypes with the parameter types' names; these
   const typedefs make them match porter.h exactly. */
typedef const char porter_cchar;
typedef const void porter_cvoid;
typedef const porter_config porter_cconfig;
typedef const porter_listen_options porter_clisten_options;
typedef const porter_cert porter_ccert;
typedef const porter_header porter_cheader;
typedef const porter_request porter_crequest;

/* capi_forked is set in a child forked after the library loaded. */
extern volatile int capi_forked;

/* capi_dispatch calls a host handler, marking the thread as inside one.
   Its pointers are all C memory, passed as integers so that cgo does not
   check each call's arguments for Go pointers. */
void capi_dispatch(uintptr_t cb, uintptr_t user_data, int type, int code,
                   porter_req req, uintptr_t request, uintptr_t data);

/* capi_in_handler reports whether this thread is inside a handler. */
int capi_in_handler(void);

#endif
