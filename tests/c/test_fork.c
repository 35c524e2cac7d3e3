/*
 * test_fork.c -- porter.h: "do not fork() without exec: in a forked child
 * every call returns PORTER_EFORK". The child calls into porter with a
 * server and a request handle of the parent's, and must get PORTER_EFORK
 * (never a hang: the child has its own alarm, the parent a bounded wait);
 * the parent's server goes on serving.
 */
#include "testutil.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define WAIT 10000

/* FORK_CALL names each call before making it, so a hang shows where. */
#define FORK_CALL(call) \
    do { \
        tu_note("child: %s", #call); \
        CHECK_CODE(call, PORTER_EFORK); \
    } while (0)

static int child(porter_server *srv, porter_req req)
{
    porter_server *s2 = NULL;
    porter_event ev;
    const porter_request *v = NULL;
    char buf[64];

    tu_init("fork: the child", 20);
    FORK_CALL(server_new(NULL, &s2));
    FORK_CALL(server_listen(srv, "127.0.0.1:0"));
    FORK_CALL(server_addr(srv, 0, buf, sizeof buf));
    FORK_CALL(server_start(srv));
    FORK_CALL(server_pollfd(srv));
    FORK_CALL(server_next(srv, &ev, 1, 0));
    FORK_CALL(req_view(req, &v));
    FORK_CALL(req_respond(req, 200, NULL, 0, "child", 5));
    FORK_CALL(req_abort(req));
    FORK_CALL(server_shutdown(srv, 0));
    FORK_CALL(server_free(srv));
    fflush(stdout);
    return tu_done();
}

int main(void)
{
    porter_server *srv;
    porter_event ev;
    porter_req req;
    tc_conn c;
    tc_response r;
    pid_t pid;
    int port, status = 0, exited = 0;
    int64_t t0;

    tu_init("fork", 60);
    srv = tu_server(NULL);
    port = tu_start(srv);
    REQUIRE_TC(tc_connect(&c, port, 0), 0);
    REQUIRE_TC(tc_sends(&c, "GET /f HTTP/1.1\r\nHost: f\r\n\r\n", WAIT), 0);
    REQUIRE_CODE(tu_next(srv, &ev, WAIT), 1);
    req = ev.req;

    fflush(stdout);
    pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0)
        _exit(child(srv, req) == 0 ? 0 : 1);

    t0 = tu_now_ms();
    while (tu_now_ms() - t0 < 30000) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid) {
            exited = 1;
            break;
        }
        tu_sleep_ms(20);
    }
    if (!CHECK(exited)) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    } else if (WIFSIGNALED(status)) {
        tu_note("the child died of signal %d (SIGALRM: a call hung)",
                WTERMSIG(status));
        CHECK(!WIFSIGNALED(status));
    } else {
        CHECK_INT(WEXITSTATUS(status), 0);
    }

    /* the parent is unaffected */
    CHECK_CODE(tu_respond_text(req, 200, "parent"), PORTER_OK);
    REQUIRE_TC(tc_read_response(&c, &r, 0, WAIT), 0);
    CHECK_INT(r.status, 200);
    CHECK_STRN(r.body, r.body_len, "parent");
    tc_response_free(&r);
    tc_close(&c);
    CHECK_CODE(server_free(srv), PORTER_OK);
    return tu_done();
}
