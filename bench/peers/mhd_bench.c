/*
 * mhd_bench.c -- the libmicrohttpd peer of the benchmark: serves
 *
 *   GET  /      200 text/plain "Hello World\n"
 *   POST /echo  200 application/octet-stream, the request body
 *   GET  /1m    200 application/octet-stream, 1048576 bytes of 'x'
 *
 * anything else gets 404. One internal thread polling with epoll
 * (MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL) on 127.0.0.1:PORT.
 * The responses for / and /1m are made once and queued again and again.
 * Prints "127.0.0.1:PORT" on stdout once listening; SIGTERM or SIGINT
 * stop the daemon and the program exits with status 0.
 * Usage: mhd_bench PORT
 */
#define _GNU_SOURCE

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <microhttpd.h>

#define MIB (1024 * 1024)
#define MAX_UPLOAD (8 * MIB)

static struct MHD_Response *hello, *big, *not_found;
static int marker; /* con_cls of a request that is not an upload */

/* upload accumulates a POST /echo body; it is the connection's con_cls. */
struct upload {
    char *buf;
    size_t len, cap;
};

static struct MHD_Response *make(const void *data, size_t len,
                                 const char *type)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        len, (void *)data, MHD_RESPMEM_PERSISTENT);

    if (r && MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                                     type) != MHD_YES) {
        MHD_destroy_response(r);
        r = NULL;
    }
    return r;
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn,
                              const char *url, const char *method,
                              const char *version, const char *upload_data,
                              size_t *upload_data_size, void **con_cls)
{
    struct upload *up = *con_cls;
    struct MHD_Response *r;
    enum MHD_Result rc;
    int get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;

    (void)cls;
    (void)version;
    if (strcmp(url, "/echo") == 0 && strcmp(method, "POST") == 0) {
        if (!up) { /* first call: headers only */
            if (!(up = calloc(1, sizeof *up)))
                return MHD_NO;
            *con_cls = up;
            return MHD_YES;
        }
        if (*upload_data_size) { /* a piece of the body */
            size_t n = *upload_data_size;

            if (up->len + n > MAX_UPLOAD)
                return MHD_NO; /* closes the connection */
            if (up->len + n > up->cap) {
                size_t cap = up->cap ? up->cap : 4096;
                char *p;

                while (cap < up->len + n)
                    cap *= 2;
                if (!(p = realloc(up->buf, cap)))
                    return MHD_NO;
                up->buf = p;
                up->cap = cap;
            }
            memcpy(up->buf + up->len, upload_data, n);
            up->len += n;
            *upload_data_size = 0;
            return MHD_YES;
        }
        /* the whole body is in: hand the buffer to the response */
        r = MHD_create_response_from_buffer(up->len, up->buf,
                                            MHD_RESPMEM_MUST_FREE);
        if (!r)
            return MHD_NO;
        up->buf = NULL;
        up->len = up->cap = 0;
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                                "application/octet-stream");
        rc = MHD_queue_response(conn, MHD_HTTP_OK, r);
        MHD_destroy_response(r);
        return rc;
    }
    /* Other requests are answered on the second call, once MHD has seen
       that there is no body: a response queued on the first call makes
       MHD 0.9.75 close the connection afterwards (no keep-alive). */
    if (!*con_cls) {
        *con_cls = &marker;
        return MHD_YES;
    }
    if (get && strcmp(url, "/") == 0)
        return MHD_queue_response(conn, MHD_HTTP_OK, hello);
    if (get && strcmp(url, "/1m") == 0)
        return MHD_queue_response(conn, MHD_HTTP_OK, big);
    return MHD_queue_response(conn, MHD_HTTP_NOT_FOUND, not_found);
}

static void completed(void *cls, struct MHD_Connection *conn,
                      void **con_cls, enum MHD_RequestTerminationCode toe)
{
    struct upload *up = *con_cls;

    (void)cls;
    (void)conn;
    (void)toe;
    if (up && *con_cls != (void *)&marker) {
        free(up->buf);
        free(up);
        *con_cls = NULL;
    }
}

int main(int argc, char **argv)
{
    struct sockaddr_in sa;
    struct MHD_Daemon *d;
    struct rlimit rl;
    sigset_t set;
    char *end, *data;
    long port;
    int sig;

    if (argc != 2 || (port = strtol(argv[1], &end, 10), *end) ||
        port < 1 || port > 65535) {
        fprintf(stderr, "usage: mhd_bench PORT\n");
        return 2;
    }
    /* room for many connections */
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (!(data = malloc(MIB)))
        return 1;
    memset(data, 'x', MIB);
    hello = make("Hello World\n", 12, "text/plain");
    big = make(data, MIB, "application/octet-stream");
    not_found = make("Not Found\n", 10, "text/plain");
    if (!hello || !big || !not_found) {
        fprintf(stderr, "mhd_bench: cannot make responses\n");
        return 1;
    }

    /* Block the signals before MHD's thread starts, so that it inherits
       the mask and only sigwait below takes them. */
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);

    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG,
        (uint16_t)port, NULL, NULL, answer, NULL,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
        MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int)16384,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned int)4096,
        MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "mhd_bench: cannot listen on 127.0.0.1:%ld\n", port);
        return 1;
    }
    printf("127.0.0.1:%ld\n", port);
    fflush(stdout);

    while (sigwait(&set, &sig) != 0)
        ;
    MHD_stop_daemon(d);
    MHD_destroy_response(hello);
    MHD_destroy_response(big);
    MHD_destroy_response(not_found);
    free(data);
    return 0;
}
