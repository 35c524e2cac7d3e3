/*
 * test_many.c -- 1,000 concurrent connections: all are opened, each sends
 * a request, then every response is read; each must be a 200 carrying its
 * own request's path. In loop mode two host threads pull from the one
 * server at once (porter.h: "Several threads may pull from one server"):
 * an event handed out twice would show as a second answer's
 * PORTER_EHANDLE.
 *
 * Usage: test_many callback|loop
 */
#include "testutil.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>

#define NCONN 1000
#define WAIT 10000

static int loop_mode;
static porter_server *srv;
static int host_stop;      /* atomic */
static int host_answered;  /* atomic */
static int host_error;      /* atomic */

static int answer(const porter_event *ev)
{
    const porter_request *v = ev->request;
    if (ev->type != PORTER_EV_REQUEST || !v)
        return PORTER_EINVAL;
    return req_respond(ev->req, 200, NULL, 0, v->path, v->path_len);
}

static void handler(void *user_data, const porter_event *ev)
{
    int rc;
    (void)user_data;
    rc = answer(ev);
    if (rc != 0)
        __atomic_store_n(&host_error, rc, __ATOMIC_SEQ_CST);
    else
        __atomic_add_fetch(&host_answered, 1, __ATOMIC_SEQ_CST);
}

static void *host_main(void *arg)
{
    porter_event evs[64];
    (void)arg;
    while (!__atomic_load_n(&host_stop, __ATOMIC_SEQ_CST)) {
        int n = server_next(srv, evs, 64, 100), i;
        if (n < 0) {
            __atomic_store_n(&host_error, n, __ATOMIC_SEQ_CST);
            break;
        }
        for (i = 0; i < n; i++) {
            int rc = answer(&evs[i]);
            if (rc != 0)
                __atomic_store_n(&host_error, rc, __ATOMIC_SEQ_CST);
            else
                __atomic_add_fetch(&host_answered, 1, __ATOMIC_SEQ_CST);
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    porter_config cfg;
    tc_conn *conns;
    struct pollfd *pfds;
    int *idx, *done;
    pthread_t host[2];
    long nofile;
    int port, i, ndone = 0, ok = 0, bad = 0;
    int64_t t0;

    if (argc != 2 || (strcmp(argv[1], "callback") != 0 &&
                      strcmp(argv[1], "loop") != 0)) {
        fprintf(stderr, "usage: %s callback|loop\n", argv[0]);
        return 2;
    }
    loop_mode = strcmp(argv[1], "loop") == 0;
    tu_init(loop_mode ? "many loop" : "many callback", 90);

    nofile = tu_raise_nofile();
    tu_note("RLIMIT_NOFILE %ld", nofile);
    /* both ends of each connection live in this process */
    REQUIRE(nofile >= 2 * NCONN + 100);

    tu_config(&cfg);
    if (!loop_mode)
        cfg.handler = handler;
    srv = tu_server(&cfg);
    port = tu_start(srv);
    if (loop_mode)
        for (i = 0; i < 2; i++)
            REQUIRE(pthread_create(&host[i], NULL, host_main, NULL) == 0);

    conns = calloc(NCONN, sizeof *conns);
    pfds = calloc(NCONN, sizeof *pfds);
    idx = calloc(NCONN, sizeof *idx);
    done = calloc(NCONN, sizeof *done);
    REQUIRE(conns && pfds && idx && done);

    t0 = tu_now_ms();
    for (i = 0; i < NCONN; i++)
        if (!CHECK_TC(tc_connect(&conns[i], port, 0), 0))
            tu_bail();
    tu_note("%d connections open after %lld ms", NCONN,
            (long long)(tu_now_ms() - t0));
    for (i = 0; i < NCONN; i++) {
        char req[128];
        snprintf(req, sizeof req, "GET /n/%d HTTP/1.1\r\nHost: m\r\n\r\n", i);
        if (!CHECK_TC(tc_sends(&conns[i], req, WAIT), 0))
            tu_bail();
    }

    /* read every response, polling all connections still waiting */
    while (ndone < NCONN && tu_now_ms() - t0 < 60000) {
        int n = 0, r;
        for (i = 0; i < NCONN; i++) {
            if (done[i])
                continue;
            pfds[n].fd = conns[i].fd;
            pfds[n].events = POLLIN;
            pfds[n].revents = 0;
            idx[n++] = i;
        }
        r = poll(pfds, (nfds_t)n, 1000);
        if (r <= 0)
            continue;
        for (i = 0; i < n; i++) {
            tc_response resp;
            char want[32];
            int k = idx[i], rc;
            if (!pfds[i].revents)
                continue;
            rc = tc_read_response(&conns[k], &resp, 0, WAIT);
            done[k] = 1;
            ndone++;
            snprintf(want, sizeof want, "/n/%d", k);
            if (rc == 0 && resp.status == 200 && resp.body_len == strlen(want)
                && memcmp(resp.body, want, resp.body_len) == 0) {
                ok++;
            } else {
                if (bad++ < 5)
                    tu_note("connection %d: rc %d status %d body %.*s", k, rc,
                            resp.status, (int)resp.body_len,
                            resp.body ? (char *)resp.body : "");
            }
            tc_response_free(&resp);
        }
    }
    tu_note("%d of %d responses right after %lld ms", ok, NCONN,
            (long long)(tu_now_ms() - t0));
    CHECK_INT(ndone, NCONN);
    CHECK_INT(ok, NCONN);
    CHECK_INT(bad, 0);

    for (i = 0; i < NCONN; i++)
        tc_close(&conns[i]);
    if (loop_mode) {
        __atomic_store_n(&host_stop, 1, __ATOMIC_SEQ_CST);
        for (i = 0; i < 2; i++)
            pthread_join(host[i], NULL);
    }
    CHECK_CODE(server_free(srv), PORTER_OK);
    /* Counted after req_respond returned, which may be after the client
       read the response: read once no handler can still run. */
    CHECK_INT(__atomic_load_n(&host_answered, __ATOMIC_SEQ_CST), NCONN);
    CHECK_CODE(__atomic_load_n(&host_error, __ATOMIC_SEQ_CST), 0);
    free(conns);
    free(pfds);
    free(idx);
    free(done);
    return tu_done();
}
