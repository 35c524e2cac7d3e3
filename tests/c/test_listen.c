/* test_listen: listeners (unix sockets, options, adopted descriptors),
   added connections, pause/resume and server_stats, through porter.h. */
#include "testutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define WAIT 10000 /* ms: generous bound for anything that should be quick */

/* answer responds 200 with the request's path to every request. */
static void answer(void *user_data, const porter_event *ev)
{
    (void)user_data;
    if (ev->type == PORTER_EV_REQUEST)
        req_respond(ev->req, 200, NULL, 0, ev->request->path,
                    ev->request->path_len);
}

static porter_server *callback_server(void)
{
    porter_config cfg;
    tu_config(&cfg);
    cfg.handler = answer;
    return tu_server(&cfg);
}

/* get_on sends GET path on c and checks the 200 that echoes it. */
static void get_on(tc_conn *c, const char *path)
{
    tc_response r;
    if (CHECK_TC(tc_get(c, path, &r, WAIT), 0)) {
        CHECK_INT(r.status, 200);
        CHECK_STRN(r.body, r.body_len, path);
    }
    tc_response_free(&r);
}

/* unix_connect connects c to the unix socket at path. */
static int unix_connect(tc_conn *c, const char *path)
{
    struct sockaddr_un sa;
    memset(c, 0, sizeof *c);
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof sa) != 0)
        return TC_ERROR;
    return 0;
}

/* tcp_listener makes a listening socket on 127.0.0.1:0 and stores its
   port. */
static int tcp_listener(int *port)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        listen(fd, 16) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) != 0)
        tu_bail();
    *port = ntohs(sa.sin_port);
    return fd;
}

static void test_unix(void)
{
    char dir[] = "/tmp/porter-listen-XXXXXX", path[64], addr[80], got[80];
    porter_listen_options opts;
    porter_server *srv;
    struct stat st;
    tc_conn c;

    tu_section("unix socket listener");
    REQUIRE(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/s.sock", dir);
    snprintf(addr, sizeof addr, "unix:%s", path);
    srv = callback_server();
    memset(&opts, 0, sizeof opts);
    opts.size = sizeof opts;
    opts.unix_mode = 0600;
    CHECK_CODE(server_listen_opts(srv, addr, &opts), 0);
    CHECK_INT(server_addr(srv, 0, got, sizeof got), strlen(addr));
    CHECK_STR(got, addr);
    if (CHECK(stat(path, &st) == 0))
        CHECK_INT(st.st_mode & 0777, 0600);
    CHECK_CODE(server_start(srv), PORTER_OK);
    REQUIRE_TC(unix_connect(&c, path), 0);
    get_on(&c, "/over-unix");
    tc_close(&c);
    CHECK_CODE(server_free(srv), PORTER_OK);
    CHECK(access(path, F_OK) != 0); /* the file went with the server */
    rmdir(dir);
}

static void test_options(void)
{
    porter_listen_options opts;
    porter_server *a, *b, *c;
    char addr[64];
    tc_conn conn;

    tu_section("listen options");
    a = callback_server();
    memset(&opts, 0, sizeof opts);
    opts.size = sizeof opts;
    opts.flags = 64; /* unknown */
    CHECK_CODE(server_listen_opts(a, "127.0.0.1:0", &opts), PORTER_EINVAL);
    opts.flags = PORTER_LISTEN_REUSEPORT;
    opts.size = 4;
    CHECK_CODE(server_listen_opts(a, "127.0.0.1:0", &opts), PORTER_EINVAL);
    opts.size = sizeof opts;
    opts.unix_mode = 01000;
    CHECK_CODE(server_listen_opts(a, "127.0.0.1:0", &opts), PORTER_EINVAL);
    opts.unix_mode = 0;
    CHECK_CODE(server_listen_opts(a, NULL, &opts), PORTER_EINVAL);
    CHECK_CODE(server_listen_opts(NULL, "127.0.0.1:0", &opts),
               PORTER_EINVAL);

    /* two servers on one port with SO_REUSEPORT; a third without fails */
    CHECK_CODE(server_listen_opts(a, "127.0.0.1:0", &opts), 0);
    server_addr(a, 0, addr, sizeof addr);
    b = callback_server();
    CHECK_CODE(server_listen_opts(b, addr, &opts), 0);
    c = callback_server();
    CHECK_CODE(server_listen_opts(c, addr, NULL), PORTER_ELISTEN);
    CHECK_CODE(server_listen(c, "unix:"), PORTER_ELISTEN);
    CHECK_CODE(server_start(a), PORTER_OK);
    CHECK_CODE(server_start(b), PORTER_OK);
    REQUIRE_TC(tc_connect(&conn, tu_port(a, 0), 0), 0);
    get_on(&conn, "/shared");
    tc_close(&conn);
    CHECK_CODE(server_free(a), PORTER_OK);
    CHECK_CODE(server_free(b), PORTER_OK);
    CHECK_CODE(server_free(c), PORTER_OK);
}

static void test_adopted(void)
{
    porter_server *srv;
    int port, lfd, cfd, afd;
    tc_conn c, added;

    tu_section("adopted listening socket, added connection");
    lfd = tcp_listener(&port);
    srv = callback_server();
    CHECK_CODE(server_conn_add(srv, 0), PORTER_ESTATE); /* not started */
    CHECK_CODE(server_listen_fd(srv, -1), PORTER_ELISTEN);
    CHECK_CODE(server_listen_fd(srv, lfd), 0);
    close(lfd); /* porter has its own duplicate */
    CHECK_INT(tu_port(srv, 0), port);
    CHECK_CODE(server_start(srv), PORTER_OK);
    CHECK_CODE(server_listen_fd(srv, 0), PORTER_ESTATE);
    REQUIRE_TC(tc_connect(&c, port, 0), 0);
    get_on(&c, "/adopted");
    tc_close(&c);

    /* a connection the host accepted itself */
    lfd = tcp_listener(&port);
    REQUIRE_TC(tc_connect(&added, port, 0), 0);
    cfd = accept(lfd, NULL, NULL);
    REQUIRE(cfd >= 0);
    CHECK_CODE(server_conn_add(srv, cfd), PORTER_OK);
    close(cfd);
    get_on(&added, "/added");
    get_on(&added, "/added/again"); /* keep-alive as usual */
    tc_close(&added);
    afd = socket(AF_INET, SOCK_STREAM, 0); /* not connected */
    CHECK_CODE(server_conn_add(srv, afd), PORTER_EINVAL);
    close(afd);
    close(lfd);
    CHECK_CODE(server_free(srv), PORTER_OK);
}

static void test_pause(void)
{
    porter_server *srv;
    porter_stats st;
    tc_conn open, waiting, bad;
    tc_response r;
    int port;

    tu_section("pause, resume, stats");
    srv = callback_server();
    port = tu_start(srv);
    REQUIRE_TC(tc_connect(&open, port, 0), 0);
    get_on(&open, "/before");

    CHECK_CODE(server_pause(srv), PORTER_OK);
    CHECK_CODE(server_pause(srv), PORTER_OK);
    REQUIRE_TC(tc_connect(&waiting, port, 0), 0); /* the backlog takes it */
    REQUIRE_TC(tc_sends(&waiting, "GET /waited HTTP/1.1\r\nHost: p\r\n\r\n",
                        WAIT), 0);
    CHECK(!tc_pending(&waiting, 200)); /* not served while paused */
    get_on(&open, "/during");          /* open connections carry on */
    CHECK_CODE(server_resume(srv), PORTER_OK);
    if (CHECK_TC(tc_read_response(&waiting, &r, 0, WAIT), 0))
        CHECK_STRN(r.body, r.body_len, "/waited");
    tc_response_free(&r);
    CHECK_CODE(server_resume(srv), PORTER_OK);

    REQUIRE_TC(tc_connect(&bad, port, 0), 0);
    REQUIRE_TC(tc_sends(&bad, "get / HTTP/1.1\r\nHost: p\r\n\r\n", WAIT), 0);
    if (CHECK_TC(tc_read_response(&bad, &r, 0, WAIT), 0))
        CHECK_INT(r.status, 501);
    tc_response_free(&r);
    CHECK_INT(tc_wait_closed(&bad, WAIT), 1);
    tc_close(&bad);

    CHECK_CODE(server_stats(srv, NULL), PORTER_EINVAL);
    st.size = sizeof(size_t);
    CHECK_CODE(server_stats(srv, &st), PORTER_EINVAL);
    memset(&st, 0, sizeof st);
    st.size = sizeof st;
    CHECK_CODE(server_stats(srv, &st), PORTER_OK);
    CHECK_INT(st.accepted, 3);
    CHECK_INT(st.requests, 3);
    CHECK_INT(st.rejected_unsupported, 1);
    CHECK_INT(st.rejected_malformed, 0);
    CHECK(st.bytes_in > 0 && st.bytes_out > 0);
    CHECK(st.connections >= 2 && st.connections <= 3); /* one may linger */

    /* an older, shorter struct gets what fits and nothing past it */
    {
        struct {
            porter_stats head;
        } small;
        memset(&small, 0x55, sizeof small);
        small.head.size = offsetof(porter_stats, requests);
        CHECK_CODE(server_stats(srv, &small.head), PORTER_OK);
        CHECK_INT(small.head.accepted, 3);
        CHECK(small.head.requests == 0x5555555555555555LL);
    }
    tc_close(&open);
    tc_close(&waiting);
    CHECK_CODE(server_free(srv), PORTER_OK);
}

/* next_log waits for a log record. */
static int next_log(porter_server *srv, porter_log *l)
{
    int64_t deadline = tu_now_ms() + WAIT;
    memset(l, 0, sizeof *l);
    l->size = sizeof *l;
    while (tu_now_ms() < deadline) {
        int rc = server_log_next(srv, l);
        if (rc != 0)
            return rc;
        tu_sleep_ms(5);
    }
    return 0;
}

static void test_log(void)
{
    porter_config cfg;
    porter_server *srv;
    porter_stats st;
    porter_log l;
    tc_conn c, bad;
    tc_response r;
    int64_t deadline;
    int port;

    tu_section("access and error log");
    srv = callback_server();
    CHECK_CODE(server_log_next(srv, &l), PORTER_ESTATE); /* no log_depth */
    CHECK_CODE(server_log_pollfd(srv), PORTER_ESTATE);
    CHECK_CODE(server_free(srv), PORTER_OK);

    tu_config(&cfg);
    cfg.handler = answer;
    cfg.log_depth = 2;
    srv = tu_server(&cfg);
    port = tu_start(srv);
    CHECK(server_log_pollfd(srv) >= 0);
    l.size = sizeof(size_t);
    CHECK_CODE(server_log_next(srv, &l), PORTER_EINVAL);
    CHECK_CODE(server_log_next(srv, NULL), PORTER_EINVAL);

    REQUIRE_TC(tc_connect(&c, port, 0), 0);
    get_on(&c, "/logged");
    if (CHECK_CODE(next_log(srv, &l), 1)) {
        CHECK_INT(l.kind, PORTER_LOG_ACCESS);
        CHECK_INT(l.status, 200);
        CHECK_INT(l.version, 11);
        CHECK_INT(l.code, 0);
        CHECK_INT(l.bytes_out, strlen("/logged"));
        CHECK_STRN(l.method, l.method_len, "GET");
        CHECK_STRN(l.target, l.target_len, "/logged");
        CHECK(l.remote_len > 0 && l.duration_us >= 0);
        CHECK_INT(l.message_len, 0);
    }
    REQUIRE_TC(tc_connect(&bad, port, 0), 0);
    REQUIRE_TC(tc_sends(&bad, "GET / HTTP/1.1\r\n\r\n", WAIT), 0); /* no Host */
    if (CHECK_TC(tc_read_response(&bad, &r, 0, WAIT), 0))
        CHECK_INT(r.status, 400);
    tc_response_free(&r);
    if (CHECK_CODE(next_log(srv, &l), 1)) {
        CHECK_INT(l.status, 400);
        CHECK_INT(l.code, PORTER_EPEER);
        CHECK_INT(l.method_len, 0);
    }
    CHECK_CODE(server_log_next(srv, &l), 0);

    /* beyond log_depth, records are dropped and counted */
    get_on(&c, "/1");
    get_on(&c, "/2");
    get_on(&c, "/3");
    /* a record follows its response: the client may be first */
    memset(&st, 0, sizeof st);
    st.size = sizeof st;
    for (deadline = tu_now_ms() + WAIT; tu_now_ms() < deadline;
         tu_sleep_ms(5))
        if (server_stats(srv, &st) != 0 || st.logs_dropped >= 1)
            break;
    CHECK_INT(st.logs_dropped, 1);
    if (CHECK_CODE(next_log(srv, &l), 1))
        CHECK_STRN(l.target, l.target_len, "/1");
    tc_close(&c);
    tc_close(&bad);
    CHECK_CODE(server_free(srv), PORTER_OK);
}

int main(void)
{
    tu_init("listen", 60);
    test_unix();
    test_options();
    test_adopted();
    test_pause();
    test_log();
    return tu_done();
}
