/* dispatch.c: the C side of callback mode, and fork detection. */
#include <pthread.h>
#include "capi.h"

volatile int capi_forked;

static _Thread_local int handler_depth;

void capi_dispatch(uintptr_t cb, uintptr_t user_data, int type, int code,
                   porter_req req, uintptr_t request, uintptr_t data)
{
    porter_event ev = {type, code, req, (const porter_request *)request,
                       (void *)data};
    handler_depth++;
    ((porter_handler_cb)cb)((void *)user_data, &ev);
    handler_depth--;
}

int capi_in_handler(void)
{
    return handler_depth > 0;
}

/* A forked child has none of the Go runtime's threads: any call into it
   could hang, so every export checks this flag first. */
static void mark_forked(void)
{
    capi_forked = 1;
}

__attribute__((constructor)) static void watch_fork(void)
{
    pthread_atfork(NULL, NULL, mark_forked);
}
