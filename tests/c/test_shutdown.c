/*
 * test_shutdown.c -- server_shutdown with requests in flight, in both
 * modes: it stops accepting at once, idle keep-alive connections close
 * now while one that has not sent its first request yet gets until the
 * deadline (and may still send one), a
 * request answered within the deadline reaches its client whole, one
 * never answered gets PORTER_EV_ABORT(PORTER_ECLOSED) after the deadline,
 * then server_serve returns 0 / server_next returns PORTER_ECLOSED, and
 * server_free returns 0. A second call shortens the deadline.
 */
#include "testutil.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>

#define WAIT 10000
#define GRACE 2000
#define BIG (1u << 20)

static unsigned char big[BIG];

static void send_get(tc_conn *c, int port, const char *path)
{
    char req[256];
    REQUIRE_TC(tc_connect(c, port, 0), 0);
    snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: s\r\n\r\n", path);
    REQUIRE_TC(tc_sends(c, req, WAIT), 0);
}

/* refused checks that a new connection is refused. */
static void check_refused(int port)
{
    tc_conn c;
    int rc = tc_connect(&c, port, 0);
    int err = errno;
    if (!CHECK_INT(rc, TC_ERROR)) {
        tc_close(&c);
        return;
    }
    if (!CHECK_INT(err, ECONNREFUSED))
        tu_note("connect: %s", strerror(err));
}

static int path_index(const porter_event *ev, const char *const *paths,
                      int n)
{
    int i;
    if (!ev->request)
        return -1;
    for (i = 0; i < n; i++)
        if (ev->request->path_len == strlen(paths[i]) &&
            memcmp(ev->request->path, paths[i], ev->request->path_len) == 0)
            return i;
    return -1;
}

static void check_big(tc_conn *c)
{
    tc_response r;
    REQUIRE_TC(tc_read_response(c, &r, 0, WAIT), 0);
    CHECK_INT(r.status, 200);
    CHECK_INT(r.body_len, BIG);
    if (r.body_len == BIG)
        CHECK_INT(tu_pattern_check(r.body, 0, BIG), -1);
    tc_response_free(&r);
}

static void test_loop(void)
{
    static const char *const paths[] = {"/a", "/b", "/c"};
    porter_config cfg;
    porter_server *srv;
    porter_event ev;
    porter_req reqs[3] = {0, 0, 0};
    tc_conn a, b, cc, d, e, f;
    tc_response r;
    struct pollfd pfd;
    int port, got = 0, i, n;
    int64_t t0, t_idle, t_abort;

    tu_section("loop mode");
    tu_config(&cfg);
    srv = tu_server(&cfg);
    port = tu_start(srv);

    /* e: a keep-alive connection that is idle after one exchange */
    send_get(&e, port, "/e");
    REQUIRE_CODE(tu_next(srv, &ev, WAIT), 1);
    CHECK_CODE(tu_respond_text(ev.req, 200, "e"), PORTER_OK);
    REQUIRE_TC(tc_read_response(&e, &r, 0, WAIT), 0);
    CHECK_INT(r.status, 200);
    tc_response_free(&r);

    /* d and f: connected, no request yet (connected first: once the
       requests of a, b and c came, porter has accepted d and f too);
       a, b, c: held requests */
    REQUIRE_TC(tc_connect(&d, port, 0), 0);
    REQUIRE_TC(tc_connect(&f, port, 0), 0);
    send_get(&a, port, "/a");
    send_get(&b, port, "/b");
    send_get(&cc, port, "/c");
    while (got < 3 && tu_next(srv, &ev, WAIT) == 1) {
        i = path_index(&ev, paths, 3);
        if (CHECK(ev.type == PORTER_EV_REQUEST && i >= 0 && !reqs[i])) {
            reqs[i] = ev.req;
            got++;
        }
    }
    REQUIRE_INT(got, 3);
    /* c's response is already streaming when the shutdown begins */
    CHECK_CODE(req_write_head(reqs[2], 200, NULL, 0, -1), PORTER_OK);
    CHECK_CODE(req_write(reqs[2], big, 1000), 1000);

    t0 = tu_now_ms();
    CHECK_CODE(server_shutdown(srv, GRACE), PORTER_OK);
    check_refused(port);

    /* answered within the deadline: complete on the wire */
    CHECK_CODE(req_respond(reqs[0], 200, NULL, 0, big, BIG), PORTER_OK);
    check_big(&a);
    for (i = 1000; i < (int)BIG;) {
        n = req_write(reqs[2], big + i, BIG - (size_t)i);
        if (n == PORTER_EAGAIN) {
            if (!CHECK_CODE(tu_next(srv, &ev, WAIT), 1) ||
                !CHECK_INT(ev.type, PORTER_EV_WRITABLE))
                break;
            continue;
        }
        if (!CHECK(n > 0))
            break;
        i += n;
    }
    CHECK_CODE(req_finish(reqs[2]), PORTER_OK);
    check_big(&cc);

    /* an idle keep-alive connection closes at once, well before the
       deadline */
    CHECK_INT(tc_wait_closed(&e, WAIT), 1);
    t_idle = tu_now_ms() - t0;
    tu_note("idle keep-alive connection closed %lld ms after "
            "server_shutdown", (long long)t_idle);
    CHECK(t_idle < GRACE - 100);

    /* connections that had sent nothing close at once too, and a
       request that comes on one after server_shutdown is not served */
    CHECK_INT(tc_wait_closed(&d, WAIT), 1);
    t_idle = tu_now_ms() - t0;
    tu_note("connection without a request closed %lld ms after "
            "server_shutdown", (long long)t_idle);
    CHECK(t_idle < GRACE - 100);
    (void)tc_sends(&f, "GET /f HTTP/1.1\r\nHost: s\r\n\r\n", WAIT);
    CHECK_INT(tc_wait_closed(&f, WAIT), 1);
    CHECK_CODE(tu_next(srv, &ev, 100), 0); /* the host never sees /f */

    /* b, never answered: EV_ABORT(ECLOSED) after the deadline */
    if (CHECK_CODE(tu_next(srv, &ev, WAIT), 1)) {
        t_abort = tu_now_ms() - t0;
        tu_note("b aborted %lld ms after server_shutdown",
                (long long)t_abort);
        CHECK_INT(ev.type, PORTER_EV_ABORT);
        CHECK_CODE(ev.code, PORTER_ECLOSED);
        CHECK(ev.req == reqs[1]);
        CHECK(t_abort >= GRACE - 100);
    }
    CHECK_INT(tc_wait_closed(&b, WAIT), 1);
    CHECK_CODE(req_respond(reqs[1], 200, NULL, 0, "late", 4),
               PORTER_EABORTED);
    CHECK_CODE(req_respond(reqs[1], 200, NULL, 0, "late", 4),
               PORTER_EHANDLE);

    /* drained: PORTER_ECLOSED, and the descriptor is readable */
    t0 = tu_now_ms();
    do {
        n = server_next(srv, &ev, 1, 200);
        CHECK(n == 0 || n == PORTER_ECLOSED);
    } while (n == 0 && tu_now_ms() - t0 < WAIT);
    CHECK_CODE(n, PORTER_ECLOSED);
    pfd.fd = server_pollfd(srv);
    pfd.events = POLLIN;
    pfd.revents = 0;
    CHECK_INT(poll(&pfd, 1, 0), 1);
    CHECK_CODE(server_next(srv, &ev, 1, 0), PORTER_ECLOSED);
    check_refused(port);

    tc_close(&a);
    tc_close(&b);
    tc_close(&cc);
    tc_close(&d);
    tc_close(&e);
    tc_close(&f);
    CHECK_CODE(server_free(srv), PORTER_OK);
}

/* ---- Callback mode ----------------------------------------------------- */

typedef struct serve_run {
    porter_server *srv;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done;
    int rc;
} serve_run;

static void *serve_main(void *arg)
{
    serve_run *s = arg;
    int rc = server_serve(s->srv);
    pthread_mutex_lock(&s->mu);
    s->rc = rc;
    s->done = 1;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

static int serve_wait(serve_run *s, int timeout_ms)
{
    int64_t deadline = tu_now_ms() + timeout_ms;
    int done;
    pthread_mutex_lock(&s->mu);
    while (!s->done)
        if (tu_cond_wait_until(&s->cv, &s->mu, deadline) != 0)
            break;
    done = s->done;
    pthread_mutex_unlock(&s->mu);
    return done;
}

static void test_callback(void)
{
    static const char *const paths[] = {"/a", "/b"};
    porter_config cfg;
    porter_server *srv;
    porter_event ev;
    porter_req reqs[2] = {0, 0};
    tu_evq q;
    serve_run s;
    pthread_t th;
    tc_conn a, b;
    int port, got = 0, i;
    int64_t t0, t_abort;

    tu_section("callback mode with server_serve");
    tu_evq_init(&q);
    tu_config(&cfg);
    cfg.handler = tu_queue_handler;
    cfg.user_data = &q;
    srv = tu_server(&cfg);
    port = tu_listen(srv);
    memset(&s, 0, sizeof s);
    s.srv = srv;
    pthread_mutex_init(&s.mu, NULL);
    tu_cond_init(&s.cv);
    REQUIRE(pthread_create(&th, NULL, serve_main, &s) == 0);

    send_get(&a, port, "/a");
    send_get(&b, port, "/b");
    while (got < 2 && tu_evq_pop(&q, &ev, WAIT)) {
        i = path_index(&ev, paths, 2);
        if (CHECK(ev.type == PORTER_EV_REQUEST && i >= 0 && !reqs[i])) {
            reqs[i] = ev.req;
            got++;
        }
    }
    REQUIRE_INT(got, 2);
    CHECK(!serve_wait(&s, 0)); /* serving */

    t0 = tu_now_ms();
    CHECK_CODE(server_shutdown(srv, GRACE), PORTER_OK);
    check_refused(port);
    CHECK_CODE(req_respond(reqs[0], 200, NULL, 0, big, BIG), PORTER_OK);
    check_big(&a);
    /* b is still in flight: server_serve has not returned */
    CHECK(!serve_wait(&s, 0));

    if (CHECK(tu_evq_pop(&q, &ev, WAIT))) {
        t_abort = tu_now_ms() - t0;
        tu_note("b aborted %lld ms after server_shutdown",
                (long long)t_abort);
        CHECK_INT(ev.type, PORTER_EV_ABORT);
        CHECK_CODE(ev.code, PORTER_ECLOSED);
        CHECK(ev.req == reqs[1]);
        CHECK(t_abort >= GRACE - 100);
    }
    CHECK_INT(tc_wait_closed(&b, WAIT), 1);
    CHECK_CODE(req_abort(reqs[1]), PORTER_OK);
    CHECK_CODE(req_abort(reqs[1]), PORTER_EHANDLE);

    if (CHECK(serve_wait(&s, WAIT))) {
        pthread_join(th, NULL);
        CHECK_CODE(s.rc, PORTER_OK);
    } else {
        server_shutdown(srv, 0);
        if (serve_wait(&s, WAIT))
            pthread_join(th, NULL);
        else
            tu_bail(); /* server_serve never returned */
    }
    check_refused(port);
    tc_close(&a);
    tc_close(&b);
    CHECK_CODE(server_free(srv), PORTER_OK);
    CHECK_INT(q.count, 0);
    tu_evq_destroy(&q);
}

static void test_shorten(void)
{
    porter_config cfg;
    porter_server *srv;
    porter_event ev;
    porter_req req;
    tc_conn c;
    int port, n;
    int64_t t0;

    tu_section("a second server_shutdown shortens the deadline");
    tu_config(&cfg);
    srv = tu_server(&cfg);
    port = tu_start(srv);
    send_get(&c, port, "/held");
    REQUIRE_CODE(tu_next(srv, &ev, WAIT), 1);
    REQUIRE_INT(ev.type, PORTER_EV_REQUEST);
    req = ev.req;
    t0 = tu_now_ms();
    CHECK_CODE(server_shutdown(srv, 600000), PORTER_OK);
    CHECK_CODE(server_shutdown(srv, 100), PORTER_OK);
    CHECK_CODE(server_shutdown(srv, 300000), PORTER_OK); /* no longer */
    if (CHECK_CODE(tu_next(srv, &ev, WAIT), 1)) {
        CHECK_INT(ev.type, PORTER_EV_ABORT);
        CHECK_CODE(ev.code, PORTER_ECLOSED);
        CHECK(ev.req == req);
    }
    CHECK(tu_now_ms() - t0 < WAIT);
    CHECK_CODE(req_abort(req), PORTER_OK);
    t0 = tu_now_ms();
    do {
        n = server_next(srv, &ev, 1, 200);
    } while (n == 0 && tu_now_ms() - t0 < WAIT);
    CHECK_CODE(n, PORTER_ECLOSED);
    /* once closed, even an endless wait returns at once (last: a hang
       here ends the test through the alarm) */
    CHECK_CODE(server_next(srv, &ev, 1, -1), PORTER_ECLOSED);
    tc_close(&c);
    CHECK_CODE(server_free(srv), PORTER_OK);
}

int main(void)
{
    tu_init("shutdown", 60);
    tu_pattern_fill(big, 0, BIG);
    test_loop();
    test_callback();
    test_shorten();
    return tu_done();
}
