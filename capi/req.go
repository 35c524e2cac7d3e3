package main

/*
#include "capi.h"
*/
import "C"

import (
	"io"
	"math"
	"strings"
	"sync"
	"unsafe"

	"github.com/porter-http/porter/core"
)

// requestOf looks a handle up and pins its request, which the caller
// unpins when done; every req_* export starts here (exports.c has
// checked for a fork).
func requestOf(h C.porter_req) (*request, C.int) {
	r := requests.get(uint64(h))
	if r == nil {
		return nil, C.PORTER_EHANDLE
	}
	return r, C.PORTER_OK
}

// end completes an ending call (respond, finish, abort): it releases the
// handle, unless the call was refused and left the request as it was, so
// the host may still answer it.
func (r *request) end(err error) C.int {
	if err != nil && !r.x.Ended() {
		return code(err)
	}
	if !r.release() {
		return C.PORTER_EHANDLE // another thread ended it meanwhile
	}
	return code(err)
}

//export capi_req_view
func capi_req_view(h C.porter_req, out **C.porter_crequest) (rc C.int) {
	defer guard(&rc)
	r, rc := requestOf(h)
	if r == nil {
		return rc
	}
	defer r.unpin()
	if out == nil {
		return C.PORTER_EINVAL
	}
	*out = (*C.porter_crequest)(r.view)
	return C.PORTER_OK
}

//export capi_req_header
func capi_req_header(h C.porter_req, name *C.porter_cchar, nameLen C.size_t, value **C.porter_cchar, valueLen *C.size_t) (rc C.int) {
	defer guard(&rc)
	r, rc := requestOf(h)
	if r == nil {
		return rc
	}
	defer r.unpin()
	want, ok := bytes((*C.porter_cvoid)(unsafe.Pointer(name)), nameLen)
	if !ok || value == nil || valueLen == nil {
		return C.PORTER_EINVAL
	}
	for i, f := range r.x.Request().Headers {
		if strings.EqualFold(f.Name, string(want)) {
			v := unsafe.Slice(r.view.headers, r.view.header_count)[i]
			*value, *valueLen = (*C.porter_cchar)(v.value), v.value_len
			return C.PORTER_OK
		}
	}
	return C.PORTER_ENOTFOUND
}

//export capi_req_set_data
func capi_req_set_data(h C.porter_req, data unsafe.Pointer) (rc C.int) {
	defer guard(&rc)
	r, rc := requestOf(h)
	if r == nil {
		return rc
	}
	defer r.unpin()
	r.data.Store(uintptr(data))
	return C.PORTER_OK
}

//export capi_req_body_read
func capi_req_body_read(h C.porter_req, buf unsafe.Pointer, capacity C.size_t) (rc C.int) {
	defer guard(&rc)
	r, rc := requestOf(h)
	if r == nil {
		return rc
	}
	defer r.unpin()
	if buf == nil && capacity > 0 {
		return C.PORTER_EINVAL
	}
	p := unsafe.Slice((*byte)(buf), min(capacity, math.MaxInt32))
	n, err := r.x.ReadBody(p)
	if err == io.EOF {
		err = nil
	}
	if err != nil {
		return code(err)
	}
	return C.int(n)
}

// headerBufs hold the response headers of a call while core formats
// them: core keeps none of them past the call.
var headerBufs = sync.Pool{New: func() any { b := make([]core.Header, 16); return &b }}

func putHeaders(b *[]core.Header) {
	clear(*b) // no view of the host's memory outlives the call
	headerBufs.Put(b)
}

//export capi_req_respond
func capi_req_respond(h C.porter_req, status C.int, headers *C.porter_cheader, count C.size_t, body *C.porter_cvoid, bodyLen C.size_t) (rc C.int) {
	defer guard(&rc)
	r, rc := requestOf(h)
	if r == nil {
		return rc
	}
	defer r.unpin()
	buf := headerBufs.Get().(*[]core.Header)
	defer putHeaders(buf)
	hs, ok := goHeaders(*buf, headers, count)
	b, ok2 := bytes(body, bodyLen)
	if !ok || !ok2 {
		return C.PORTER_EINVAL
	}
	return r.end(r.x.Respond(int(status), hs, b))
}

//export capi_req_write_head
func capi_req_write_head(h C.porter_req, status C.int, headers *C.porter_cheader, count C.size_t, length C.int64_t) (rc C.int) {
	defer guard(&rc)
	r, rc := requestOf(h)
	if r == nil {
		return rc
	}
	defer r.unpin()
	buf := headerBufs.Get().(*[]core.Header)
	defer putHeaders(buf)
	hs, ok := goHeaders(*buf, headers, count)
	if !ok || length < -1 {
		return C.PORTER_EINVAL
	}
	return code(r.x.WriteHead(int(status), hs, int64(length)))
}

//export capi_req_write
func capi_req_write(h C.porter_req, data *C.porter_cvoid, n C.size_t) (rc C.int) {
	defer guard(&rc)
	r, rc := requestOf(h)
	if r == nil {
		return rc
	}
	defer r.unpin()
	p, ok := bytes(data, min(n, math.MaxInt32))
	if !ok {
		return C.PORTER_EINVAL
	}
	written, err := r.x.Write(p)
	if err != nil {
		return code(err)
	}
	return C.int(written)
}

//export capi_req_finish
func capi_req_finish(h C.porter_req) (rc C.int) {
	defer guard(&rc)
	r, rc := requestOf(h)
	if r == nil {
		return rc
	}
	defer r.unpin()
	return r.end(r.x.Finish())
}

//export capi_req_abort
func capi_req_abort(h C.porter_req) (rc C.int) {
	defer guard(&rc)
	r, rc := requestOf(h)
	if r == nil {
		return rc
	}
	defer r.unpin()
	return r.end(r.x.Abort())
}
