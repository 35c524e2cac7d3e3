#include <stdio.h>
#include <string.h>
#include "capitest.h"

static _Atomic porter_req held;

static void answer(porter_req req, const porter_request *v)
{
    char body[256];
    int n = snprintf(body, sizeof body, "%.*s %.*s %zu", (int)v->method_len,
                     v->method, (int)v->path_len, v->path, v->body_len);
    porter_header h = {"Content-Type", 12, "text/plain", 10};
    req_respond(req, 200, &h, 1, body, (size_t)n);
}

static void on_event(void *hold, const porter_event *ev)
{
    if (ev->type == PORTER_EV_REQUEST && hold)
        held = ev->req;
    else if (ev->type == PORTER_EV_REQUEST)
        answer(ev->req, ev->request);
    else if (ev->type == PORTER_EV_ABORT)
        req_abort(ev->req);
}

int ct_start(int loop, int hold, porter_server **srv, char *addr, size_t cap)
{
    porter_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.size = sizeof cfg;
    if (!loop) {
        cfg.handler = on_event;
        cfg.user_data = hold ? &held : NULL;
    }
    int rc = server_new(&cfg, srv);
    if (rc == 0 && (rc = server_listen(*srv, "127.0.0.1:0")) >= 0 &&
        (rc = server_addr(*srv, 0, addr, cap)) >= 0)
        rc = server_start(*srv);
    return rc;
}

int ct_loop(porter_server *srv)
{
    porter_event evs[16];
    int answered = 0;
    for (;;) {
        int n = server_next(srv, evs, 16, -1);
        if (n == PORTER_ECLOSED)
            return answered;
        if (n < 0)
            return n;
        for (int i = 0; i < n; i++) {
            if (evs[i].type == PORTER_EV_REQUEST)
                answered++;
            on_event(NULL, &evs[i]);
        }
    }
}

porter_req ct_held(void)
{
    return held;
}

#define EXPECT(call, want)                                                  \
    do {                                                                    \
        int got_ = (call);                                                  \
        if (got_ != (want)) {                                               \
            snprintf(failure, sizeof failure, "%s: got %s, want %s", #call, \
                     porter_errname(got_), porter_errname(want));           \
            return failure;                                                 \
        }                                                                   \
    } while (0)

const char *ct_bad_input(porter_server *srv, porter_req live)
{
    static char failure[512];
    const porter_request *view;
    const char *value;
    size_t len;
    char buf[8];
    porter_event ev;
    porter_header crlf = {"X-A", 3, "a\r\nb", 4};
    porter_header reserved = {"content-length", 14, "1", 1};
    porter_req garbage[] = {0, 1, live + 1, live ^ ((porter_req)1 << 30),
                            UINT64_MAX, (porter_req)1 << 53};

    for (size_t i = 0; i < sizeof garbage / sizeof *garbage; i++) {
        porter_req g = garbage[i];
        EXPECT(req_view(g, &view), PORTER_EHANDLE);
        EXPECT(req_header(g, "a", 1, &value, &len), PORTER_EHANDLE);
        EXPECT(req_set_data(g, NULL), PORTER_EHANDLE);
        EXPECT(req_body_read(g, buf, sizeof buf), PORTER_EHANDLE);
        EXPECT(req_respond(g, 200, NULL, 0, NULL, 0), PORTER_EHANDLE);
        EXPECT(req_write_head(g, 200, NULL, 0, -1), PORTER_EHANDLE);
        EXPECT(req_write(g, "x", 1), PORTER_EHANDLE);
        EXPECT(req_finish(g), PORTER_EHANDLE);
        EXPECT(req_abort(g), PORTER_EHANDLE);
    }
    EXPECT(server_new(NULL, NULL), PORTER_EINVAL);
    EXPECT(server_listen(srv, NULL), PORTER_EINVAL);
    EXPECT(server_listen((porter_server *)buf, "127.0.0.1:0"), PORTER_EHANDLE);
    EXPECT(server_addr(srv, 7, buf, sizeof buf), PORTER_EINVAL);
    EXPECT(server_next(srv, &ev, 1, 0), PORTER_ESTATE);
    EXPECT(server_shutdown(srv, -1), PORTER_EINVAL);
    EXPECT(req_view(live, NULL), PORTER_EINVAL);
    EXPECT(req_header(live, NULL, 1, &value, &len), PORTER_EINVAL);
    EXPECT(req_header(live, "x-nothing", 9, &value, &len), PORTER_ENOTFOUND);
    EXPECT(req_body_read(live, NULL, 5), PORTER_EINVAL);
    EXPECT(req_respond(live, 200, NULL, 1, NULL, 0), PORTER_EINVAL);
    EXPECT(req_respond(live, 200, NULL, 0, NULL, 3), PORTER_EINVAL);
    EXPECT(req_respond(live, 99, NULL, 0, NULL, 0), PORTER_EINVAL);
    EXPECT(req_respond(live, 204, NULL, 0, "x", 1), PORTER_EINVAL);
    EXPECT(req_respond(live, 200, &crlf, 1, NULL, 0), PORTER_EHEADER);
    EXPECT(req_respond(live, 200, &reserved, 1, NULL, 0), PORTER_EHEADER);
    EXPECT(req_write(live, "x", 1), PORTER_ESTATE);
    EXPECT(req_finish(live), PORTER_ESTATE);
    EXPECT(req_respond(live, 200, NULL, 0, "ok", 2), PORTER_OK);
    EXPECT(req_respond(live, 200, NULL, 0, "ok", 2), PORTER_EHANDLE);
    EXPECT(req_abort(live), PORTER_EHANDLE);
    return NULL;
}
