## The C interface of porter, declared for Nim: the names, types and
## constants of `include/porter.h`, verbatim. `porter.h` is the reference
## for what every call does; the idiomatic module `porter` builds on this
## one, and most programs never import it directly.
##
## By default the declarations go through the header and the program links
## against `-lporter`; pass the header's folder with
## `-d:porterIncludeDir=DIR` when it is not in `include/` beside this
## binding nor on the compiler's path. With `-d:porterDynlib` the library
## is loaded when the program starts instead (`-d:porterLibrary=PATH`,
## default `libporter.so.0`, then `libporter.so`); the structs are then
## laid out by Nim, and the tests check that layout against the header.
##
## Rules from `porter.h` that a Nim caller must keep: bytes handed out
## (the request view) belong to porter and live until the request is ended;
## a request is ended exactly once; the binding runs porter in loop mode
## only, so no Nim code is ever called from one of porter's threads.

when defined(porterDynlib):
  const porterLibrary* {.strdefine.} = "libporter.so(.0|)"
    ## The library to load, with Nim's `dynlib` pattern syntax.
  # Nim 1.6 gives `dynlib` a strdefine's default, not its -d value,
  # unless the value goes through another constant.
  const libraryName = porterLibrary & ""
  {.pragma: porterc, importc, cdecl, raises: [], gcsafe,
    dynlib: libraryName.}
  {.pragma: porterStruct, bycopy.}
else:
  import std/os
  const porterIncludeDir* {.strdefine.} =
    currentSourcePath().parentDir.parentDir.parentDir.parentDir / "include"
    ## The folder holding `porter.h`; the default is the source tree's.
  {.passC: "-I" & porterIncludeDir.}
  {.passL: "-lporter".}
  {.pragma: porterc, importc, cdecl, raises: [], gcsafe, header: "porter.h".}
  {.pragma: porterStruct, importc, header: "porter.h", bycopy.}

const
  PORTER_VERSION_MAJOR* = 0
  PORTER_VERSION_MINOR* = 3
  PORTER_VERSION_PATCH* = 0

# The C enums are ints; their constants are Nim constants (a `case` can
# use them), checked against porter.h by the tests.
type
  porter_error* = cint        ## the PORTER_E* codes; never renumbered
  porter_listen_flag* = cint  ## the PORTER_LISTEN_* flags
  porter_log_kind* = cint     ## the PORTER_LOG_* kinds
  porter_event_type* = cint   ## the PORTER_EV_* types

const
  PORTER_OK* = porter_error(0)
  PORTER_EINVAL* = porter_error(-1)
  PORTER_EHANDLE* = porter_error(-2)
  PORTER_ESTATE* = porter_error(-3)
  PORTER_EAGAIN* = porter_error(-4)
  PORTER_EABORTED* = porter_error(-5)
  PORTER_ECLOSED* = porter_error(-6)
  PORTER_ETIMEDOUT* = porter_error(-7)
  PORTER_EPEER* = porter_error(-8)
  PORTER_EHEADER* = porter_error(-9)
  PORTER_ELISTEN* = porter_error(-10)
  PORTER_ENOTFOUND* = porter_error(-11)
  PORTER_EBUSY* = porter_error(-12)
  PORTER_EFORK* = porter_error(-13)
  PORTER_EINTERNAL* = porter_error(-14)

# Socket options of a listener (since 0.2).
const
  PORTER_LISTEN_REUSEPORT* = porter_listen_flag(1)
  PORTER_LISTEN_V6ONLY* = porter_listen_flag(2)
  PORTER_LISTEN_TLS* = porter_listen_flag(4)
  PORTER_LISTEN_SCGI* = porter_listen_flag(8)

# What a porter_log record is about (since 0.2).
const
  PORTER_LOG_ACCESS* = porter_log_kind(1)
  PORTER_LOG_ERROR* = porter_log_kind(2)

# What a porter_event reports.
const
  PORTER_EV_REQUEST* = porter_event_type(1)
  PORTER_EV_BODY* = porter_event_type(2)
  PORTER_EV_WRITABLE* = porter_event_type(3)
  PORTER_EV_ABORT* = porter_event_type(4)

type
  porter_server* {.porterStruct, incompleteStruct.} = object
    ## Opaque; only ever used through a pointer.

  porter_req* = uint64
    ## A request handle: never 0, never reused.

  porter_header* {.porterStruct.} = object
    name*: ptr char
    name_len*: csize_t
    value*: ptr char
    value_len*: csize_t

  porter_request* {.porterStruct.} = object
    size*: csize_t
    `method`*: ptr char
    method_len*: csize_t
    target*: ptr char
    target_len*: csize_t
    path*: ptr char
    path_len*: csize_t
    query*: ptr char
    query_len*: csize_t
    host*: ptr char
    host_len*: csize_t
    remote*: ptr char
    remote_len*: csize_t
    version*: cint
    reserved*: cint
    headers*: ptr UncheckedArray[porter_header]
    header_count*: csize_t
    body*: pointer
    body_len*: csize_t
    content_length*: int64
    # Since 0.2:
    tls*: cint
    reserved2*: cint
    server_name*: ptr char
    server_name_len*: csize_t

  porter_event* {.porterStruct.} = object
    `type`*: cint
    code*: cint
    req*: porter_req
    request*: ptr porter_request
    data*: pointer

  porter_handler_cb* = proc (user_data: pointer,
                             ev: ptr porter_event) {.cdecl, gcsafe.}
    ## Callback mode only. The Nim binding never sets one: Nim code must
    ## not run on porter's threads.

  porter_config* {.porterStruct.} = object
    size*: csize_t
    handler*: porter_handler_cb
    user_data*: pointer
    stream_bodies*: cint
    queue_depth*: cint
    max_connections*: cint
    max_header_count*: cint
    max_request_line*: csize_t
    max_header_bytes*: csize_t
    max_body_bytes*: csize_t
    stream_buffer*: csize_t
    header_timeout_ms*: cint
    body_timeout_ms*: cint
    idle_timeout_ms*: cint
    write_timeout_ms*: cint
    response_timeout_ms*: cint
    # Since 0.2:
    disable_http2*: cint
    h2c*: cint
    max_streams*: cint
    log_depth*: cint

  porter_listen_options* {.porterStruct.} = object
    size*: csize_t
    flags*: cint
    unix_mode*: cint

  porter_cert* {.porterStruct.} = object
    size*: csize_t
    cert_pem*: pointer
    cert_pem_len*: csize_t
    key_pem*: pointer
    key_pem_len*: csize_t
    cert_file*: cstring
    key_file*: cstring

  porter_stats* {.porterStruct.} = object
    size*: csize_t
    connections*: int64
    accepted*: int64
    requests*: int64
    bytes_in*: int64
    bytes_out*: int64
    accept_errors*: int64
    rejected_malformed*: int64
    rejected_too_large*: int64
    rejected_timeout*: int64
    rejected_unsupported*: int64
    rejected_overloaded*: int64
    tls_errors*: int64
    logs_dropped*: int64
    loop_stalls*: int64
    host_away*: int64

  porter_log* {.porterStruct.} = object
    size*: csize_t
    kind*: cint
    status*: cint
    version*: cint
    code*: cint
    bytes_in*: int64
    bytes_out*: int64
    duration_us*: int64
    `method`*: ptr char
    method_len*: csize_t
    target*: ptr char
    target_len*: csize_t
    remote*: ptr char
    remote_len*: csize_t
    message*: ptr char
    message_len*: csize_t

# Library
proc porter_version*(): cstring {.porterc.}
proc porter_strerror*(code: cint): cstring {.porterc.}
proc porter_errname*(code: cint): cstring {.porterc.}

# Servers
proc server_new*(cfg: ptr porter_config, `out`: ptr ptr porter_server): cint
  {.porterc.}
proc server_listen*(srv: ptr porter_server, `addr`: cstring): cint {.porterc.}
proc server_listen_opts*(srv: ptr porter_server, `addr`: cstring,
                         opts: ptr porter_listen_options): cint {.porterc.}
proc server_listen_fd*(srv: ptr porter_server, fd: cint): cint {.porterc.}
proc server_conn_add*(srv: ptr porter_server, fd: cint): cint {.porterc.}
proc server_tls_certs*(srv: ptr porter_server, certs: ptr porter_cert,
                       n: csize_t): cint {.porterc.}
proc server_tls_self_signed*(srv: ptr porter_server): cint {.porterc.}
proc server_addr*(srv: ptr porter_server, index: cint, buf: ptr char,
                  cap: csize_t): cint {.porterc.}
proc server_errmsg*(srv: ptr porter_server, buf: ptr char,
                    cap: csize_t): cint {.porterc.}
proc server_start*(srv: ptr porter_server): cint {.porterc.}
proc server_serve*(srv: ptr porter_server): cint {.porterc.}
proc server_shutdown*(srv: ptr porter_server, timeout_ms: cint): cint
  {.porterc.}
proc server_pause*(srv: ptr porter_server): cint {.porterc.}
proc server_resume*(srv: ptr porter_server): cint {.porterc.}
proc server_stats*(srv: ptr porter_server, `out`: ptr porter_stats): cint
  {.porterc.}
proc server_log_next*(srv: ptr porter_server, `out`: ptr porter_log): cint
  {.porterc.}
proc server_log_pollfd*(srv: ptr porter_server): cint {.porterc.}
proc server_free*(srv: ptr porter_server): cint {.porterc.}
proc server_pollfd*(srv: ptr porter_server): cint {.porterc.}
proc server_next*(srv: ptr porter_server, events: ptr porter_event, max: cint,
                  timeout_ms: cint): cint {.porterc.}

# Requests
proc req_view*(req: porter_req, `out`: ptr ptr porter_request): cint
  {.porterc.}
proc req_header*(req: porter_req, name: ptr char, name_len: csize_t,
                 value: ptr ptr char, value_len: ptr csize_t): cint {.porterc.}
proc req_set_data*(req: porter_req, data: pointer): cint {.porterc.}
proc req_body_read*(req: porter_req, buf: pointer, cap: csize_t): cint
  {.porterc.}
proc req_respond*(req: porter_req, status: cint, headers: ptr porter_header,
                  header_count: csize_t, body: pointer, body_len: csize_t): cint
  {.porterc.}
proc req_write_head*(req: porter_req, status: cint, headers: ptr porter_header,
                     header_count: csize_t, content_length: int64): cint
  {.porterc.}
proc req_write*(req: porter_req, data: pointer, len: csize_t): cint {.porterc.}
proc req_finish*(req: porter_req): cint {.porterc.}
proc req_abort*(req: porter_req): cint {.porterc.}
