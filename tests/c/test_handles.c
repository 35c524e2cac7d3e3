/*
 * test_handles.c -- request handles and arguments: a request ends once
 * (double respond), stale, forged and garbage handles give
 * PORTER_EHANDLE for every req_* call and touch nothing else, NULL
 * pointers give PORTER_EINVAL, bad statuses and headers are refused
 * (PORTER_EINVAL / PORTER_EHEADER) and the request can still be answered
 * properly afterwards, and bodies for 204/304/HEAD.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>

#define WAIT 10000

static porter_server *srv;
static int port;

static porter_req request_on(tc_conn *c, const char *method, const char *path)
{
    char req[256];
    porter_event ev;
    snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: h\r\n\r\n", method,
             path);
    REQUIRE_TC(tc_sends(c, req, WAIT), 0);
    REQUIRE_CODE(tu_next(srv, &ev, WAIT), 1);
    REQUIRE_INT(ev.type, PORTER_EV_REQUEST);
    REQUIRE(ev.request != NULL);
    CHECK_STRN(ev.request->path, ev.request->path_len, path);
    return ev.req;
}

static void expect(tc_conn *c, int head_only, int status, const char *body)
{
    tc_response r;
    REQUIRE_TC(tc_read_response(c, &r, head_only, WAIT), 0);
    CHECK_INT(r.status, status);
    CHECK_STRN(r.body, r.body_len, body);
    tc_response_free(&r);
}

/* every_call_is checks that each req_* call on `req` returns `want`. */
static long bad_calls;
static void every_call_is(porter_req req, int want, const char *what)
{
    const porter_request *v = NULL;
    const char *val = NULL;
    size_t val_len = 0;
    unsigned char buf[16];
    int r[9], i, ok = 1;

    r[0] = req_view(req, &v);
    r[1] = req_header(req, "host", 4, &val, &val_len);
    r[2] = req_set_data(req, buf);
    r[3] = req_body_read(req, buf, sizeof buf);
    r[4] = req_respond(req, 200, NULL, 0, "x", 1);
    r[5] = req_write_head(req, 200, NULL, 0, -1);
    r[6] = req_write(req, "x", 1);
    r[7] = req_finish(req);
    r[8] = req_abort(req);
    for (i = 0; i < 9; i++)
        if (r[i] != want)
            ok = 0;
    if (!CHECK(ok)) {
        static const char *const names[] = {
            "req_view", "req_header", "req_set_data", "req_body_read",
            "req_respond", "req_write_head", "req_write", "req_finish",
            "req_abort"};
        bad_calls++;
        for (i = 0; i < 9; i++)
            if (r[i] != want)
                tu_note("%s: %s(0x%llx) returned %d (%s), want %s", what,
                        names[i], (unsigned long long)req, r[i],
                        porter_errname(r[i]), porter_errname(want));
    }
}

static void test_double_respond(void)
{
    tc_conn c;
    porter_req req;

    tu_section("a request ends once");
    REQUIRE_TC(tc_connect(&c, port, 0), 0);
    req = request_on(&c, "GET", "/once");
    CHECK_CODE(tu_respond_text(req, 200, "first"), PORTER_OK);
    CHECK_CODE(tu_respond_text(req, 200, "second"), PORTER_EHANDLE);
    CHECK_CODE(req_finish(req), PORTER_EHANDLE);
    CHECK_CODE(req_write(req, "x", 1), PORTER_EHANDLE);
    every_call_is(req, PORTER_EHANDLE, "after req_respond");
    expect(&c, 0, 200, "first");
    /* nothing else was sent on the connection */
    CHECK(!tc_pending(&c, 200));

    /* the same after req_abort and after req_finish */
    req = request_on(&c, "GET", "/abort");
    CHECK_CODE(req_abort(req), PORTER_OK);
    every_call_is(req, PORTER_EHANDLE, "after req_abort");
    CHECK_INT(tc_wait_closed(&c, WAIT), 1);
    tc_close(&c);

    REQUIRE_TC(tc_connect(&c, port, 0), 0);
    req = request_on(&c, "GET", "/finish");
    CHECK_CODE(req_write_head(req, 200, NULL, 0, 2), PORTER_OK);
    CHECK_CODE(req_write(req, "ok", 2), 2);
    CHECK_CODE(req_finish(req), PORTER_OK);
    every_call_is(req, PORTER_EHANDLE, "after req_finish");
    expect(&c, 0, 200, "ok");
    tc_close(&c);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rng(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

static void test_garbage(void)
{
    tc_conn c;
    porter_req live, stale;
    const porter_request *v = NULL;
    porter_req fixed[12];
    char what[64];
    int i, n = 0;

    tu_section("stale, forged and garbage handles");
    REQUIRE_TC(tc_connect(&c, port, 0), 0);
    stale = request_on(&c, "GET", "/stale");
    CHECK_CODE(tu_respond_text(stale, 200, "s"), PORTER_OK);
    expect(&c, 0, 200, "s");
    live = request_on(&c, "GET", "/live");

    fixed[n++] = 0;
    fixed[n++] = 1;
    fixed[n++] = UINT64_MAX;
    fixed[n++] = (porter_req)1 << 53;
    fixed[n++] = ((porter_req)1 << 53) - 1;
    fixed[n++] = (porter_req)1 << 63;
    fixed[n++] = stale;
    fixed[n++] = live + 1;
    fixed[n++] = live ^ ((porter_req)1 << 32);
    fixed[n++] = live ^ ((porter_req)1 << 52);
    fixed[n++] = live + ((porter_req)1 << 20);
    fixed[n++] = ~live;
    for (i = 0; i < n; i++) {
        if (fixed[i] == live)
            continue;
        snprintf(what, sizeof what, "fixed #%d", i);
        every_call_is(fixed[i], PORTER_EHANDLE, what);
    }
    for (i = 0; i < 2000; i++) {
        porter_req h = rng();
        if (i % 2)
            h &= ((porter_req)1 << 53) - 1; /* in the handle range */
        if (i % 4 == 1)
            h &= 0xffffffffu; /* small values */
        if (h == live)
            continue;
        every_call_is(h, PORTER_EHANDLE, "random");
    }
    CHECK_INT(bad_calls, 0);

    /* none of that touched the live request */
    CHECK_CODE(req_view(live, &v), PORTER_OK);
    if (CHECK(v != NULL))
        CHECK_STRN(v->target, v->target_len, "/live");
    CHECK_CODE(tu_respond_text(live, 200, "alive"), PORTER_OK);
    expect(&c, 0, 200, "alive");
    tc_close(&c);
}

static void test_null_args(void)
{
    tc_conn c;
    porter_req req;
    porter_header h;
    const char *val = NULL;
    size_t val_len = 0;
    char buf[16];

    tu_section("NULL and out-of-range arguments: PORTER_EINVAL");
    REQUIRE_TC(tc_connect(&c, port, 0), 0);
    req = request_on(&c, "GET", "/nulls");
    CHECK_CODE(req_view(req, NULL), PORTER_EINVAL);
    CHECK_CODE(req_header(req, NULL, 4, &val, &val_len), PORTER_EINVAL);
    CHECK_CODE(req_header(req, "host", 4, NULL, &val_len), PORTER_EINVAL);
    CHECK_CODE(req_header(req, "host", 4, &val, NULL), PORTER_EINVAL);
    CHECK_CODE(req_body_read(req, NULL, sizeof buf), PORTER_EINVAL);
    CHECK_CODE(req_respond(req, 200, NULL, 2, NULL, 0), PORTER_EINVAL);
    CHECK_CODE(req_respond(req, 200, NULL, 0, NULL, 5), PORTER_EINVAL);
    CHECK_CODE(req_write_head(req, 200, NULL, 1, -1), PORTER_EINVAL);
    CHECK_CODE(req_write_head(req, 200, NULL, 0, -2), PORTER_EINVAL);
    h.name = NULL;
    h.name_len = 5;
    h.value = "v";
    h.value_len = 1;
    CHECK_CODE(req_respond(req, 200, &h, 1, NULL, 0), PORTER_EINVAL);
    h.name = "X-Val";
    h.value = NULL;
    CHECK_CODE(req_respond(req, 200, &h, 1, NULL, 0), PORTER_EINVAL);
    /* still answerable, and a stream too */
    CHECK_CODE(req_write_head(req, 200, NULL, 0, 5), PORTER_OK);
    CHECK_CODE(req_write(req, NULL, 5), PORTER_EINVAL);
    CHECK_CODE(req_write(req, "hello", 5), 5);
    CHECK_CODE(req_finish(req), PORTER_OK);
    expect(&c, 0, 200, "hello");
    tc_close(&c);
}

static porter_header hdr(const char *name, size_t name_len, const char *value,
                         size_t value_len)
{
    porter_header h;
    h.name = name;
    h.name_len = name_len;
    h.value = value;
    h.value_len = value_len;
    return h;
}

#define H(n, v) hdr(n, sizeof(n) - 1, v, sizeof(v) - 1)

static void test_bad_status_and_headers(void)
{
    static const int bad_status[] = {99, 1000, 0, -200, 100, 199, 1200};
    tc_conn c;
    tc_response r;
    porter_req req;
    porter_header bad[16], ok[2];
    size_t i, nbad = 0;
    int k;

    tu_section("bad status and headers are refused; then a good answer");
    bad[nbad++] = H("X-Bad", "a\rb");
    bad[nbad++] = H("X-Bad", "a\nb");
    bad[nbad++] = H("X-Bad", "a\r\nX-Injected: 1");
    bad[nbad++] = hdr("X-Bad", 5, "a\0b", 3);
    bad[nbad++] = H("X Bad", "v");
    bad[nbad++] = H("", "v");
    bad[nbad++] = H("X-Bad:", "v");
    bad[nbad++] = H("X(Bad)", "v");
    bad[nbad++] = hdr("X-B\0d", 5, "v", 1);
    bad[nbad++] = H("X-B\rd", "v");
    bad[nbad++] = H("Content-Length", "1");
    bad[nbad++] = H("content-length", "1");
    bad[nbad++] = H("Transfer-Encoding", "chunked");
    bad[nbad++] = H("TRANSFER-ENCODING", "identity");

    REQUIRE_TC(tc_connect(&c, port, 0), 0);
    req = request_on(&c, "GET", "/bad");
    for (k = 0; k < (int)(sizeof bad_status / sizeof bad_status[0]); k++) {
        if (!CHECK_CODE(req_respond(req, bad_status[k], NULL, 0, "x", 1),
                        PORTER_EINVAL) ||
            !CHECK_CODE(req_write_head(req, bad_status[k], NULL, 0, -1),
                        PORTER_EINVAL))
            tu_note("status %d", bad_status[k]);
    }
    ok[0] = H("X-Good", "yes");
    for (i = 0; i < nbad; i++) {
        ok[1] = bad[i];
        /* alone, and after a good header */
        if (!CHECK_CODE(req_respond(req, 200, &bad[i], 1, "x", 1),
                        PORTER_EHEADER) ||
            !CHECK_CODE(req_respond(req, 200, ok, 2, "x", 1),
                        PORTER_EHEADER) ||
            !CHECK_CODE(req_write_head(req, 200, ok, 2, 1), PORTER_EHEADER))
            tu_note("refused header #%zu", i);
    }
    /* the request is intact and answers properly */
    CHECK_CODE(req_respond(req, 299, ok, 1, "good", 4), PORTER_OK);
    REQUIRE_TC(tc_read_response(&c, &r, 0, WAIT), 0);
    CHECK_INT(r.status, 299);
    CHECK_STRN(r.body, r.body_len, "good");
    CHECK(tc_header_get(&r, "X-Good") != NULL);
    CHECK_INT(tc_header_count(&r, "X-Bad"), 0);
    CHECK_INT(tc_header_count(&r, "X-Injected"), 0);
    CHECK_INT(tc_header_count(&r, "Content-Length"), 1);
    CHECK_INT(tc_header_count(&r, "Transfer-Encoding"), 0);
    tc_response_free(&r);
    CHECK(!tc_pending(&c, 100)); /* one response, nothing else */

    /* the edges of the range are accepted */
    req = request_on(&c, "GET", "/s200");
    CHECK_CODE(tu_respond_text(req, 200, "edge"), PORTER_OK);
    expect(&c, 0, 200, "edge");
    req = request_on(&c, "GET", "/s999");
    CHECK_CODE(tu_respond_text(req, 999, "edge"), PORTER_OK);
    expect(&c, 0, 999, "edge");
    tc_close(&c);
}

static void test_no_body_statuses(void)
{
    tc_conn c;
    tc_response r;
    porter_req req;

    tu_section("204, 304 and HEAD carry no body");
    REQUIRE_TC(tc_connect(&c, port, 0), 0);
    req = request_on(&c, "GET", "/nc");
    CHECK_CODE(req_respond(req, 204, NULL, 0, "body", 4), PORTER_EINVAL);
    CHECK_CODE(req_respond(req, 304, NULL, 0, "body", 4), PORTER_EINVAL);
    CHECK_CODE(req_respond(req, 204, NULL, 0, NULL, 0), PORTER_OK);
    REQUIRE_TC(tc_read_response(&c, &r, 0, WAIT), 0);
    CHECK_INT(r.status, 204);
    tc_response_free(&r);

    req = request_on(&c, "GET", "/nm");
    CHECK_CODE(req_respond(req, 304, NULL, 0, NULL, 0), PORTER_OK);
    REQUIRE_TC(tc_read_response(&c, &r, 0, WAIT), 0);
    CHECK_INT(r.status, 304);
    tc_response_free(&r);

    /* HEAD: the body given is not sent */
    req = request_on(&c, "HEAD", "/head");
    CHECK_CODE(tu_respond_text(req, 200, "hello"), PORTER_OK);
    REQUIRE_TC(tc_read_response(&c, &r, 1, WAIT), 0);
    CHECK_INT(r.status, 200);
    tc_response_free(&r);

    /* no stray body bytes came before the next response */
    req = request_on(&c, "GET", "/after");
    CHECK_CODE(tu_respond_text(req, 200, "after"), PORTER_OK);
    expect(&c, 0, 200, "after");
    tc_close(&c);
}

/* callback mode: the double respond from inside the handler */
static int cb_first = 1, cb_second = 1, cb_calls;
static void handler(void *user_data, const porter_event *ev)
{
    (void)user_data;
    if (ev->type != PORTER_EV_REQUEST)
        return;
    cb_first = tu_respond_text(ev->req, 200, "cb");
    cb_second = tu_respond_text(ev->req, 200, "again");
    __atomic_add_fetch(&cb_calls, 1, __ATOMIC_SEQ_CST);
}

static void test_callback_double(void)
{
    porter_config cfg;
    porter_server *s;
    tc_conn c;
    tc_response r;
    int p;

    tu_section("callback mode: a second req_respond inside the handler");
    tu_config(&cfg);
    cfg.handler = handler;
    s = tu_server(&cfg);
    p = tu_start(s);
    REQUIRE_TC(tc_connect(&c, p, 0), 0);
    REQUIRE_TC(tc_get(&c, "/cb", &r, WAIT), 0);
    CHECK_INT(r.status, 200);
    CHECK_STRN(r.body, r.body_len, "cb");
    tc_response_free(&r);
    CHECK(!tc_pending(&c, 100));
    tc_close(&c);
    CHECK_CODE(server_free(s), PORTER_OK);
    /* read once no handler runs: the client may have the response
       before the handler returns */
    CHECK_INT(__atomic_load_n(&cb_calls, __ATOMIC_SEQ_CST), 1);
    CHECK_CODE(cb_first, PORTER_OK);
    CHECK_CODE(cb_second, PORTER_EHANDLE);
}

int main(void)
{
    porter_config cfg;

    tu_init("handles", 60);
    tu_config(&cfg);
    srv = tu_server(&cfg);
    port = tu_start(srv);

    test_double_respond();
    test_garbage();
    test_null_args();
    test_bad_status_and_headers();
    test_no_body_statuses();

    CHECK_CODE(server_free(srv), PORTER_OK);
    test_callback_double();
    return tu_done();
}
