package main

/*
#include "capi.h"
*/
import "C"

import (
	"sync"
	"unsafe"

	"github.com/porter-http/porter/core"
)

// newView copies a request into one block of C memory: the porter_request,
// its header array, then every string NUL-terminated, then the body. The
// host reads it without crossing into Go; freeView releases it.
func newView(q *core.Request) *C.porter_request {
	const (
		viewSize   = C.sizeof_porter_request
		headerSize = C.sizeof_porter_header
	)
	size := viewSize + len(q.Headers)*headerSize + len(q.Body)
	for _, s := range [...]string{q.Method, q.Target, q.Path, q.Query, q.Host, q.Remote, q.ServerName} {
		size += len(s) + 1
	}
	for _, h := range q.Headers {
		size += len(h.Name) + 1 + len(h.Value) + 1
	}
	mem := allocView(size)
	if mem == nil {
		return nil
	}
	block := unsafe.Slice((*byte)(mem), size)
	v := (*C.porter_request)(mem)
	headers := unsafe.Slice((*C.porter_header)(unsafe.Pointer(&block[viewSize])), len(q.Headers))
	off := viewSize + len(q.Headers)*headerSize
	put := func(s string) (*C.char, C.size_t) {
		p := (*C.char)(unsafe.Pointer(&block[off]))
		off += copy(block[off:], s)
		block[off] = 0
		off++
		return p, C.size_t(len(s))
	}

	*v = C.porter_request{size: viewSize}
	v.method, v.method_len = put(q.Method)
	v.target, v.target_len = put(q.Target)
	v.path, v.path_len = put(q.Path)
	v.query, v.query_len = put(q.Query)
	v.host, v.host_len = put(q.Host)
	v.remote, v.remote_len = put(q.Remote)
	v.version = C.int(q.Version)
	v.server_name, v.server_name_len = put(q.ServerName)
	if q.TLS {
		v.tls = 1
	}
	for i, h := range q.Headers {
		headers[i].name, headers[i].name_len = put(h.Name)
		headers[i].value, headers[i].value_len = put(h.Value)
	}
	if len(q.Headers) > 0 {
		v.headers, v.header_count = &headers[0], C.size_t(len(q.Headers))
	}
	if len(q.Body) > 0 {
		v.body = unsafe.Pointer(&block[off])
		v.body_len = C.size_t(copy(block[off:], q.Body))
	}
	v.content_length = C.int64_t(q.ContentLength)
	return v
}

// Views of up to viewBlock bytes, most requests' (a browser's head is
// about 1 KiB), take blocks of that size that are kept for reuse: a
// malloc and a free are each a call into C. A block starts with its
// size, and the view follows at viewOffset.
const (
	viewBlock    = 2 << 10
	viewOffset   = 16 // keeps the view aligned as malloc's memory is
	maxFreeViews = 1024
)

var viewBlocks struct {
	mu   sync.Mutex
	free []unsafe.Pointer
}

func allocView(size int) unsafe.Pointer {
	size += viewOffset
	var block unsafe.Pointer
	if size <= viewBlock {
		size = viewBlock
		viewBlocks.mu.Lock()
		if n := len(viewBlocks.free); n > 0 {
			block = viewBlocks.free[n-1]
			viewBlocks.free = viewBlocks.free[:n-1]
		}
		viewBlocks.mu.Unlock()
	}
	if block == nil {
		if block = C.malloc(C.size_t(size)); block == nil {
			return nil
		}
	}
	*(*int)(block) = size
	return unsafe.Add(block, viewOffset)
}

func freeView(v *C.porter_request) {
	block := unsafe.Add(unsafe.Pointer(v), -viewOffset)
	if *(*int)(block) == viewBlock {
		viewBlocks.mu.Lock()
		if len(viewBlocks.free) < maxFreeViews {
			viewBlocks.free = append(viewBlocks.free, block)
			block = nil
		}
		viewBlocks.mu.Unlock()
	}
	if block != nil {
		C.free(block)
	}
}

// goHeaders views a host's header array as Go headers, in dst when it
// is large enough. The strings alias host memory: they are valid for the
// duration of the call only, which is all core needs (it copies what it
// writes before returning).
func goHeaders(dst []core.Header, h *C.porter_cheader, n C.size_t) ([]core.Header, bool) {
	if n == 0 {
		return nil, true
	}
	if h == nil {
		return nil, false
	}
	out := dst[:0]
	for _, f := range unsafe.Slice(h, n) {
		if (f.name == nil && f.name_len > 0) || (f.value == nil && f.value_len > 0) {
			return nil, false
		}
		out = append(out, core.Header{
			Name:  unsafe.String((*byte)(unsafe.Pointer(f.name)), int(f.name_len)),
			Value: unsafe.String((*byte)(unsafe.Pointer(f.value)), int(f.value_len)),
		})
	}
	return out, true
}

// bytes views host memory as a Go slice for the duration of a call.
func bytes(p *C.porter_cvoid, n C.size_t) ([]byte, bool) {
	if n == 0 {
		return nil, true
	}
	if p == nil {
		return nil, false
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(p)), n), true
}
