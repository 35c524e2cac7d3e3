/*
 * test_abort.c -- porter ends an exchange before the host: the client
 * went away (PORTER_EV_ABORT with PORTER_EPEER), and the host did not
 * start a response in time (503 on the wire, PORTER_EV_ABORT with
 * PORTER_ETIMEDOUT). In both modes the handle stays allocated until the
 * host ends it: req_abort gives 0, req_respond/req_finish give
 * PORTER_EABORTED, and every later call PORTER_EHANDLE.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>

#define WAIT 10000

static int marker_a, marker_b;

/* ---- Loop mode --------------------------------------------------------- */

static porter_req loop_request(porter_server *srv, tc_conn *c,
                               const char *path)
{
    char req[256];
    porter_event ev;
    snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: a\r\n\r\n", path);
    REQUIRE_TC(tc_sends(c, req, WAIT), 0);
    REQUIRE_CODE(tu_next(srv, &ev, WAIT), 1);
    REQUIRE_INT(ev.type, PORTER_EV_REQUEST);
    return ev.req;
}

static void expect_abort(porter_server *srv, porter_req req, int code,
                         void *data)
{
    porter_event ev;
    if (!CHECK_CODE(tu_next(srv, &ev, WAIT), 1))
        return;
    CHECK_INT(ev.type, PORTER_EV_ABORT);
    CHECK_CODE(ev.code, code);
    CHECK(ev.req == req);
    CHECK(ev.data == data);
}

static void test_loop_peer_gone(void)
{
    porter_config cfg;
    porter_server *srv;
    porter_event ev;
    tc_conn c;
    porter_req req;
    const porter_request *v = NULL;
    int port, n, saw_abort = 0;
    int64_t t0;
    static unsigned char buf[65536];

    tu_section("loop mode: the client goes away");
    tu_config(&cfg);
    srv = tu_server(&cfg);
    port = tu_start(srv);

    /* a held request, then the client closes: EV_ABORT(EPEER) */
    REQUIRE_TC(tc_connect(&c, port, 0), 0);
    req = loop_request(srv, &c, "/gone");
    CHECK_CODE(req_set_data(req, &marker_a), PORTER_OK);
    tc_close(&c);
    expect_abort(srv, req, PORTER_EPEER, &marker_a);
    /* still allocated: the view is there */
    CHECK_CODE(req_view(req, &v), PORTER_OK);
    if (v)
        CHECK_STRN(v->path, v->path_len, "/gone");
    CHECK_CODE(req_respond(req, 200, NULL, 0, "late", 4), PORTER_EABORTED);
    CHECK_CODE(req_respond(req, 200, NULL, 0, "late", 4), PORTER_EHANDLE);
    CHECK_CODE(req_abort(req), PORTER_EHANDLE);
    CHECK_CODE(server_next(srv, &ev, 1, 0), 0); /* at most one abort */

    /* the same ended with req_abort */
    REQUIRE_TC(tc_connect(&c, port, 0), 0);
    req = loop_request(srv, &c, "/gone2");
    tc_close(&c);
    expect_abort(srv, req, PORTER_EPEER, NULL);
    /* req_write_head does not end the request, even when aborted */
    CHECK_CODE(req_write_head(req, 200, NULL, 0, -1), PORTER_EABORTED);
    CHECK_CODE(req_abort(req), PORTER_OK);
    CHECK_CODE(req_abort(req), PORTER_EHANDLE);
    CHECK_CODE(req_respond(req, 200, NULL, 0, NULL, 0), PORTER_EHANDLE);

    /* the client goes away during a streamed response: writes end with
       PORTER_EABORTED; req_finish then gives PORTER_EABORTED */
    REQUIRE_TC(tc_connect(&c, port, 0), 0);
    req = loop_request(srv, &c, "/stream");
    CHECK_CODE(req_set_data(req, &marker_b), PORTER_OK);
    CHECK_CODE(req_write_head(req, 200, NULL, 0, -1), PORTER_OK);
    CHECK_CODE(req_write(req, "0123456789", 10), 10);
    tc_close(&c);
    t0 = tu_now_ms();
    for (;;) {
        n = req_write(req, buf, sizeof buf);
        if (n == PORTER_EAGAIN) {
            /* a WRITABLE or the ABORT comes */
            if (!CHECK_CODE(tu_next(srv, &ev, WAIT), 1))
                break;
            CHECK(ev.req == req);
            if (ev.type == PORTER_EV_ABORT) {
                CHECK_CODE(ev.code, PORTER_EPEER);
                CHECK(ev.data == &marker_b);
                saw_abort++;
            } else {
                CHECK_INT(ev.type, PORTER_EV_WRITABLE);
            }
            continue;
        }
        if (n < 0 || !CHECK(tu_now_ms() - t0 < 2 * WAIT))
            break;
    }
    CHECK_CODE(n, PORTER_EABORTED);
    CHECK_CODE(req_write(req, "x", 1), PORTER_EABORTED); /* not released */
    if (!saw_abort) {
        expect_abort(srv, req, PORTER_EPEER, &marker_b);
        saw_abort = 1;
    }
    CHECK_INT(saw_abort, 1);
    CHECK_CODE(req_finish(req), PORTER_EABORTED);
    CHECK_CODE(req_finish(req), PORTER_EHANDLE);

    /* drain WRITABLE events still owed, if any; nothing else may come */
    while (server_next(srv, &ev, 1, 100) == 1) {
        CHECK(ev.type == PORTER_EV_WRITABLE);
    }
    CHECK_CODE(server_free(srv), PORTER_OK);
}

static void test_loop_timeout(void)
{
    porter_config cfg;
    porter_server *srv;
    porter_event ev;
    tc_conn c;
    tc_response r;
    porter_req req;
    int port;
    int64_t t0;

    tu_section("loop mode: response_timeout_ms = 200");
    tu_config(&cfg);
    cfg.response_timeout_ms = 200;
    srv = tu_server(&cfg);
    port = tu_start(srv);

    /* never answered: 503 on the wire, EV_ABORT(ETIMEDOUT) */
    REQUIRE_TC(tc_connect(&c, port, 0), 0);
    req = loop_request(srv, &c, "/never");
    CHECK_CODE(req_set_data(req, &marker_a), PORTER_OK);
    REQUIRE_TC(tc_read_response(&c, &r, 0, WAIT), 0);
    CHECK_INT(r.status, 503);
    tc_response_free(&r);
    expect_abort(srv, req, PORTER_ETIMEDOUT, &marker_a);
    CHECK_CODE(req_respond(req, 200, NULL, 0, "late", 4), PORTER_EABORTED);
    CHECK_CODE(req_respond(req, 200, NULL, 0, "late", 4), PORTER_EHANDLE);
    tc_close(&c);

    /* a response started in time is not cut by the response timeout */
    REQUIRE_TC(tc_connect(&c, port, 0), 0);
    req = loop_request(srv, &c, "/started");
    CHECK_CODE(req_write_head(req, 200, NULL, 0, -1), PORTER_OK);
    /* three times the timeout with no event for this request */
    t0 = tu_now_ms();
    while (tu_now_ms() - t0 < 600)
        if (!CHECK_CODE(server_next(srv, &ev, 1, 100), 0))
            break;
    CHECK_CODE(req_write(req, "late", 4), 4);
    CHECK_CODE(req_finish(req), PORTER_OK);
    REQUIRE_TC(tc_read_response(&c, &r, 0, WAIT), 0);
    CHECK_INT(r.status, 200);
    CHECK_STRN(r.body, r.body_len, "late");
    tc_response_free(&r);

    /* an answer in time: no abort follows */
    req = loop_request(srv, &c, "/quick");
    CHECK_CODE(tu_respond_text(req, 200, "quick"), PORTER_OK);
    REQUIRE_TC(tc_read_response(&c, &r, 0, WAIT), 0);
    CHECK_INT(r.status, 200);
    tc_response_free(&r);
    CHECK_CODE(server_next(srv, &ev, 1, 500), 0);
    tc_close(&c);
    CHECK_CODE(server_free(srv), PORTER_OK);
}

/* ---- Callback mode ----------------------------------------------------- */

typedef struct cb_state {
    tu_evq q;
    int sleep_ms;         /* the handler holds its thread this long */
    int returned;         /* the EV_REQUEST call returned (atomic) */
    int abort_before_return;
} cb_state;

static void handler(void *user_data, const porter_event *ev)
{
    cb_state *s = user_data;
    if (ev->type == PORTER_EV_REQUEST && s->sleep_ms > 0) {
        tu_evq_push(&s->q, ev);
        tu_sleep_ms(s->sleep_ms); /* the scenario: a slow handler */
        __atomic_store_n(&s->returned, 1, __ATOMIC_SEQ_CST);
        return;
    }
    if (ev->type == PORTER_EV_ABORT &&
        !__atomic_load_n(&s->returned, __ATOMIC_SEQ_CST) && s->sleep_ms > 0)
        __atomic_add_fetch(&s->abort_before_return, 1, __ATOMIC_SEQ_CST);
    tu_evq_push(&s->q, ev);
}

typedef struct blocked_writer {
    porter_req req;
    int rc;
} blocked_writer;

static void *write_until_error(void *arg)
{
    blocked_writer *w = arg;
    static unsigned char buf[1 << 16];
    int i;
    w->rc = 0;
    for (i = 0; i < 1024 && w->rc >= 0; i++) /* at most 64 MiB */
        w->rc = req_write(w->req, buf, sizeof buf);
    return NULL;
}

static void test_callback(void)
{
    porter_config cfg;
    porter_server *srv;
    porter_event ev;
    cb_state s;
    tc_conn c;
    tc_response r;
    blocked_writer bw;
    pthread_t th;
    porter_req req;
    int port;

    tu_section("callback mode: the client goes away");
    memset(&s, 0, sizeof s);
    tu_evq_init(&s.q);
    tu_config(&cfg);
    cfg.handler = handler;
    cfg.user_data = &s;
    srv = tu_server(&cfg);
    port = tu_start(srv);

    REQUIRE_TC(tc_connect(&c, port, 0), 0);
    REQUIRE_TC(tc_sends(&c, "GET /gone HTTP/1.1\r\nHost: a\r\n\r\n", WAIT),
                 0);
    REQUIRE(tu_evq_pop(&s.q, &ev, WAIT));
    REQUIRE_INT(ev.type, PORTER_EV_REQUEST);
    req = ev.req;
    CHECK_CODE(req_set_data(req, &marker_a), PORTER_OK);
    tc_close(&c);
    REQUIRE(tu_evq_pop(&s.q, &ev, WAIT));
    CHECK_INT(ev.type, PORTER_EV_ABORT);
    CHECK_CODE(ev.code, PORTER_EPEER);
    CHECK(ev.req == req);
    CHECK(ev.data == &marker_a);
    CHECK_CODE(req_abort(req), PORTER_OK);
    CHECK_CODE(req_abort(req), PORTER_EHANDLE);
    CHECK_CODE(req_respond(req, 200, NULL, 0, NULL, 0), PORTER_EHANDLE);

    tu_section("callback mode: the client goes away while req_write blocks");
    REQUIRE_TC(tc_connect(&c, port, 65536), 0);
    REQUIRE_TC(tc_sends(&c, "GET /w HTTP/1.1\r\nHost: a\r\n\r\n", WAIT), 0);
    REQUIRE(tu_evq_pop(&s.q, &ev, WAIT));
    REQUIRE_INT(ev.type, PORTER_EV_REQUEST);
    req = ev.req;
    CHECK_CODE(req_write_head(req, 200, NULL, 0, -1), PORTER_OK);
    bw.req = req;
    REQUIRE(pthread_create(&th, NULL, write_until_error, &bw) == 0);
    tc_close(&c);
    pthread_join(th, NULL);
    CHECK_CODE(bw.rc, PORTER_EABORTED);
    REQUIRE(tu_evq_pop(&s.q, &ev, WAIT));
    CHECK_INT(ev.type, PORTER_EV_ABORT);
    CHECK_CODE(ev.code, PORTER_EPEER);
    CHECK(ev.req == req);
    CHECK_CODE(req_finish(req), PORTER_EABORTED);
    CHECK_CODE(req_finish(req), PORTER_EHANDLE);
    CHECK_CODE(server_free(srv), PORTER_OK);
    CHECK_INT(s.q.count, 0);
    tu_evq_destroy(&s.q);

    tu_section("callback mode: response timeout, slow handler");
    memset(&s, 0, sizeof s);
    tu_evq_init(&s.q);
    s.sleep_ms = 600;
    tu_config(&cfg);
    cfg.handler = handler;
    cfg.user_data = &s;
    cfg.response_timeout_ms = 200;
    srv = tu_server(&cfg);
    port = tu_start(srv);
    REQUIRE_TC(tc_connect(&c, port, 0), 0);
    REQUIRE_TC(tc_sends(&c, "GET /slow HTTP/1.1\r\nHost: a\r\n\r\n", WAIT),
                 0);
    REQUIRE_TC(tc_read_response(&c, &r, 0, WAIT), 0);
    CHECK_INT(r.status, 503);
    tc_response_free(&r);
    REQUIRE(tu_evq_pop(&s.q, &ev, WAIT));
    REQUIRE_INT(ev.type, PORTER_EV_REQUEST);
    req = ev.req;
    REQUIRE(tu_evq_pop(&s.q, &ev, WAIT));
    CHECK_INT(ev.type, PORTER_EV_ABORT);
    CHECK_CODE(ev.code, PORTER_ETIMEDOUT);
    CHECK(ev.req == req);
    /* the abort came only after the request's handler call returned */
    CHECK_INT(__atomic_load_n(&s.abort_before_return, __ATOMIC_SEQ_CST), 0);
    CHECK_CODE(req_abort(req), PORTER_OK);
    CHECK_CODE(req_abort(req), PORTER_EHANDLE);
    /* the 600 ms handler held its event loop: counted */
    CHECK(tu_stats(srv).loop_stalls >= 1);
    CHECK_INT(tu_stats(srv).host_away, 0);
    tc_close(&c);
    CHECK_CODE(server_free(srv), PORTER_OK);
    tu_evq_destroy(&s.q);
}

int main(void)
{
    tu_init("abort", 60);
    test_loop_peer_gone();
    test_loop_timeout();
    test_callback();
    return tu_done();
}
