## porter/abi against porter.h and the real libporter: every constant and
## struct layout is compared with what the C compiler sees in the header,
## which matters most with -d:porterDynlib (Nim lays the structs out
## itself then).

import std/[macros, os, sequtils, strutils, unittest]
import porter/abi


macro c(expr: static string, T: typedesc): untyped =
  ## The value of a C expression over porter.h.
  let value = genSym(nskVar, "value")
  let name = newLit(expr)
  quote do:
    block:
      var `value` {.importc: `name`, header: "porter.h", nodecl.}: `T`
      `value`

template same(nimValue: typed, cExpr: static string) =
  ## Checks a Nim constant against a C expression of the same type.
  let cValue = c(cExpr, typeof(nimValue))
  check nimValue == cValue

macro layout(T: typedesc, fields: varargs[untyped]): untyped =
  ## Checks the size of struct T and the offset of each field against C.
  let cName = $T
  result = newStmtList()
  let size = "sizeof(" & cName & ")"
  result.add quote do:
    same(csize_t(sizeof(`T`)), `size`)
  for f in fields:
    let name = if f.kind == nnkAccQuoted: $f[0] else: $f
    let offset = "offsetof(" & cName & ", " & name & ")"
    result.add quote do:
      same(csize_t(offsetOf(`T`, `f`)), `offset`)

const
  includeDir = currentSourcePath().parentDir.parentDir.parentDir.parentDir /
               "include"
  header = staticRead(includeDir / "porter.h")
  binding = staticRead(currentSourcePath().parentDir.parentDir / "porter" /
                       "abi.nim")

proc cNames(header: string): seq[string] =
  ## The names porter.h declares: functions, enum constants, typedefs and
  ## version macros.
  for raw in header.splitLines:
    let line = raw.strip
    if line.startsWith("#define PORTER_VERSION_"):
      result.add line.splitWhitespace[1]
    elif line.startsWith("PORTER_") and '=' in line:
      result.add line.split('=')[0].strip
    elif line.startsWith("} porter_"):
      result.add line[2 .. ^2]
    elif line.startsWith("typedef") and not line.endsWith("{"):
      result.add line.split({' ', '*', '(', ')', ';'}).filterIt(
        it.startsWith("porter_"))[^1]
    elif (line.startsWith("int ") or line.startsWith("const char *")) and
         '(' in line:
      result.add line[0 ..< line.find('(')].split({' ', '*'})[^1]

{.passC: "-I" & includeDir.}

suite "abi":
  test "every name of porter.h is declared":
    let names = cNames(header)
    check names.len > 50
    for name in names:
      if name & "*" notin binding:
        checkpoint name & " is missing from porter/abi.nim"
        fail()
  test "error codes":
    same(PORTER_OK, "PORTER_OK")
    same(PORTER_EINVAL, "PORTER_EINVAL")
    same(PORTER_EHANDLE, "PORTER_EHANDLE")
    same(PORTER_ESTATE, "PORTER_ESTATE")
    same(PORTER_EAGAIN, "PORTER_EAGAIN")
    same(PORTER_EABORTED, "PORTER_EABORTED")
    same(PORTER_ECLOSED, "PORTER_ECLOSED")
    same(PORTER_ETIMEDOUT, "PORTER_ETIMEDOUT")
    same(PORTER_EPEER, "PORTER_EPEER")
    same(PORTER_EHEADER, "PORTER_EHEADER")
    same(PORTER_ELISTEN, "PORTER_ELISTEN")
    same(PORTER_ENOTFOUND, "PORTER_ENOTFOUND")
    same(PORTER_EBUSY, "PORTER_EBUSY")
    same(PORTER_EFORK, "PORTER_EFORK")
    same(PORTER_EINTERNAL, "PORTER_EINTERNAL")
    for code in PORTER_EINTERNAL .. PORTER_EINVAL:
      check ($porter_errname(code)).len > len("PORTER_E")
    check $porter_errname(PORTER_EHANDLE) == "PORTER_EHANDLE"

  test "event types and version":
    same(PORTER_EV_REQUEST, "PORTER_EV_REQUEST")
    same(PORTER_EV_BODY, "PORTER_EV_BODY")
    same(PORTER_EV_WRITABLE, "PORTER_EV_WRITABLE")
    same(PORTER_EV_ABORT, "PORTER_EV_ABORT")
    same(PORTER_LISTEN_REUSEPORT, "PORTER_LISTEN_REUSEPORT")
    same(PORTER_LISTEN_V6ONLY, "PORTER_LISTEN_V6ONLY")
    same(PORTER_LISTEN_TLS, "PORTER_LISTEN_TLS")
    same(PORTER_LISTEN_SCGI, "PORTER_LISTEN_SCGI")
    same(PORTER_LOG_ACCESS, "PORTER_LOG_ACCESS")
    same(PORTER_LOG_ERROR, "PORTER_LOG_ERROR")
    same(PORTER_VERSION_MAJOR, "PORTER_VERSION_MAJOR")
    same(PORTER_VERSION_MINOR, "PORTER_VERSION_MINOR")
    same(PORTER_VERSION_PATCH, "PORTER_VERSION_PATCH")
    check $porter_version() == $PORTER_VERSION_MAJOR & "." &
      $PORTER_VERSION_MINOR & "." & $PORTER_VERSION_PATCH

  test "struct layouts":
    layout(porter_header, name, name_len, value, value_len)
    layout(porter_request, size, `method`, method_len, target, target_len,
           path, path_len, query, query_len, host, host_len, remote,
           remote_len, version, reserved, headers, header_count, body,
           body_len, content_length, tls, reserved2, server_name,
           server_name_len)
    layout(porter_event, `type`, code, req, request, data)
    layout(porter_config, size, handler, user_data, stream_bodies,
           queue_depth, max_connections, max_header_count, max_request_line,
           max_header_bytes, max_body_bytes, stream_buffer,
           header_timeout_ms, body_timeout_ms, idle_timeout_ms,
           write_timeout_ms, response_timeout_ms, disable_http2, h2c,
           max_streams, log_depth)
    layout(porter_listen_options, size, flags, unix_mode)
    layout(porter_cert, size, cert_pem, cert_pem_len, key_pem, key_pem_len,
           cert_file, key_file)
    layout(porter_stats, size, connections, accepted, requests, bytes_in,
           bytes_out, accept_errors, rejected_malformed, rejected_too_large,
           rejected_timeout, rejected_unsupported, rejected_overloaded,
           tls_errors, logs_dropped, loop_stalls, host_away)
    layout(porter_log, size, kind, status, version, code, bytes_in,
           bytes_out, duration_us, `method`, method_len, target, target_len,
           remote, remote_len, message, message_len)
    same(csize_t(sizeof(porter_req)), "sizeof(porter_req)")

  test "a server through the raw calls":
    var cfg = porter_config(size: csize_t(sizeof(porter_config)))
    var srv: ptr porter_server
    check server_new(cfg.addr, srv.addr) == PORTER_OK
    check server_listen(srv, "127.0.0.1:0") == 0
    var buf: array[64, char]
    let n = server_addr(srv, 0, buf[0].addr, buf.len.csize_t)
    check n > len("127.0.0.1:")
    check server_pollfd(srv) >= 0
    var events: array[4, porter_event]
    check server_next(srv, events[0].addr, 4, 0) == 0
    check req_abort(12345) == PORTER_EHANDLE
    check server_free(srv) == PORTER_OK
    check server_free(nil) == PORTER_OK
    check server_new(nil, nil) == PORTER_EINVAL
