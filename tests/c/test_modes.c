/*
 * test_modes.c -- a request through both modes: the view's fields, an
 * inline response, a response from another thread, keep-alive, and in
 * loop mode responses given after several server_next() calls, and
 * pipelined requests whose handles and views are reused.
 */
#include "testutil.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>

#define WAIT 10000 /* ms: generous bound for anything that should be quick */

static const char post_request[] =
    "POST /echo/a%20b?x=1&y=two HTTP/1.1\r\n"
    "Host: example.test:8080\r\n"
    "X-First: one\r\n"
    "x-MiXed-Case: Two Words\r\n"
    "X-First: again\r\n"
    "Content-Type: text/plain\r\n"
    "Content-Length: 11\r\n"
    "\r\n"
    "hello world";

/* Every handle seen, to check they are distinct, non-zero, < 2^53. */
static pthread_mutex_t seen_mu = PTHREAD_MUTEX_INITIALIZER;
static porter_req seen[64];
static int nseen;

static void check_handle(porter_req req)
{
    int i, dup = 0;
    CHECK(req != 0);
    CHECK(req < ((porter_req)1 << 53));
    pthread_mutex_lock(&seen_mu);
    for (i = 0; i < nseen; i++)
        if (seen[i] == req)
            dup = 1;
    if (nseen < 64)
        seen[nseen++] = req;
    pthread_mutex_unlock(&seen_mu);
    CHECK(!dup);
}

/* check_nul checks the NUL byte porter puts after each view string. */
#define CHECK_VIEW_STR(ptr, len, want) \
    do { \
        if (CHECK_STRN(ptr, len, want)) \
            CHECK((ptr)[len] == '\0'); \
    } while (0)

static void check_post_view(porter_req req, const porter_request *v,
                            int client_port)
{
    /* The view lists the fields as received, names as sent
       (porter.h, porter_request). */
    static const char *const names[] = {"Host", "X-First", "x-MiXed-Case",
                                        "X-First", "Content-Type",
                                        "Content-Length"};
    static const char *const values[] = {"example.test:8080", "one",
                                         "Two Words", "again",
                                         "text/plain", "11"};
    const porter_request *v2 = NULL;
    char remote[64], buf[8], all[32];
    const char *val = NULL;
    size_t val_len = 0, i, got = 0;
    int n;

    REQUIRE(v != NULL);
    CHECK_INT(v->size, sizeof(porter_request));
    CHECK_VIEW_STR(v->method, v->method_len, "POST");
    CHECK_VIEW_STR(v->target, v->target_len, "/echo/a%20b?x=1&y=two");
    CHECK_VIEW_STR(v->path, v->path_len, "/echo/a%20b");
    CHECK_VIEW_STR(v->query, v->query_len, "x=1&y=two");
    CHECK_VIEW_STR(v->host, v->host_len, "example.test:8080");
    snprintf(remote, sizeof remote, "127.0.0.1:%d", client_port);
    CHECK_VIEW_STR(v->remote, v->remote_len, remote);
    CHECK_INT(v->version, 11);
    CHECK_INT(v->reserved, 0);
    CHECK_INT(v->content_length, 11);
    CHECK_INT(v->body_len, 11);
    if (v->body)
        CHECK_STRN(v->body, v->body_len, "hello world");
    else
        CHECK(v->body != NULL);
    if (CHECK_INT(v->header_count, 6) && CHECK(v->headers != NULL)) {
        for (i = 0; i < 6; i++) {
            CHECK_VIEW_STR(v->headers[i].name, v->headers[i].name_len,
                           names[i]);
            CHECK_VIEW_STR(v->headers[i].value, v->headers[i].value_len,
                           values[i]);
        }
    }

    /* req_view gives the same view. */
    CHECK_CODE(req_view(req, &v2), PORTER_OK);
    if (CHECK(v2 != NULL)) {
        CHECK_STRN(v2->target, v2->target_len, "/echo/a%20b?x=1&y=two");
        CHECK_INT(v2->header_count, 6);
    }

    /* req_header: any case, the first field, names not NUL-bound. */
    CHECK_CODE(req_header(req, "x-first", 7, &val, &val_len), PORTER_OK);
    CHECK_STRN(val, val_len, "one");
    CHECK_CODE(req_header(req, "X-FIRSTXYZ", 7, &val, &val_len), PORTER_OK);
    CHECK_STRN(val, val_len, "one");
    CHECK_CODE(req_header(req, "X-MIXED-CASE", 12, &val, &val_len),
               PORTER_OK);
    CHECK_STRN(val, val_len, "Two Words");
    CHECK_CODE(req_header(req, "host", 4, &val, &val_len), PORTER_OK);
    CHECK_STRN(val, val_len, "example.test:8080");
    CHECK_CODE(req_header(req, "content-length", 14, &val, &val_len),
               PORTER_OK);
    CHECK_STRN(val, val_len, "11");
    CHECK_CODE(req_header(req, "X-Missing", 9, &val, &val_len),
               PORTER_ENOTFOUND);
    CHECK_CODE(req_header(req, "X-Firs", 6, &val, &val_len),
               PORTER_ENOTFOUND);

    /* A buffered body reads back from the copy, in small pieces. */
    while ((n = req_body_read(req, buf, 4)) > 0) {
        CHECK(n <= 4);
        if (got + (size_t)n <= sizeof all)
            memcpy(all + got, buf, (size_t)n);
        got += (size_t)n;
    }
    CHECK_CODE(n, 0);
    CHECK_STRN(all, got, "hello world");
    CHECK_CODE(req_body_read(req, buf, 4), 0); /* still the end */
}

static int respond_post(porter_req req, const char *mode)
{
    porter_header h[3];
    h[0].name = "X-Mode";
    h[0].name_len = 6;
    h[0].value = mode;
    h[0].value_len = strlen(mode);
    h[1].name = "X-Multi";
    h[1].name_len = 7;
    h[1].value = "a";
    h[1].value_len = 1;
    h[2].name = "X-Multi";
    h[2].name_len = 7;
    h[2].value = "bXXX"; /* only the first byte: lengths are authoritative */
    h[2].value_len = 1;
    return req_respond(req, 200, h, 3, "posted:11", 9);
}

static void check_post_response(tc_conn *c, const char *mode)
{
    tc_response r;
    int i, seen_a = 0, seen_b = 0;
    REQUIRE_TC(tc_read_response(c, &r, 0, WAIT), 0);
    CHECK_INT(r.status, 200);
    CHECK_INT(r.minor, 1);
    CHECK(tc_header_get(&r, "X-Mode") != NULL &&
          strcmp(tc_header_get(&r, "X-Mode"), mode) == 0);
    CHECK_INT(tc_header_count(&r, "X-Multi"), 2);
    for (i = 0; i < r.header_count; i++) {
        if (strcmp(r.headers[i].name, "X-Multi") != 0)
            continue;
        if (strcmp(r.headers[i].value, "a") == 0 && !seen_b)
            seen_a = 1;
        if (strcmp(r.headers[i].value, "b") == 0 && seen_a)
            seen_b = 1;
    }
    CHECK(seen_a && seen_b); /* in order */
    CHECK(tc_header_get(&r, "Content-Length") != NULL &&
          strcmp(tc_header_get(&r, "Content-Length"), "9") == 0);
    CHECK(tc_header_get(&r, "Date") != NULL);
    CHECK(tc_header_get(&r, "Transfer-Encoding") == NULL);
    CHECK_STRN(r.body, r.body_len, "posted:11");
    tc_response_free(&r);
}

/* The HTTP/1.0 request without Host and the keep-alive one. */
static void check_plain_view(const porter_request *v)
{
    REQUIRE(v != NULL);
    CHECK_VIEW_STR(v->method, v->method_len, "GET");
    CHECK_VIEW_STR(v->target, v->target_len, "/plain");
    CHECK_VIEW_STR(v->path, v->path_len, "/plain");
    CHECK_VIEW_STR(v->query, v->query_len, "");
    CHECK_VIEW_STR(v->host, v->host_len, "");
    CHECK_INT(v->version, 10);
    CHECK_INT(v->header_count, 0);
    CHECK_INT(v->body_len, 0);
}

static void check_again_view(const porter_request *v)
{
    REQUIRE(v != NULL);
    CHECK_VIEW_STR(v->method, v->method_len, "GET");
    CHECK_VIEW_STR(v->target, v->target_len, "/again?");
    CHECK_VIEW_STR(v->path, v->path_len, "/again");
    CHECK_VIEW_STR(v->query, v->query_len, "");
    CHECK_VIEW_STR(v->host, v->host_len, "h");
    CHECK_INT(v->version, 11);
    CHECK_INT(v->header_count, 2);
    if (v->header_count == 2) {
        CHECK_VIEW_STR(v->headers[0].name, v->headers[0].name_len, "Host");
        CHECK_VIEW_STR(v->headers[1].name, v->headers[1].name_len,
                       "Accept");
        CHECK_VIEW_STR(v->headers[1].value, v->headers[1].value_len,
                       "*/*");
    }
    CHECK_INT(v->body_len, 0);
}

static const char again_request[] =
    "GET /again? HTTP/1.1\r\nHost: h\r\nAccept: */*\r\n\r\n";
static const char plain_request[] = "GET /plain HTTP/1.0\r\n\r\n";

/* minor is the response's version: porter answers HTTP/1.1 to 1.0
   clients too (RFC 9110 section 2.5). */
static void expect_text(tc_conn *c, int status, const char *body, int minor)
{
    tc_response r;
    REQUIRE_TC(tc_read_response(c, &r, 0, WAIT), 0);
    CHECK_INT(r.status, status);
    CHECK_INT(r.minor, minor);
    CHECK_STRN(r.body, r.body_len, body);
    tc_response_free(&r);
}

/* ---- Callback mode ----------------------------------------------------- */

typedef struct cb_state {
    tu_evq q;
    int client_port;         /* of the POST's connection */
    int inline_calls;
    porter_req later_req;
    pthread_t later_thread;
    int later_started;
    int later_rc;
    int bad_user_data;
} cb_state;

static cb_state cbs;

static void *later_main(void *arg)
{
    cb_state *s = arg;
    tu_sleep_ms(50); /* the scenario: an answer 50 ms later */
    s->later_rc = tu_respond_text(s->later_req, 200, "later");
    return NULL;
}

static void cb_handler(void *user_data, const porter_event *ev)
{
    cb_state *s = user_data;
    const porter_request *v = ev->request;

    if (s != &cbs) {
        __atomic_add_fetch(&cbs.bad_user_data, 1, __ATOMIC_SEQ_CST);
        s = &cbs;
    }
    if (ev->type == PORTER_EV_REQUEST && v && v->path_len >= 5 &&
        memcmp(v->path, "/echo", 5) == 0) {
        /* inline: look at everything, answer before returning */
        check_handle(ev->req);
        CHECK_INT(ev->code, 0);
        CHECK(ev->data == NULL);
        check_post_view(ev->req, v, __atomic_load_n(&s->client_port,
                                                    __ATOMIC_SEQ_CST));
        /* counted first: the client may read the response before
           respond_post returns */
        __atomic_add_fetch(&s->inline_calls, 1, __ATOMIC_SEQ_CST);
        CHECK_CODE(respond_post(ev->req, "callback"), PORTER_OK);
        return;
    }
    if (ev->type == PORTER_EV_REQUEST && v && v->path_len == 6 &&
        memcmp(v->path, "/later", 6) == 0) {
        /* keep the handle; another thread answers 50 ms later */
        check_handle(ev->req);
        s->later_req = ev->req;
        s->later_started =
            pthread_create(&s->later_thread, NULL, later_main, s) == 0;
        CHECK(s->later_started);
        return;
    }
    tu_evq_push(&s->q, ev);
}

static void test_callback_mode(void)
{
    porter_config cfg;
    porter_server *srv;
    porter_event ev;
    tc_conn a, b, c;
    int port;

    tu_section("callback mode");
    tu_evq_init(&cbs.q);
    tu_config(&cfg);
    cfg.handler = cb_handler;
    cfg.user_data = &cbs;
    srv = tu_server(&cfg);
    port = tu_start(srv);

    /* POST answered inline, with the view checked in the handler */
    REQUIRE_TC(tc_connect(&a, port, 0), 0);
    __atomic_store_n(&cbs.client_port, tc_local_port(&a), __ATOMIC_SEQ_CST);
    REQUIRE_TC(tc_sends(&a, post_request, WAIT), 0);
    check_post_response(&a, "callback");
    CHECK_INT(__atomic_load_n(&cbs.inline_calls, __ATOMIC_SEQ_CST), 1);

    /* keep-alive: a second request on the same connection, answered by
       the main thread (not the handler's) */
    REQUIRE_TC(tc_sends(&a, again_request, WAIT), 0);
    REQUIRE(tu_evq_pop(&cbs.q, &ev, WAIT));
    CHECK_INT(ev.type, PORTER_EV_REQUEST);
    check_handle(ev.req);
    check_again_view(ev.request);
    CHECK_CODE(tu_respond_text(ev.req, 200, "again"), PORTER_OK);
    expect_text(&a, 200, "again", 1);

    /* answered by a pthread 50 ms after the handler returned */
    REQUIRE_TC(tc_connect(&b, port, 0), 0);
    REQUIRE_TC(tc_sends(&b, "GET /later HTTP/1.1\r\nHost: t\r\n\r\n", WAIT),
                 0);
    expect_text(&b, 200, "later", 1);
    if (cbs.later_started) {
        pthread_join(cbs.later_thread, NULL);
        CHECK_CODE(cbs.later_rc, PORTER_OK);
    }

    /* HTTP/1.0 without Host: answered from the main thread; closes */
    REQUIRE_TC(tc_connect(&c, port, 0), 0);
    REQUIRE_TC(tc_sends(&c, plain_request, WAIT), 0);
    REQUIRE(tu_evq_pop(&cbs.q, &ev, WAIT));
    CHECK_INT(ev.type, PORTER_EV_REQUEST);
    check_plain_view(ev.request);
    CHECK_CODE(tu_respond_text(ev.req, 200, "plain"), PORTER_OK);
    expect_text(&c, 200, "plain", 1);
    CHECK_INT(tc_wait_closed(&c, WAIT), 1);

    CHECK_INT(cbs.bad_user_data, 0);
    CHECK_INT(cbs.q.count, 0);
    tc_close(&a);
    tc_close(&b);
    tc_close(&c);
    CHECK_CODE(server_free(srv), PORTER_OK);
    tu_evq_destroy(&cbs.q);
}

/* ---- Loop mode --------------------------------------------------------- */

static int pollfd_readable(porter_server *srv, int timeout_ms)
{
    struct pollfd p;
    p.fd = server_pollfd(srv);
    p.events = POLLIN;
    p.revents = 0;
    return poll(&p, 1, timeout_ms) > 0 && (p.revents & POLLIN);
}

typedef struct responder {
    porter_req req;
    int rc;
} responder;

static void *respond_main(void *arg)
{
    responder *r = arg;
    r->rc = tu_respond_text(r->req, 200, "multi-2");
    return NULL;
}

static void test_loop_mode(void)
{
    porter_config cfg;
    porter_server *srv;
    porter_event ev, evs[8];
    tc_conn a, b, m[3];
    porter_req mreq[3] = {0, 0, 0};
    responder resp;
    pthread_t th;
    int port, fd, i, got, n;
    int64_t t0;

    tu_section("loop mode");
    tu_config(&cfg); /* handler NULL: loop mode */
    srv = tu_server(&cfg);
    fd = server_pollfd(srv);
    CHECK(fd >= 0);
    port = tu_start(srv);
    CHECK_INT(server_pollfd(srv), fd); /* one descriptor for the server */

    /* nothing waits: not readable, server_next gives 0 */
    CHECK(!pollfd_readable(srv, 0));
    CHECK_CODE(server_next(srv, evs, 8, 0), 0);
    t0 = tu_now_ms();
    CHECK_CODE(server_next(srv, evs, 8, 50), 0);
    CHECK(tu_now_ms() - t0 < 5000);

    /* POST: poll, next, check the view, answer */
    REQUIRE_TC(tc_connect(&a, port, 0), 0);
    REQUIRE_TC(tc_sends(&a, post_request, WAIT), 0);
    CHECK(pollfd_readable(srv, WAIT));
    REQUIRE_CODE(tu_next_poll(srv, &ev, WAIT), 1);
    CHECK_INT(ev.type, PORTER_EV_REQUEST);
    CHECK_INT(ev.code, 0);
    CHECK(ev.data == NULL);
    check_handle(ev.req);
    check_post_view(ev.req, ev.request, tc_local_port(&a));
    CHECK(!pollfd_readable(srv, 0)); /* drained: no longer readable */
    CHECK_CODE(respond_post(ev.req, "loop"), PORTER_OK);
    check_post_response(&a, "loop");

    /* keep-alive */
    REQUIRE_TC(tc_sends(&a, again_request, WAIT), 0);
    REQUIRE_CODE(tu_next_poll(srv, &ev, WAIT), 1);
    CHECK_INT(ev.type, PORTER_EV_REQUEST);
    check_handle(ev.req);
    check_again_view(ev.request);
    CHECK_CODE(tu_respond_text(ev.req, 200, "again"), PORTER_OK);
    expect_text(&a, 200, "again", 1);

    /* HTTP/1.0 */
    REQUIRE_TC(tc_connect(&b, port, 0), 0);
    REQUIRE_TC(tc_sends(&b, plain_request, WAIT), 0);
    REQUIRE_CODE(tu_next_poll(srv, &ev, WAIT), 1);
    CHECK_INT(ev.type, PORTER_EV_REQUEST);
    check_plain_view(ev.request);
    CHECK_CODE(tu_respond_text(ev.req, 200, "plain"), PORTER_OK);
    expect_text(&b, 200, "plain", 1);
    CHECK_INT(tc_wait_closed(&b, WAIT), 1);

    /* three requests held over several server_next calls, then answered
       out of order, one of them from another thread */
    for (i = 0; i < 3; i++) {
        char req[128];
        REQUIRE_TC(tc_connect(&m[i], port, 0), 0);
        snprintf(req, sizeof req,
                 "GET /multi/%d HTTP/1.1\r\nHost: m\r\n\r\n", i + 1);
        REQUIRE_TC(tc_sends(&m[i], req, WAIT), 0);
    }
    got = 0;
    t0 = tu_now_ms();
    while (got < 3 && tu_now_ms() - t0 < WAIT) {
        n = server_next(srv, evs, 8, 200);
        REQUIRE(n >= 0 && n <= 8);
        for (i = 0; i < n; i++) {
            const porter_request *v = evs[i].request;
            int k;
            CHECK_INT(evs[i].type, PORTER_EV_REQUEST);
            check_handle(evs[i].req);
            if (!CHECK(v != NULL && v->path_len == 8 &&
                       memcmp(v->path, "/multi/", 7) == 0))
                continue;
            k = v->path[7] - '1';
            if (CHECK(k >= 0 && k < 3 && mreq[k] == 0))
                mreq[k] = evs[i].req;
            got++;
        }
    }
    REQUIRE_INT(got, 3);
    /* more pulls find nothing; the held views stay valid */
    CHECK_CODE(server_next(srv, evs, 8, 0), 0);
    CHECK_CODE(server_next(srv, evs, 8, 20), 0);
    CHECK(!pollfd_readable(srv, 0));
    for (i = 0; i < 3; i++) {
        const porter_request *v = NULL;
        char want[16];
        snprintf(want, sizeof want, "/multi/%d", i + 1);
        CHECK_CODE(req_view(mreq[i], &v), PORTER_OK);
        if (v)
            CHECK_STRN(v->target, v->target_len, want);
    }
    CHECK_CODE(tu_respond_text(mreq[2], 200, "multi-3"), PORTER_OK);
    expect_text(&m[2], 200, "multi-3", 1);
    CHECK_CODE(tu_respond_text(mreq[0], 200, "multi-1"), PORTER_OK);
    expect_text(&m[0], 200, "multi-1", 1);
    resp.req = mreq[1];
    resp.rc = 1;
    REQUIRE(pthread_create(&th, NULL, respond_main, &resp) == 0);
    pthread_join(th, NULL);
    CHECK_CODE(resp.rc, PORTER_OK);
    expect_text(&m[1], 200, "multi-2", 1);

    CHECK_CODE(server_next(srv, evs, 8, 0), 0);
    tc_close(&a);
    tc_close(&b);
    for (i = 0; i < 3; i++)
        tc_close(&m[i]);
    CHECK_CODE(server_free(srv), PORTER_OK);
}

/* Pipelined requests, sent in one write, come one by one from
   server_next() as the host answers the one before, each with its own
   view and handle. porter reuses a released request's memory, so a stale
   handle must still be refused, never answer the request that reuses it. */
static void test_loop_pipelined(void)
{
    porter_config cfg;
    porter_server *srv;
    porter_event ev;
    tc_conn c;
    porter_req prev = 0;
    char batch[512], want[16];
    const char *val;
    size_t len = 0, val_len;
    int port, i, round;

    tu_section("loop mode: pipelined requests");
    tu_config(&cfg);
    srv = tu_server(&cfg);
    port = tu_start(srv);
    REQUIRE_TC(tc_connect(&c, port, 0), 0);
    for (i = 0; i < 5; i++)
        len += (size_t)snprintf(batch + len, sizeof batch - len,
                                "GET /p/%d HTTP/1.1\r\nHost: p\r\n"
                                "X-N: %d\r\n\r\n", i, i);
    for (round = 0; round < 2; round++) {
        REQUIRE_TC(tc_send(&c, batch, len, WAIT), 0);
        for (i = 0; i < 5; i++) {
            snprintf(want, sizeof want, "/p/%d", i);
            REQUIRE_CODE(tu_next_poll(srv, &ev, WAIT), 1);
            CHECK_INT(ev.type, PORTER_EV_REQUEST);
            REQUIRE(ev.request != NULL);
            CHECK_STRN(ev.request->path, ev.request->path_len, want);
            if (CHECK_CODE(req_header(ev.req, "x-n", 3, &val, &val_len),
                           PORTER_OK))
                CHECK_STRN(val, val_len, want + 3);
            CHECK(ev.req != prev);
            if (prev != 0)
                CHECK_CODE(tu_respond_text(prev, 200, "stale"),
                           PORTER_EHANDLE);
            CHECK_CODE(tu_respond_text(ev.req, 200, want), PORTER_OK);
            prev = ev.req;
        }
        for (i = 0; i < 5; i++) {
            snprintf(want, sizeof want, "/p/%d", i);
            expect_text(&c, 200, want, 1);
        }
    }
    CHECK_CODE(server_next(srv, &ev, 1, 0), 0);
    tc_close(&c);
    CHECK_CODE(server_free(srv), PORTER_OK);
}

int main(void)
{
    tu_init("modes", 60);
    test_callback_mode();
    test_loop_mode();
    test_loop_pipelined();
    return tu_done();
}
