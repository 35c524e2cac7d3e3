/*
 * porter.h -- the C interface of porter, an embeddable HTTP server engine.
 *
 * porter parses HTTP, does the socket I/O and enforces limits; the host
 * only runs its handler. A host runs handlers in one of two modes, chosen
 * when the server is made:
 *
 *   callback mode  porter calls the host's handler on its own threads,
 *                  on every core, many at once (for thread-safe C code);
 *   loop mode      porter never calls host code; the host waits on
 *                  server_pollfd() and pulls events with server_next(),
 *                  which runs porter's event loop on the calling thread
 *                  (for LuaJIT, Nim, and C programs with their own loop).
 *
 * This header is the reference for the library's behaviour.
 */
#ifndef PORTER_H
#define PORTER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PORTER_VERSION_MAJOR 0
#define PORTER_VERSION_MINOR 3
#define PORTER_VERSION_PATCH 0

/*
 * Conventions
 *
 * Errors. Every call that can fail returns an int: 0 (PORTER_OK) for
 * success, a negative PORTER_E* code otherwise. Calls that count return
 * n >= 0 or a negative code, like read(2). porter_strerror() and
 * porter_errname() describe a code. No call aborts the process on bad
 * input: NULL or out-of-range arguments give PORTER_EINVAL, unknown or
 * stale handles give PORTER_EHANDLE.
 *
 * Ownership.
 *  1. Bytes passed in are borrowed for the duration of the call only:
 *     porter copies what it keeps before returning. Binary data is a
 *     pointer and a length; only addresses are NUL-terminated strings.
 *  2. Bytes handed out (the request view: method, target, headers,
 *     buffered body) are porter's memory, valid until the host ends the
 *     request (see "Requests"). Each string in a view is also followed by
 *     a NUL byte, but its length is authoritative.
 *  3. Structs the host fills for porter begin with a `size` field set to
 *     sizeof the struct, so they can grow without breaking the ABI.
 *
 * Requests. Every request the host receives is ended by the host exactly
 * once, with req_respond(), req_finish() (after req_write_head()) or
 * req_abort(); that call releases the handle and its view, and every
 * later call with the handle returns PORTER_EHANDLE. When porter has to
 * end an exchange first (the client went away, a timeout, shutdown), it
 * answers or closes the connection at once, tells the host with a
 * PORTER_EV_ABORT event, and the handle stays allocated until the host
 * ends it: req_abort() then returns 0, req_respond() and req_finish()
 * return PORTER_EABORTED, and both release it all the same.
 *
 * Threads. Every function may be called from any thread. In callback
 * mode the handler runs on porter's threads, concurrently for different
 * requests; calls that wait (req_body_read, req_write) block the calling
 * thread. A handler that runs long (over about 2 ms) may delay a few
 * requests that arrived with its own; for long work keep the handle and
 * respond from another thread. In loop mode no call blocks except
 * server_next() with a timeout: a call that would wait returns
 * PORTER_EAGAIN and an event says when to try again. server_next() reads
 * and parses the requests that came, on the calling thread, so that a
 * request is read, handed over and answered there; while no thread has
 * called it for a few milliseconds, porter's own threads do that work,
 * so requests are still queued (or refused) while the host is busy.
 * Several threads may pull from one server.
 *
 * Process. The Go runtime inside porter starts with the library. Install
 * signal handlers with SA_ONSTACK; do not dlclose() the library; do not
 * fork() without exec: in a forked child every call returns PORTER_EFORK.
 */

/* porter_error lists the error codes. Codes are never renumbered. */
typedef enum porter_error {
    PORTER_OK = 0,
    PORTER_EINVAL = -1,     /* an argument is NULL, out of range or malformed */
    PORTER_EHANDLE = -2,    /* the handle is unknown, stale or forged */
    PORTER_ESTATE = -3,     /* the call does not fit the object's state */
    PORTER_EAGAIN = -4,     /* the call would block; an event says when not */
    PORTER_EABORTED = -5,   /* porter ended the request before the host did */
    PORTER_ECLOSED = -6,    /* the server is shut down */
    PORTER_ETIMEDOUT = -7,  /* a deadline passed */
    PORTER_EPEER = -8,      /* the client went away or broke the protocol */
    PORTER_EHEADER = -9,    /* a response header is invalid or not allowed */
    PORTER_ELISTEN = -10,   /* the address could not be listened on */
    PORTER_ENOTFOUND = -11, /* no such header */
    PORTER_EBUSY = -12,     /* the call would deadlock from inside a handler */
    PORTER_EFORK = -13,     /* the process forked after porter was loaded */
    PORTER_EINTERNAL = -14  /* a bug in porter; please report it */
} porter_error;

/* porter_server is a server: made by server_new, freed by server_free. */
typedef struct porter_server porter_server;

/*
 * porter_req is a request handle. Handles are never 0, never reused for
 * another request, and always below 2^53, so a double (a Lua or
 * JavaScript number) holds one exactly.
 */
typedef uint64_t porter_req;

/* porter_header is one header field. Names and values are not NUL-bound. */
typedef struct porter_header {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
} porter_header;

/*
 * porter_request is the view of a request, filled by porter.
 *
 * Ownership: porter's memory, valid until the host ends the request.
 */
typedef struct porter_request {
    size_t size;          /* sizeof(porter_request) as porter knows it */
    const char *method;   /* "GET", as received */
    size_t method_len;
    const char *target;   /* the request target as received: path?query */
    size_t target_len;
    const char *path;     /* the target up to '?', still percent-encoded */
    size_t path_len;
    const char *query;    /* the target after '?' (without it), or "" */
    size_t query_len;
    const char *host;     /* the Host header (or authority), or "" */
    size_t host_len;
    const char *remote;   /* the client's address, "ip:port" */
    size_t remote_len;
    int version;          /* 10 for HTTP/1.0, 11 for HTTP/1.1, 20 for
                             HTTP/2 (since 0.2) */
    int reserved;         /* 0 */
    const porter_header *headers; /* every field, in received order,
                                     names as received (compare them
                                     case-insensitively) */
    size_t header_count;
    const void *body;     /* the whole body when bodies are buffered */
    size_t body_len;      /* 0 when bodies are streamed */
    int64_t content_length; /* declared length; -1 when unknown (chunked) */
    /* Since 0.2: */
    int tls;                /* 1 when the connection is TLS, else 0 */
    int reserved2;          /* 0 */
    const char *server_name; /* the TLS server name (SNI) asked for, or "" */
    size_t server_name_len;
} porter_request;

/* porter_event_type says what a porter_event reports. */
typedef enum porter_event_type {
    PORTER_EV_REQUEST = 1,  /* a new request; `request` is its view */
    PORTER_EV_BODY = 2,     /* more body can be read (after PORTER_EAGAIN) */
    PORTER_EV_WRITABLE = 3, /* writing can go on (after PORTER_EAGAIN) */
    PORTER_EV_ABORT = 4     /* porter ended the request; `code` says why */
} porter_event_type;

/*
 * porter_event is one event for the host. PORTER_EV_BODY and
 * PORTER_EV_WRITABLE occur in loop mode only, once after each call that
 * returned PORTER_EAGAIN. PORTER_EV_ABORT comes at most once per request,
 * never before its PORTER_EV_REQUEST; its code is PORTER_EPEER (client
 * gone or body malformed), PORTER_ETIMEDOUT or PORTER_ECLOSED (shutdown).
 * A host whose call returned PORTER_EABORTED and so released the handle
 * may still see the PORTER_EV_ABORT that was on its way; calls with that
 * handle return PORTER_EHANDLE.
 */
typedef struct porter_event {
    int type;                       /* a porter_event_type */
    int code;                       /* PORTER_EV_ABORT: why; else 0 */
    porter_req req;                 /* the request it concerns */
    const porter_request *request;  /* PORTER_EV_REQUEST: the view */
    void *data;                     /* what req_set_data attached, or NULL */
} porter_event;

/*
 * porter_handler_cb handles events in callback mode: PORTER_EV_REQUEST
 * and PORTER_EV_ABORT. The event is valid during the call only; the view
 * it points to lives until the host ends the request.
 *
 * Threads: called on porter's threads, concurrently for different
 * requests; events of one request never overlap, and PORTER_EV_ABORT
 * comes only after that request's PORTER_EV_REQUEST call returned.
 */
typedef void (*porter_handler_cb)(void *user_data, const porter_event *ev);

/*
 * porter_config configures a server. Zero any field to get its default;
 * set `size` to sizeof(porter_config). Sizes are bytes, times are
 * milliseconds. A request over a limit gets the status named and its
 * connection is closed.
 */
typedef struct porter_config {
    size_t size;
    porter_handler_cb handler; /* callback mode; NULL selects loop mode */
    void *user_data;           /* passed to handler, never dereferenced */
    int stream_bodies;         /* 0: buffer whole bodies; 1: stream (a
                                  response may come before the body is
                                  read: porter discards the rest, or
                                  closes the connection if much is left) */
    int queue_depth;           /* loop mode: waiting events, then 503 (1024) */
    int max_connections;       /* open connections; more wait (10000) */
    int max_header_count;      /* header fields, else 431 (100) */
    size_t max_request_line;   /* request line, else 414 (8 KiB) */
    size_t max_header_bytes;   /* request head, else 431 (64 KiB) */
    size_t max_body_bytes;     /* buffered body, else 413 (8 MiB) */
    size_t stream_buffer;      /* loop mode: bytes buffered per direction
                                  of a streamed body (64 KiB) */
    int header_timeout_ms;     /* to read a request head (10 s) */
    int body_timeout_ms;       /* between body reads (30 s) */
    int idle_timeout_ms;       /* keep-alive between requests (60 s) */
    int write_timeout_ms;      /* for the client to take each 256 KiB
                                  of a response (30 s) */
    int response_timeout_ms;   /* for the host to start a response, else
                                  503 and PORTER_EV_ABORT (60 s) */
    /* Since 0.2: */
    int disable_http2;         /* 1: TLS listeners offer only HTTP/1.1
                                  (by default ALPN offers h2 first) */
    int h2c;                   /* 1: plain listeners also take HTTP/2 from
                                  clients with prior knowledge (h2c) */
    int max_streams;           /* HTTP/2: concurrent streams per
                                  connection (100) */
    int log_depth;             /* records kept for server_log_next; 0: no
                                  log (the default) */
} porter_config;

/* ---- Library --------------------------------------------------------- */

/* porter_version returns the library's version, "MAJOR.MINOR.PATCH". */
const char *porter_version(void);

/* porter_strerror returns a static message for an error code. */
const char *porter_strerror(int code);

/* porter_errname returns a code's name, "PORTER_EHANDLE", or "UNKNOWN". */
const char *porter_errname(int code);

/* ---- Servers ----------------------------------------------------------- */

/*
 * server_new makes a server from cfg (NULL: loop mode, all defaults) and
 * stores it in *out. It does not listen yet.
 *
 * Returns: PORTER_EINVAL if out is NULL, cfg->size is smaller than the
 * struct of version 0.1, a field is negative, or cfg is larger than
 * porter knows and the unknown part is not zero.
 */
int server_new(const porter_config *cfg, porter_server **out);

/*
 * server_listen binds a listener now: TCP on "host:port" ("127.0.0.1:0",
 * "[::1]:8080", ":8080"; port 0 picks a free port), or a unix domain
 * socket on "unix:PATH" (a stale socket file at PATH, one nobody accepts
 * on, is removed first; the file goes when the server shuts down). A
 * server may have several listeners; add them before server_start.
 *
 * Returns: the listener's index (>= 0); PORTER_ELISTEN when binding
 * failed (server_errmsg says why); PORTER_ESTATE once the server started.
 */
int server_listen(porter_server *srv, const char *addr);

/* porter_listen_flag selects socket options of a listener. */
typedef enum porter_listen_flag {
    PORTER_LISTEN_REUSEPORT = 1, /* SO_REUSEPORT: other sockets, in this
                                    or other processes, may bind the same
                                    port; the kernel spreads clients */
    PORTER_LISTEN_V6ONLY = 2,    /* an IPv6 wildcard address ("[::]:80")
                                    takes no IPv4 clients */
    PORTER_LISTEN_TLS = 4,       /* HTTPS: TLS 1.2 or newer with the
                                    server's certificates (server_tls_certs);
                                    the handshake must finish within
                                    header_timeout_ms */
    PORTER_LISTEN_SCGI = 8       /* SCGI from a web server in front (nginx
                                    scgi_pass): one request per connection,
                                    the same views and calls; a malformed
                                    netstring or header block closes the
                                    connection, the handler never sees it */
} porter_listen_flag;

/*
 * porter_listen_options shapes a listener beyond its address; zero
 * fields are defaults. SO_REUSEADDR is always set on TCP listeners.
 * Since 0.2.
 */
typedef struct porter_listen_options {
    size_t size;   /* sizeof(porter_listen_options) */
    int flags;     /* porter_listen_flag values, or-ed */
    int unix_mode; /* unix sockets: permission bits of the file, such as
                      0660; 0 leaves what the umask gives */
} porter_listen_options;

/*
 * server_listen_opts is server_listen with options (NULL: none).
 * Since 0.2.
 *
 * Returns: as server_listen; PORTER_EINVAL for unknown flags or a size
 * that is too small.
 */
int server_listen_opts(porter_server *srv, const char *addr,
                       const porter_listen_options *opts);

/*
 * server_listen_fd serves a socket that is already listening, such as
 * one inherited from systemd (LISTEN_FDS, descriptors from 3) or inetd
 * in "wait" mode. Since 0.2.
 *
 * Ownership: porter works on a duplicate; the host keeps fd and may
 * close it after the call.
 * Returns: the listener's index; PORTER_ELISTEN when fd is not a
 * listening socket (server_errmsg says why); PORTER_ESTATE once the
 * server started.
 */
int server_listen_fd(porter_server *srv, int fd);

/*
 * server_conn_add serves a connection the host accepted itself (like
 * lua-http's add_socket, or inetd in "nowait" mode) on a started server,
 * like one of its own. Since 0.2.
 *
 * Ownership: porter works on a duplicate; the host closes fd after the
 * call.
 * Returns: PORTER_ESTATE before server_start or after shutdown;
 * PORTER_EAGAIN at max_connections; PORTER_EINVAL when fd is not a
 * connected socket.
 */
int server_conn_add(porter_server *srv, int fd);

/*
 * porter_cert is a certificate (chain) and its private key, PEM-encoded:
 * in memory, or else in the files named. Since 0.2.
 */
typedef struct porter_cert {
    size_t size;           /* sizeof(porter_cert) */
    const void *cert_pem;  /* the certificate chain, leaf first, or NULL */
    size_t cert_pem_len;
    const void *key_pem;   /* its private key */
    size_t key_pem_len;
    const char *cert_file; /* used when cert_pem is NULL */
    const char *key_file;
} porter_cert;

/*
 * server_tls_certs replaces the certificates of the server's TLS
 * listeners with certs[0..n-1], at once: a handshake from now on picks the
 * one whose names match the client's SNI (certs[0] when none does);
 * connections already open keep theirs. Call it before server_start (a
 * TLS listener needs a certificate to start) and any time after, to renew
 * them without dropping a connection. Since 0.2.
 *
 * Returns: PORTER_EINVAL if certs is NULL, n is 0, a size is too small or
 * a certificate or key cannot be read or do not match (server_errmsg
 * says which and why); the old certificates then stay.
 */
int server_tls_certs(porter_server *srv, const porter_cert *certs, size_t n);

/*
 * server_tls_self_signed gives the server a certificate it makes for
 * localhost, 127.0.0.1 and ::1, valid a year: for development only (no
 * client trusts it unless told to, like curl -k). Since 0.2.
 */
int server_tls_self_signed(porter_server *srv);

/*
 * server_addr copies the bound address of listener `index` ("host:port")
 * into buf with snprintf semantics.
 *
 * Returns: the address's length, even if cap was too small;
 * PORTER_EINVAL for an unknown index.
 */
int server_addr(porter_server *srv, int index, char *buf, size_t cap);

/*
 * server_errmsg copies the detail of the server's last failed call into
 * buf with snprintf semantics ("" when there is none).
 *
 * Returns: the message's length.
 */
int server_errmsg(porter_server *srv, char *buf, size_t cap);

/*
 * server_start starts serving every listener in the background.
 *
 * Returns: PORTER_ESTATE if there is no listener or it already started.
 */
int server_start(porter_server *srv);

/*
 * server_serve starts the server if needed, then blocks until it is shut
 * down and drained.
 *
 * Returns: 0 after shutdown; PORTER_ESTATE if there is no listener;
 * PORTER_EBUSY from inside a handler.
 */
int server_serve(porter_server *srv);

/*
 * server_shutdown stops accepting and returns at once. Requests in flight
 * may finish for timeout_ms more; then porter aborts what is left (the
 * host gets PORTER_EV_ABORT with PORTER_ECLOSED). Connections with no
 * request in flight (idle keep-alive ones, and new ones that have sent
 * nothing yet) close now; a request that comes on a connection after
 * this call is not served, its connection closes instead. Calling it
 * again only shortens the deadline.
 */
int server_shutdown(porter_server *srv, int timeout_ms);

/*
 * server_pause stops accepting connections: new clients wait in the
 * kernel's backlog, open connections carry on. server_resume accepts
 * again. Both may be called at any time, more than once. Since 0.2.
 */
int server_pause(porter_server *srv);
int server_resume(porter_server *srv);

/*
 * porter_stats holds a server's counters since server_new. The host sets
 * `size`; porter fills the fields that fit. Since 0.2.
 */
typedef struct porter_stats {
    size_t size;                  /* sizeof(porter_stats) */
    int64_t connections;          /* open now */
    int64_t accepted;             /* connections accepted or added */
    int64_t requests;             /* requests handed to the host */
    int64_t bytes_in;             /* read from clients */
    int64_t bytes_out;            /* written to clients */
    int64_t accept_errors;        /* failed accepts (EMFILE...): porter
                                     backs off and tries again */
    /* requests porter refused before the host saw them, by reason */
    int64_t rejected_malformed;   /* 400 */
    int64_t rejected_too_large;   /* 413, 414, 431 */
    int64_t rejected_timeout;     /* 408 */
    int64_t rejected_unsupported; /* 417, 501, 505 */
    int64_t rejected_overloaded;  /* 503: queue full, or shutting down */
    int64_t tls_errors;           /* failed or timed-out TLS handshakes */
    int64_t logs_dropped;         /* log records lost: log_depth were
                                     waiting for server_log_next */
    /* Since 0.3. Each counts ticks of 2 ms or more that a host kept
       porter waiting; steady growth says the host falls behind. */
    int64_t loop_stalls;          /* callback mode: a handler held an
                                     event loop, so porter started
                                     another thread for its other
                                     connections */
    int64_t host_away;            /* loop mode: no thread was in
                                     server_next, so porter read and
                                     queued requests (or refused them)
                                     in the host's place */
} porter_stats;

/*
 * server_stats fills *out with the server's counters. Since 0.2.
 *
 * Returns: PORTER_EINVAL if out is NULL or out->size is smaller than
 * the size field and one counter.
 */
int server_stats(porter_server *srv, porter_stats *out);

/* porter_log_kind says what a porter_log record is about. Since 0.2. */
typedef enum porter_log_kind {
    PORTER_LOG_ACCESS = 1, /* a request, once answered, ended or refused */
    PORTER_LOG_ERROR = 2   /* a failure that belongs to no request: a
                              failed accept (EMFILE) or TLS handshake, a
                              malformed SCGI request */
} porter_log_kind;

/*
 * porter_log is one record of a server's access and error log, filled by
 * server_log_next. Strings are not NUL-bound; absent ones are "" (a
 * request refused before its head parsed has no method or target).
 * Since 0.2.
 */
typedef struct porter_log {
    size_t size;          /* sizeof(porter_log), set by the host */
    int kind;             /* a porter_log_kind */
    int status;           /* access: the status sent; 0 when the response
                             was cut (the connection or stream reset) */
    int version;          /* access: 10, 11 or 20 */
    int code;             /* access: why porter ended it early
                             (PORTER_EPEER, PORTER_ETIMEDOUT,
                             PORTER_ECLOSED), else 0; error: 0 */
    int64_t bytes_in;     /* access: request body bytes read */
    int64_t bytes_out;    /* access: response body bytes the host gave */
    int64_t duration_us;  /* access: from the head read to the end */
    const char *method;
    size_t method_len;
    const char *target;
    size_t target_len;
    const char *remote;   /* the client's address, when known */
    size_t remote_len;
    const char *message;  /* error: what failed; access: "" */
    size_t message_len;
} porter_log;

/*
 * server_log_next moves the oldest waiting log record into *out. Records
 * are kept only with porter_config.log_depth > 0; when log_depth wait,
 * new ones are dropped (server_stats counts them). Since 0.2.
 *
 * Ownership: the strings are porter's until the next server_log_next on
 * this server, or server_free.
 * Threads: one thread at a time reads a server's log.
 * Returns: 1 when *out holds a record, 0 when none waits; PORTER_ESTATE
 * without a log; PORTER_EINVAL if out is NULL or out->size is too small.
 */
int server_log_next(porter_server *srv, porter_log *out);

/*
 * server_log_pollfd returns a descriptor that is readable while log
 * records wait, for the host's poll loop. Poll it; never read or close
 * it. Since 0.2.
 *
 * Returns: the descriptor; PORTER_ESTATE without a log.
 */
int server_log_pollfd(porter_server *srv);

/*
 * server_free shuts the server down (if not already, with no grace),
 * waits until no handler is running, releases every request handle it
 * still has, and frees it. server_free(NULL) does nothing.
 *
 * Threads: after it returns no callback of this server runs.
 * Returns: PORTER_EBUSY from inside a handler of any server.
 */
int server_free(porter_server *srv);

/*
 * server_pollfd returns a file descriptor that is readable while a
 * loop-mode server has work for server_next(): events wait, or
 * connections have bytes to read; and once it is shut down and drained.
 * (Since 0.3 server_next() may then find no whole request yet and return
 * 0.) Poll it; never read or close it.
 *
 * Returns: the descriptor; PORTER_ESTATE in callback mode.
 */
int server_pollfd(porter_server *srv);

/*
 * server_next reads the requests that came and moves up to max waiting
 * events into events[]. With timeout_ms 0 it does not wait; with -1 it
 * waits until an event comes; otherwise at most timeout_ms.
 *
 * Returns: the number of events (0 on timeout); PORTER_ECLOSED once the
 * server is shut down, drained and no event is left; PORTER_ESTATE in
 * callback mode.
 */
int server_next(porter_server *srv, porter_event *events, int max,
                int timeout_ms);

/* ---- Requests ---------------------------------------------------------- */

/* req_view stores the request's view in *out. */
int req_view(porter_req req, const porter_request **out);

/*
 * req_header finds the first field named `name` (any case) and stores
 * its value and length.
 *
 * Ownership: the value is part of the view.
 * Returns: PORTER_ENOTFOUND when there is no such field.
 */
int req_header(porter_req req, const char *name, size_t name_len,
               const char **value, size_t *value_len);

/*
 * req_set_data attaches data to the request; later events carry it.
 * porter never dereferences it.
 */
int req_set_data(porter_req req, void *data);

/*
 * req_body_read reads up to cap bytes of the request body into buf. The
 * first read sends "100 Continue" when the client asked for it. With
 * buffered bodies it reads from the buffered copy.
 *
 * Threads: blocks in callback mode; in loop mode returns PORTER_EAGAIN
 * and a PORTER_EV_BODY event follows when bytes arrive.
 * Returns: the bytes read, 0 at the end of the body; PORTER_EABORTED when
 * the body broke off (client gone, malformed, timed out; porter then
 * answers 400 or 408 itself if no response was started).
 */
int req_body_read(porter_req req, void *buf, size_t cap);

/*
 * req_respond sends a whole response and ends the request. porter adds
 * Content-Length and Date; headers must not carry Content-Length or
 * Transfer-Encoding. For HEAD and for status 204 and 304 no body is sent
 * (a body for 204 or 304 is PORTER_EINVAL).
 *
 * Returns: PORTER_EHEADER for a name that is not a token or a name or
 * value holding CR, LF or NUL; PORTER_EINVAL for a status outside
 * 200..999; PORTER_ESTATE after req_write_head; PORTER_EABORTED (the
 * handle is released).
 */
int req_respond(porter_req req, int status, const porter_header *headers,
                size_t header_count, const void *body, size_t body_len);

/*
 * req_write_head starts a streamed response. content_length is the
 * body's exact length, or -1 if unknown (chunked on HTTP/1.1, ended by
 * closing the connection on HTTP/1.0). It does not end the request.
 *
 * Returns: PORTER_EHEADER and PORTER_EINVAL as req_respond; PORTER_ESTATE
 * if a response was already started; PORTER_EABORTED (end the request
 * with req_abort).
 */
int req_write_head(porter_req req, int status, const porter_header *headers,
                   size_t header_count, int64_t content_length);

/*
 * req_write writes body bytes of a streamed response.
 *
 * Threads: in callback mode blocks until every byte is taken; in loop
 * mode takes what fits in the stream buffer and returns PORTER_EAGAIN if
 * nothing fits; a PORTER_EV_WRITABLE event follows when there is room.
 * Returns: the bytes taken; PORTER_ESTATE before req_write_head or past
 * the declared length; PORTER_EABORTED.
 */
int req_write(porter_req req, const void *data, size_t len);

/*
 * req_finish ends a streamed response; bytes still buffered are sent
 * first. It never blocks.
 *
 * Returns: PORTER_ESTATE before req_write_head, or when fewer bytes than
 * the declared length were written (the connection is then closed);
 * PORTER_EABORTED. The handle is released in every case but the first.
 */
int req_finish(porter_req req);

/*
 * req_abort ends the request without a complete response: the connection
 * is closed, and a streamed response is cut short.
 */
int req_abort(porter_req req);

#ifdef __cplusplus
}
#endif

#endif /* PORTER_H */
