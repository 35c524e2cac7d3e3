/* exports.c: porter's public functions.
 *
 * Each checks for a forked child before it enters Go: in a child forked
 * after the library loaded, merely entering the Go runtime can deadlock
 * on a lock held by a thread that did not survive the fork. Then it
 * calls the Go export that does the work (capi_*, hidden by the version
 * script). The library-wide calls need no Go at all. */
#include "capi.h"
#include "_cgo_export.h"

#define FORK_GUARD                                                          \
    do {                                                                    \
        if (capi_forked)                                                    \
            return PORTER_EFORK;                                            \
    } while (0)

const char *porter_version(void)
{
#define STR_(x) #x
#define STR(x) STR_(x)
    return STR(PORTER_VERSION_MAJOR) "." STR(PORTER_VERSION_MINOR) "." STR(
        PORTER_VERSION_PATCH);
#undef STR
#undef STR_
}

static const struct {
    int code;
    const char *name, *msg;
} errors[] = {
    {PORTER_OK, "PORTER_OK", "success"},
    {PORTER_EINVAL, "PORTER_EINVAL", "invalid argument"},
    {PORTER_EHANDLE, "PORTER_EHANDLE", "unknown, stale or forged handle"},
    {PORTER_ESTATE, "PORTER_ESTATE", "call does not fit the object's state"},
    {PORTER_EAGAIN, "PORTER_EAGAIN", "call would block; wait for the event"},
    {PORTER_EABORTED, "PORTER_EABORTED", "request aborted by porter"},
    {PORTER_ECLOSED, "PORTER_ECLOSED", "server is shut down"},
    {PORTER_ETIMEDOUT, "PORTER_ETIMEDOUT", "deadline passed"},
    {PORTER_EPEER, "PORTER_EPEER", "client went away or broke the protocol"},
    {PORTER_EHEADER, "PORTER_EHEADER", "invalid or reserved response header"},
    {PORTER_ELISTEN, "PORTER_ELISTEN", "cannot listen on the address"},
    {PORTER_ENOTFOUND, "PORTER_ENOTFOUND", "no such header"},
    {PORTER_EBUSY, "PORTER_EBUSY", "call would deadlock inside a handler"},
    {PORTER_EFORK, "PORTER_EFORK", "process forked after porter was loaded"},
    {PORTER_EINTERNAL, "PORTER_EINTERNAL", "internal error in porter"},
};

static int error_index(int code)
{
    for (size_t i = 0; i < sizeof errors / sizeof *errors; i++)
        if (errors[i].code == code)
            return (int)i;
    return -1;
}

const char *porter_strerror(int code)
{
    int i = error_index(code);
    return i < 0 ? "unknown error code" : errors[i].msg;
}

const char *porter_errname(int code)
{
    int i = error_index(code);
    return i < 0 ? "UNKNOWN" : errors[i].name;
}

int server_new(const porter_config *cfg, porter_server **out)
{
    FORK_GUARD;
    return capi_server_new(cfg, out);
}

int server_listen(porter_server *srv, const char *addr)
{
    FORK_GUARD;
    return capi_server_listen(srv, addr);
}

int server_listen_opts(porter_server *srv, const char *addr,
                       const porter_listen_options *opts)
{
    FORK_GUARD;
    return capi_server_listen_opts(srv, addr, opts);
}

int server_listen_fd(porter_server *srv, int fd)
{
    FORK_GUARD;
    return capi_server_listen_fd(srv, fd);
}

int server_conn_add(porter_server *srv, int fd)
{
    FORK_GUARD;
    return capi_server_conn_add(srv, fd);
}

int server_tls_certs(porter_server *srv, const porter_cert *certs, size_t n)
{
    FORK_GUARD;
    return capi_server_tls_certs(srv, certs, n);
}

int server_tls_self_signed(porter_server *srv)
{
    FORK_GUARD;
    return capi_server_tls_self_signed(srv);
}

int server_addr(porter_server *srv, int index, char *buf, size_t cap)
{
    FORK_GUARD;
    return capi_server_addr(srv, index, buf, cap);
}

int server_errmsg(porter_server *srv, char *buf, size_t cap)
{
    FORK_GUARD;
    return capi_server_errmsg(srv, buf, cap);
}

int server_start(porter_server *srv)
{
    FORK_GUARD;
    return capi_server_start(srv);
}

int server_serve(porter_server *srv)
{
    FORK_GUARD;
    return capi_server_serve(srv);
}

int server_shutdown(porter_server *srv, int timeout_ms)
{
    FORK_GUARD;
    return capi_server_shutdown(srv, timeout_ms);
}

int server_pause(porter_server *srv)
{
    FORK_GUARD;
    return capi_server_pause(srv);
}

int server_resume(porter_server *srv)
{
    FORK_GUARD;
    return capi_server_resume(srv);
}

int server_stats(porter_server *srv, porter_stats *out)
{
    FORK_GUARD;
    return capi_server_stats(srv, out);
}

int server_log_next(porter_server *srv, porter_log *out)
{
    FORK_GUARD;
    return capi_server_log_next(srv, out);
}

int server_log_pollfd(porter_server *srv)
{
    FORK_GUARD;
    return capi_server_log_pollfd(srv);
}

int server_free(porter_server *srv)
{
    if (srv == NULL)
        return PORTER_OK;
    FORK_GUARD;
    return capi_server_free(srv);
}

int server_pollfd(porter_server *srv)
{
    FORK_GUARD;
    return capi_server_pollfd(srv);
}

int server_next(porter_server *srv, porter_event *events, int max,
                int timeout_ms)
{
    FORK_GUARD;
    return capi_server_next(srv, events, max, timeout_ms);
}

int req_view(porter_req req, const porter_request **out)
{
    FORK_GUARD;
    return capi_req_view(req, out);
}

int req_header(porter_req req, const char *name, size_t name_len,
               const char **value, size_t *value_len)
{
    FORK_GUARD;
    return capi_req_header(req, name, name_len, value, value_len);
}

int req_set_data(porter_req req, void *data)
{
    FORK_GUARD;
    return capi_req_set_data(req, data);
}

int req_body_read(porter_req req, void *buf, size_t cap)
{
    FORK_GUARD;
    return capi_req_body_read(req, buf, cap);
}

int req_respond(porter_req req, int status, const porter_header *headers,
                size_t header_count, const void *body, size_t body_len)
{
    FORK_GUARD;
    return capi_req_respond(req, status, headers, header_count, body,
                            body_len);
}

int req_write_head(porter_req req, int status, const porter_header *headers,
                   size_t header_count, int64_t content_length)
{
    FORK_GUARD;
    return capi_req_write_head(req, status, headers, header_count,
                               content_length);
}

int req_write(porter_req req, const void *data, size_t len)
{
    FORK_GUARD;
    return capi_req_write(req, data, len);
}

int req_finish(porter_req req)
{
    FORK_GUARD;
    return capi_req_finish(req);
}

int req_abort(porter_req req)
{
    FORK_GUARD;
    return capi_req_abort(req);
}
