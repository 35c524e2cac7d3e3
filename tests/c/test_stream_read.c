/*
 * test_stream_read.c -- streamed request bodies (config.stream_bodies = 1):
 * a body sent slowly in parts with Content-Length and chunked, Expect:
 * 100-continue, a malformed chunked body, and backpressure towards a
 * client that sends more than the host reads.
 *
 * Usage: test_stream_read callback|loop
 *   callback: req_body_read blocks and returns the parts as they come;
 *   loop:     req_body_read returns PORTER_EAGAIN, then one PORTER_EV_BODY
 *             comes when bytes arrive, then the data; 0 at the end.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>

#define WAIT 10000
#define FLOOD_TOTAL ((uint64_t)64 << 20)
#define STREAM_BUFFER 16384

static int loop_mode;
static porter_server *srv;
static tu_evq q;
static int port;

/* ---- The host side: reading a body --------------------------------------- */

typedef struct body {
    porter_req req;
    size_t cap;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    uint64_t received;
    long long bad;       /* offset of the first wrong byte, or -1 */
    int finished;        /* a read returned 0 */
    int err;             /* a read returned an error (not EAGAIN in loop) */
    long eagains, bodies;
    int owed;            /* loop: a PORTER_EV_BODY is owed */
    long reads_over_cap;
} body;

static void body_init(body *b, porter_req req, size_t cap)
{
    memset(b, 0, sizeof *b);
    b->req = req;
    b->cap = cap;
    b->bad = -1;
    pthread_mutex_init(&b->mu, NULL);
    tu_cond_init(&b->cv);
}

/* body_got records the result of one req_body_read. */
static void body_got(body *b, const unsigned char *buf, int n)
{
    pthread_mutex_lock(&b->mu);
    if (n > 0) {
        long long bad = tu_pattern_check(buf, b->received, (size_t)n);
        if (bad >= 0 && b->bad < 0)
            b->bad = (long long)b->received + bad;
        if ((size_t)n > b->cap)
            b->reads_over_cap++;
        b->received += (uint64_t)n;
    } else if (n == 0) {
        b->finished = 1;
    } else if (n == PORTER_EAGAIN && loop_mode) {
        b->eagains++;
        b->owed = 1;
    } else if (!b->err) {
        b->err = n;
    }
    pthread_cond_broadcast(&b->cv);
    pthread_mutex_unlock(&b->mu);
}

/* callback mode: read (blocking) until the end or an error */
static void body_read_blocking(body *b)
{
    unsigned char *buf = malloc(b->cap);
    int n;
    if (!buf)
        abort();
    do {
        n = req_body_read(b->req, buf, b->cap);
        body_got(b, buf, n);
    } while (n > 0);
    free(buf);
}

static void *body_thread(void *arg)
{
    body_read_blocking(arg);
    return NULL;
}

/* callback mode: wait until `target` bytes came, or the end, or error */
static int body_wait(body *b, uint64_t target, int timeout_ms)
{
    int64_t deadline = tu_now_ms() + timeout_ms;
    int ok;
    pthread_mutex_lock(&b->mu);
    while (b->received < target && !b->finished && !b->err)
        if (tu_cond_wait_until(&b->cv, &b->mu, deadline) != 0)
            break;
    ok = b->received >= target;
    pthread_mutex_unlock(&b->mu);
    return ok;
}

/* loop mode: wait for the owed PORTER_EV_BODY of b */
static int body_wait_event(body *b)
{
    porter_event ev;
    if (!CHECK_CODE(tu_next_poll(srv, &ev, WAIT), 1))
        return 0;
    if (!CHECK_INT(ev.type, PORTER_EV_BODY) || !CHECK(ev.req == b->req))
        return 0;
    CHECK_INT(ev.code, 0);
    b->bodies++;
    b->owed = 0;
    return 1;
}

/* loop mode: read until `target` bytes came (or, with target 0, until
   the end of the body), waiting for PORTER_EV_BODY after EAGAIN */
static int body_read_loop(body *b, uint64_t target)
{
    static unsigned char buf[1 << 16];
    int64_t deadline = tu_now_ms() + 4 * WAIT;
    while (tu_now_ms() < deadline) {
        int n;
        if (target ? b->received >= target : b->finished)
            return 1;
        if (b->owed && !body_wait_event(b))
            return 0;
        n = req_body_read(b->req, buf, b->cap);
        body_got(b, buf, n);
        if (n < 0 && n != PORTER_EAGAIN)
            return 0;
    }
    return 0;
}

/* ---- The client side -------------------------------------------------- */

static void send_pattern(tc_conn *c, uint64_t off, size_t len)
{
    unsigned char *buf = malloc(len);
    if (!buf)
        abort();
    tu_pattern_fill(buf, off, len);
    REQUIRE_TC(tc_send(c, buf, len, WAIT), 0);
    free(buf);
}

/* send_chunk sends one chunk of pattern bytes, its size line split in
   two writes to check that porter reassembles it. */
static void send_chunk(tc_conn *c, uint64_t off, size_t len)
{
    char line[32];
    int n = snprintf(line, sizeof line, "%zx\r\n", len);
    REQUIRE_TC(tc_send(c, line, 1, WAIT), 0);
    REQUIRE_TC(tc_send(c, line + 1, (size_t)n - 1, WAIT), 0);
    send_pattern(c, off, len);
    REQUIRE_TC(tc_sends(c, "\r\n", WAIT), 0);
}

static porter_req await_request(const char *path, const porter_request **view)
{
    porter_event ev;
    int r = loop_mode ? tu_next_poll(srv, &ev, WAIT)
                      : tu_evq_pop(&q, &ev, WAIT);
    REQUIRE_CODE(r, 1);
    REQUIRE_INT(ev.type, PORTER_EV_REQUEST);
    REQUIRE(ev.request != NULL);
    CHECK_STRN(ev.request->path, ev.request->path_len, path);
    CHECK_INT(ev.request->body_len, 0); /* streamed: nothing buffered */
    if (view)
        *view = ev.request;
    return ev.req;
}

static void expect_response(tc_conn *c, int status, const char *text)
{
    tc_response r;
    REQUIRE_TC(tc_read_response(c, &r, 0, WAIT), 0);
    CHECK_INT(r.status, status);
    if (text)
        CHECK_STRN(r.body, r.body_len, text);
    tc_response_free(&r);
}

/* ---- Callback mode: the handler reads "/inline" itself -------------------- */

static body inline_body;
static int inline_started;

static void handler(void *user_data, const porter_event *ev)
{
    (void)user_data;
    if (ev->type == PORTER_EV_REQUEST && ev->request &&
        ev->request->path_len == 7 &&
        memcmp(ev->request->path, "/inline", 7) == 0) {
        char text[64];
        body_init(&inline_body, ev->req, 4096);
        __atomic_store_n(&inline_started, 1, __ATOMIC_SEQ_CST);
        body_read_blocking(&inline_body); /* blocks a porter thread */
        snprintf(text, sizeof text, "got %llu",
                 (unsigned long long)inline_body.received);
        CHECK_CODE(tu_respond_text(ev->req, 200, text), PORTER_OK);
        return;
    }
    tu_evq_push(&q, ev);
}

/* ---- Scenarios ---------------------------------------------------------- */

/* parts[] are sent one at a time; the host must see each part, and no
   more, before the next is sent. */
static void run_parts(const char *path, int chunked, const size_t *parts,
                      int nparts)
{
    tc_conn c;
    body b, *bp = &b;
    pthread_t th;
    porter_req req = 0;
    const porter_request *v = NULL;
    uint64_t off = 0, total = 0;
    char head[256], text[64];
    int i;

    for (i = 0; i < nparts; i++)
        total += parts[i];
    REQUIRE_TC(tc_connect(&c, port, 0), 0);
    if (chunked)
        snprintf(head, sizeof head,
                 "POST %s HTTP/1.1\r\nHost: u\r\n"
                 "Transfer-Encoding: chunked\r\n\r\n", path);
    else
        snprintf(head, sizeof head,
                 "POST %s HTTP/1.1\r\nHost: u\r\nContent-Length: %llu\r\n\r\n",
                 path, (unsigned long long)total);
    REQUIRE_TC(tc_sends(&c, head, WAIT), 0);

    if (loop_mode || strcmp(path, "/inline") != 0) {
        req = await_request(path, &v);
        CHECK_INT(v->content_length, chunked ? -1 : (int64_t)total);
        body_init(&b, req, 4096);
    } else {
        int64_t t0 = tu_now_ms();
        bp = &inline_body; /* the handler reads; wait for it to start */
        while (!__atomic_load_n(&inline_started, __ATOMIC_SEQ_CST) &&
               tu_now_ms() - t0 < WAIT)
            tu_sleep_ms(5);
        REQUIRE(__atomic_load_n(&inline_started, __ATOMIC_SEQ_CST));
    }

    if (loop_mode) {
        unsigned char one[16];
        /* nothing sent yet: PORTER_EAGAIN */
        int n = req_body_read(req, one, sizeof one);
        CHECK_CODE(n, PORTER_EAGAIN);
        body_got(&b, one, n);
    } else if (bp == &b) {
        REQUIRE(pthread_create(&th, NULL, body_thread, &b) == 0);
    }

    for (i = 0; i < nparts; i++) {
        if (chunked)
            send_chunk(&c, off, parts[i]);
        else
            send_pattern(&c, off, parts[i]);
        off += parts[i];
        if (loop_mode) {
            CHECK(body_read_loop(&b, off));
        } else {
            CHECK(body_wait(bp, off, WAIT));
        }
        pthread_mutex_lock(&bp->mu);
        CHECK_INT(bp->received, off); /* no more than was sent */
        if (chunked || i + 1 < nparts)
            CHECK(!bp->finished);     /* the body has not ended yet */
        CHECK_CODE(bp->err, 0);
        pthread_mutex_unlock(&bp->mu);
        if (loop_mode && !b.owed && i + 1 < nparts) {
            /* all sent bytes were read: the next read has to wait */
            unsigned char one[16];
            int n = req_body_read(req, one, sizeof one);
            CHECK_CODE(n, PORTER_EAGAIN);
            body_got(&b, one, n);
        }
    }
    if (chunked)
        REQUIRE_TC(tc_sends(&c, "0\r\n\r\n", WAIT), 0);

    if (loop_mode) {
        CHECK(body_read_loop(&b, 0));
        CHECK_INT(b.bodies, b.eagains); /* one EV_BODY per EAGAIN */
    } else if (bp == &b) {
        pthread_join(th, NULL);
    } else {
        body_wait(bp, total + 1, WAIT); /* returns at the end of the body */
    }
    pthread_mutex_lock(&bp->mu);
    CHECK(bp->finished);
    CHECK_CODE(bp->err, 0);
    CHECK_INT(bp->received, total);
    CHECK_INT(bp->bad, -1);
    CHECK_INT(bp->reads_over_cap, 0);
    pthread_mutex_unlock(&bp->mu);

    snprintf(text, sizeof text, "got %llu", (unsigned long long)total);
    if (bp == &b) {
        unsigned char one[16];
        CHECK_CODE(req_body_read(req, one, sizeof one), 0); /* still 0 */
        CHECK_CODE(tu_respond_text(req, 200, text), PORTER_OK);
    }
    expect_response(&c, 200, text);
    tc_close(&c);
}

static void test_length_parts(void)
{
    static const size_t parts[] = {10000, 1, 9999, 30000};
    tu_section("Content-Length body sent in parts");
    run_parts("/up", 0, parts, 4);
    if (!loop_mode) {
        tu_section("Content-Length body read inside the handler");
        run_parts("/inline", 0, parts, 4);
    }
}

static void test_chunked_parts(void)
{
    static const size_t parts[] = {5000, 10, 70000, 1};
    tu_section("chunked body sent in parts");
    run_parts("/chunks", 1, parts, 4);
}

static void test_continue(void)
{
    tc_conn c;
    tc_response r;
    porter_req req;
    body b;
    pthread_t th;

    tu_section("Expect: 100-continue");
    REQUIRE_TC(tc_connect(&c, port, 0), 0);
    REQUIRE_TC(tc_sends(&c,
                          "PUT /cont HTTP/1.1\r\nHost: u\r\n"
                          "Expect: 100-continue\r\nContent-Length: 5000\r\n"
                          "\r\n", WAIT), 0);
    req = await_request("/cont", NULL);
    /* nothing is sent before the host's first read */
    CHECK(!tc_pending(&c, 100));
    body_init(&b, req, 4096);
    if (loop_mode) {
        unsigned char one[16];
        int n = req_body_read(req, one, sizeof one);
        CHECK_CODE(n, PORTER_EAGAIN);
        body_got(&b, one, n);
    } else {
        REQUIRE(pthread_create(&th, NULL, body_thread, &b) == 0);
    }
    /* the first read sent "100 Continue" */
    REQUIRE_TC(tc_read_response(&c, &r, 0, WAIT), 0);
    CHECK_INT(r.status, 100);
    tc_response_free(&r);
    send_pattern(&c, 0, 5000);
    if (loop_mode) {
        CHECK(body_read_loop(&b, 0));
        CHECK_INT(b.bodies, b.eagains);
    } else {
        pthread_join(th, NULL);
    }
    CHECK(b.finished);
    CHECK_CODE(b.err, 0);
    CHECK_INT(b.received, 5000);
    CHECK_INT(b.bad, -1);
    CHECK_CODE(tu_respond_text(req, 201, "ok"), PORTER_OK);
    expect_response(&c, 201, "ok");
    tc_close(&c);
}

static void test_malformed(void)
{
    tc_conn c;
    tc_response r;
    porter_req req;
    porter_event ev;
    body b;
    pthread_t th;
    int got_abort = 0, n;
    int64_t t0;

    tu_section("malformed chunked body: EABORTED, 400, EV_ABORT(EPEER)");
    REQUIRE_TC(tc_connect(&c, port, 0), 0);
    REQUIRE_TC(tc_sends(&c,
                          "POST /bad HTTP/1.1\r\nHost: u\r\n"
                          "Transfer-Encoding: chunked\r\n\r\n", WAIT), 0);
    req = await_request("/bad", NULL);
    body_init(&b, req, 4096);
    CHECK_CODE(req_set_data(req, &b), PORTER_OK);
    if (loop_mode) {
        unsigned char one[16];
        n = req_body_read(req, one, sizeof one);
        CHECK_CODE(n, PORTER_EAGAIN);
        REQUIRE_TC(tc_sends(&c, "zz\r\nhello\r\n", WAIT), 0);
        t0 = tu_now_ms();
        for (;;) {
            int r2 = tu_next(srv, &ev, WAIT);
            if (!CHECK_CODE(r2, 1) || !CHECK(ev.req == req))
                break;
            if (ev.type == PORTER_EV_ABORT) {
                got_abort = 1;
                CHECK_CODE(ev.code, PORTER_EPEER);
                CHECK(ev.data == &b);
            } else {
                CHECK_INT(ev.type, PORTER_EV_BODY);
            }
            n = req_body_read(req, one, sizeof one);
            if (n != PORTER_EAGAIN)
                break;
            if (!CHECK(tu_now_ms() - t0 < WAIT))
                break;
        }
        CHECK_CODE(n, PORTER_EABORTED);
    } else {
        REQUIRE(pthread_create(&th, NULL, body_thread, &b) == 0);
        REQUIRE_TC(tc_sends(&c, "zz\r\nhello\r\n", WAIT), 0);
        pthread_join(th, NULL);
        CHECK_CODE(b.err, PORTER_EABORTED);
        CHECK(!b.finished);
    }
    /* porter answers 400 itself and closes */
    REQUIRE_TC(tc_read_response(&c, &r, 0, WAIT), 0);
    CHECK_INT(r.status, 400);
    tc_response_free(&r);
    CHECK_INT(tc_wait_closed(&c, WAIT), 1);
    /* the host hears of it once */
    if (!got_abort) {
        int r2 = loop_mode ? tu_next(srv, &ev, WAIT)
                           : tu_evq_pop(&q, &ev, WAIT);
        if (CHECK_CODE(r2, 1)) {
            CHECK_INT(ev.type, PORTER_EV_ABORT);
            CHECK_CODE(ev.code, PORTER_EPEER);
            CHECK(ev.req == req);
            CHECK(ev.data == &b);
        }
    }
    /* the handle stays until the host ends it */
    CHECK_CODE(req_respond(req, 200, NULL, 0, NULL, 0), PORTER_EABORTED);
    CHECK_CODE(req_abort(req), PORTER_EHANDLE);
    tc_close(&c);
}

/* porter.h: with streamed bodies "a response may come before the body is
   read: porter discards the rest, or closes the connection if much is
   left". */
static void test_early_response(void)
{
    tc_conn c;
    tc_response r;
    porter_req req;
    char head[128];

    tu_section("a response before the body is read: a small rest is "
               "discarded");
    REQUIRE_TC(tc_connect(&c, port, 0), 0);
    REQUIRE_TC(tc_sends(&c, "POST /early HTTP/1.1\r\nHost: u\r\n"
                            "Content-Length: 5\r\n\r\nhello", WAIT), 0);
    req = await_request("/early", NULL);
    CHECK_CODE(tu_respond_text(req, 200, "early"), PORTER_OK);
    expect_response(&c, 200, "early");
    /* the same connection goes on: the 5 bytes were skipped */
    if (CHECK_TC(tc_sends(&c, "GET /next HTTP/1.1\r\nHost: u\r\n\r\n",
                          WAIT), 0)) {
        porter_event ev;
        int r2 = loop_mode ? tu_next(srv, &ev, WAIT)
                           : tu_evq_pop(&q, &ev, WAIT);
        if (CHECK_INT(r2, 1) && CHECK_INT(ev.type, PORTER_EV_REQUEST)) {
            CHECK_CODE(tu_respond_text(ev.req, 200, "next"), PORTER_OK);
            expect_response(&c, 200, "next");
        } else {
            tu_note("the next request on the connection never came; "
                    "closed: %d", tc_wait_closed(&c, 0));
        }
    }
    tc_close(&c);

    tu_section("a response before the body is read: much left, closed");
    REQUIRE_TC(tc_connect(&c, port, 0), 0);
    snprintf(head, sizeof head,
             "POST /early2 HTTP/1.1\r\nHost: u\r\nContent-Length: %llu\r\n\r\n",
             (unsigned long long)FLOOD_TOTAL);
    REQUIRE_TC(tc_sends(&c, head, WAIT), 0);
    send_pattern(&c, 0, 65536);
    req = await_request("/early2", NULL);
    CHECK_CODE(tu_respond_text(req, 200, "early2"), PORTER_OK);
    REQUIRE_TC(tc_read_response(&c, &r, 0, WAIT), 0);
    CHECK_INT(r.status, 200);
    CHECK_STRN(r.body, r.body_len, "early2");
    tc_response_free(&r);
    CHECK_INT(tc_wait_closed(&c, WAIT), 1);
    tc_close(&c);
}

/* ---- Backpressure: the client sends more than the host reads ------------ */

typedef struct sender {
    tc_conn *c;
    uint64_t total;
    uint64_t sent; /* atomic */
    int rc;
} sender;

static void *sender_main(void *arg)
{
    sender *s = arg;
    unsigned char *buf = malloc(65536);
    uint64_t off = 0;
    if (!buf)
        abort();
    s->rc = 0;
    while (off < s->total) {
        size_t len = 65536;
        if (len > s->total - off)
            len = (size_t)(s->total - off);
        tu_pattern_fill(buf, off, len);
        s->rc = tc_send(s->c, buf, len, 40000);
        if (s->rc != 0)
            break;
        off += len;
        __atomic_store_n(&s->sent, off, __ATOMIC_SEQ_CST);
    }
    free(buf);
    return NULL;
}

static void test_flood(void)
{
    tc_conn c;
    sender s;
    pthread_t th;
    porter_req req;
    body b;
    char head[128];
    uint64_t last, cur;
    int64_t t0, stable_since;

    tu_section("backpressure: a client sending 64 MiB to a host not reading");
    REQUIRE_TC(tc_connect(&c, port, 0), 0);
    snprintf(head, sizeof head,
             "POST /flood HTTP/1.1\r\nHost: u\r\nContent-Length: %llu\r\n\r\n",
             (unsigned long long)FLOOD_TOTAL);
    REQUIRE_TC(tc_sends(&c, head, WAIT), 0);
    req = await_request("/flood", NULL);
    memset(&s, 0, sizeof s);
    s.c = &c;
    s.total = FLOOD_TOTAL;
    REQUIRE(pthread_create(&th, NULL, sender_main, &s) == 0);

    t0 = tu_now_ms();
    last = 0;
    stable_since = t0;
    for (;;) {
        tu_sleep_ms(50); /* sampling a counter, bounded below */
        cur = __atomic_load_n(&s.sent, __ATOMIC_SEQ_CST);
        if (cur >= FLOOD_TOTAL)
            break;
        if (cur != last) {
            last = cur;
            stable_since = tu_now_ms();
        } else if (tu_now_ms() - stable_since >= 700) {
            break;
        }
        if (tu_now_ms() - t0 > 30000)
            break;
    }
    tu_note("the client got %llu bytes out while the host did not read",
            (unsigned long long)cur);
    CHECK(cur < FLOOD_TOTAL);
    CHECK(cur <= FLOOD_TOTAL / 2);

    /* the host reads: everything arrives, in order */
    body_init(&b, req, 65536);
    if (loop_mode)
        CHECK(body_read_loop(&b, 0));
    else
        body_read_blocking(&b);
    pthread_join(th, NULL);
    CHECK_TC(s.rc, 0);
    CHECK(b.finished);
    CHECK_CODE(b.err, 0);
    CHECK_INT(b.received, FLOOD_TOTAL);
    CHECK_INT(b.bad, -1);
    if (loop_mode)
        CHECK_INT(b.bodies, b.eagains);
    CHECK_CODE(tu_respond_text(req, 200, "flooded"), PORTER_OK);
    expect_response(&c, 200, "flooded");
    tc_close(&c);
}

int main(int argc, char **argv)
{
    porter_config cfg;

    if (argc != 2 || (strcmp(argv[1], "callback") != 0 &&
                      strcmp(argv[1], "loop") != 0)) {
        fprintf(stderr, "usage: %s callback|loop\n", argv[0]);
        return 2;
    }
    loop_mode = strcmp(argv[1], "loop") == 0;
    tu_init(loop_mode ? "stream_read loop" : "stream_read callback", 100);
    tu_evq_init(&q);
    tu_config(&cfg);
    cfg.stream_bodies = 1;
    if (loop_mode) {
        cfg.stream_buffer = STREAM_BUFFER;
    } else {
        cfg.handler = handler;
        cfg.user_data = &q;
    }
    srv = tu_server(&cfg);
    port = tu_start(srv);

    test_length_parts();
    test_chunked_parts();
    test_continue();
    test_malformed();
    test_early_response();
    test_flood();

    CHECK_CODE(server_free(srv), PORTER_OK);
    tu_evq_destroy(&q);
    return tu_done();
}
