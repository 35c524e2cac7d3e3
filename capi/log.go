package main

/*
#include "capi.h"
*/
import "C"

import (
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/porter-http/porter/core"
)

// serverLog keeps a server's log records for server_log_next: a bounded
// queue that drops new records when full, and the C memory of the last
// record handed out.
type serverLog struct {
	q       *core.Queue[core.Log]
	dropped atomic.Int64

	mu  sync.Mutex     // one reader at a time; guards mem
	mem unsafe.Pointer // the strings of the last record, or nil
}

func newServerLog(depth int) (*serverLog, error) {
	q, err := core.NewQueue[core.Log](depth)
	if err != nil {
		return nil, err
	}
	return &serverLog{q: q}, nil
}

// add is the core server's Logger: it never blocks.
func (l *serverLog) add(r core.Log) {
	if !l.q.TryPush(r) {
		l.dropped.Add(1)
	}
}

func (l *serverLog) droppedCount() int64 {
	if l == nil {
		return 0
	}
	return l.dropped.Load()
}

func (l *serverLog) free() {
	l.q.Close()
	l.q.Free()
	l.mu.Lock()
	C.free(l.mem)
	l.mem = nil
	l.mu.Unlock()
}

// logOf looks up a server handle and its log.
func logOf(p *C.porter_server) (*serverLog, C.int) {
	s, rc := serverOf(p)
	switch {
	case s == nil:
		return nil, rc
	case s.log == nil:
		return nil, C.PORTER_ESTATE
	}
	return s.log, C.PORTER_OK
}

//export capi_server_log_next
func capi_server_log_next(p *C.porter_server, out *C.porter_log) (rc C.int) {
	defer guard(&rc)
	l, rc := logOf(p)
	if l == nil {
		return rc
	}
	if out == nil || out.size < C.sizeof_porter_log {
		return C.PORTER_EINVAL
	}
	var one [1]core.Log
	if n, _ := l.q.Pop(one[:], 0); n == 0 {
		return 0
	}
	r := &one[0]
	l.mu.Lock()
	defer l.mu.Unlock()
	C.free(l.mem)
	message := ""
	if r.Kind == core.LogError && r.Cause != nil {
		message = r.Cause.Error()
	}
	strs := [...]string{r.Method, r.Target, r.Remote, message}
	size := 1
	for _, str := range strs {
		size += len(str)
	}
	l.mem = C.malloc(C.size_t(size))
	if l.mem == nil {
		return C.PORTER_EINTERNAL
	}
	block := unsafe.Slice((*byte)(l.mem), size)
	off := 0
	put := func(str string) (*C.char, C.size_t) {
		p := (*C.char)(unsafe.Pointer(&block[off]))
		off += copy(block[off:], str)
		return p, C.size_t(len(str))
	}
	*out = C.porter_log{size: out.size}
	out.method, out.method_len = put(r.Method)
	out.target, out.target_len = put(r.Target)
	out.remote, out.remote_len = put(r.Remote)
	out.message, out.message_len = put(message)
	out.kind = C.PORTER_LOG_ACCESS
	if r.Kind == core.LogError {
		out.kind = C.PORTER_LOG_ERROR
	} else if r.Cause != nil {
		out.code = code(r.Cause)
	}
	out.status = C.int(r.Status)
	out.version = C.int(r.Version)
	out.bytes_in = C.int64_t(r.BytesIn)
	out.bytes_out = C.int64_t(r.BytesOut)
	out.duration_us = C.int64_t(r.Duration.Microseconds())
	return 1
}

//export capi_server_log_pollfd
func capi_server_log_pollfd(p *C.porter_server) (rc C.int) {
	defer guard(&rc)
	l, rc := logOf(p)
	if l == nil {
		return rc
	}
	return C.int(l.q.Fd())
}
