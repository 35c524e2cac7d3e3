// Package capitest drives porter's exports from C inside go test, which
// cannot import "C" itself. Its C code calls the exports by name; they
// resolve when the test binary links package main.
package capitest

/*
#cgo CFLAGS: -I${SRCDIR}/../../include -std=gnu11 -Wall
#cgo LDFLAGS: -Wl,--unresolved-symbols=ignore-in-object-files
#include <stdlib.h>
#include "capitest.h"
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// Server is a porter server with a C host.
type Server struct {
	p    *C.porter_server
	Addr string
}

// Start makes and starts a server; loop selects loop mode, hold a host
// that answers nothing.
func Start(loop, hold bool) (*Server, error) {
	var s Server
	var addr [64]C.char
	if rc := C.ct_start(cbool(loop), cbool(hold), &s.p, &addr[0], C.size_t(len(addr))); rc < 0 {
		return nil, fmt.Errorf("ct_start: %s", C.GoString(C.porter_errname(rc)))
	}
	s.Addr = C.GoString(&addr[0])
	return &s, nil
}

// Loop runs the loop-mode host until shutdown: the requests it answered.
func (s *Server) Loop() (int, error) {
	n := C.ct_loop(s.p)
	if n < 0 {
		return 0, fmt.Errorf("ct_loop: %s", C.GoString(C.porter_errname(n)))
	}
	return int(n), nil
}

// Shutdown calls server_shutdown.
func (s *Server) Shutdown(ms int) int { return int(C.server_shutdown(s.p, C.int(ms))) }

// Free calls server_free.
func (s *Server) Free() int { return int(C.server_free(s.p)) }

// Held returns the last request a holding host kept.
func Held() uint64 { return uint64(C.ct_held()) }

// BadInput checks the exports' answers to bad input; "" when all held.
func (s *Server) BadInput(live uint64) string {
	if msg := C.ct_bad_input(s.p, C.porter_req(live)); msg != nil {
		return C.GoString(msg)
	}
	return ""
}

// Respond answers a held request from Go's side (another thread).
func Respond(req uint64, body string) int {
	cs := C.CString(body)
	defer C.free(unsafe.Pointer(cs))
	return int(C.req_respond(C.porter_req(req), 200, nil, 0, unsafe.Pointer(cs), C.size_t(len(body))))
}

func cbool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}
