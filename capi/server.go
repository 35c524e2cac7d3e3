package main

/*
#include "capi.h"
*/
import "C"

import (
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	pointer "github.com/mattn/go-pointer"
	"github.com/porter-http/porter/core"
)

// server is what a porter_server handle stands for. It is the core
// server's Host: it turns exchanges into request handles and delivers
// events by callback or through the loop-mode queue.
type server struct {
	core     *core.Server
	handler  C.porter_handler_cb
	userData unsafe.Pointer
	queue    *core.Queue[event] // loop mode only
	pollfd   int                // loop mode: the loop's descriptor (server_pollfd)
	log      *serverLog         // with log_depth only

	mu     sync.Mutex
	errmsg string
	freed  bool
}

// event is a queued loop-mode event of the request handle names. Its
// code and data are read when it is delivered, and the handle looked up
// again: the request may be gone by then, its memory serving another.
type event struct {
	kind   C.int
	handle uint64
}

// request is what a porter_req handle stands for.
type request struct {
	x        core.Exchange
	srv      *server
	handle   uint64
	view     *C.porter_request
	data     atomic.Uintptr // req_set_data's value, carried, never dereferenced
	released atomic.Bool
	// The handle table's pin and one per call in progress: the last to
	// unpin frees the view and releases the exchange, and once porter
	// is done with the exchange too (EventDone) the request is reused.
	pins atomic.Int32
}

var requestPool = sync.Pool{New: func() any { return new(request) }}

// Request dispatches a new exchange: callback mode calls the handler now,
// loop mode queues the event (or refuses when the queue is full).
func (s *server) Request(x core.Exchange) bool {
	r := requestPool.Get().(*request)
	r.x, r.srv = x, s
	r.pins.Store(1)
	if r.view = newView(x.Request()); r.view == nil {
		return false
	}
	if r.handle = requests.add(r); r.handle == 0 {
		freeView(r.view)
		return false
	}
	x.Watch(r)
	if s.queue == nil {
		s.deliver(C.PORTER_EV_REQUEST, r)
		return true
	}
	if !s.queue.TryPush(event{C.PORTER_EV_REQUEST, r.handle}) {
		requests.remove(r.handle) // refused: the exchange is not the host's to release
		freeView(r.view)
		return false
	}
	return true
}

// Event passes an exchange's event on to the host. Callback-mode hosts
// block instead of waiting for events, so only aborts reach them.
func (r *request) Event(kind core.EventKind) {
	var k C.int
	switch kind {
	case core.EventBody:
		k = C.PORTER_EV_BODY
	case core.EventWritable:
		k = C.PORTER_EV_WRITABLE
	case core.EventAbort:
		k = C.PORTER_EV_ABORT
	case core.EventDone:
		*r = request{}
		requestPool.Put(r)
		return
	}
	if r.srv.queue != nil {
		r.srv.queue.Push(event{k, r.handle})
	} else if k == C.PORTER_EV_ABORT && !r.released.Load() {
		r.srv.deliver(k, r)
	}
}

// deliver calls the host's handler with an event.
func (s *server) deliver(kind C.int, r *request) {
	var view *C.porter_request
	if kind == C.PORTER_EV_REQUEST {
		view = r.view
	}
	C.capi_dispatch(C.uintptr_t(uintptr(unsafe.Pointer(s.handler))), C.uintptr_t(uintptr(s.userData)),
		kind, r.eventCode(kind), C.porter_req(r.handle),
		C.uintptr_t(uintptr(unsafe.Pointer(view))), C.uintptr_t(r.data.Load()))
}

func (r *request) eventCode(kind C.int) C.int {
	if kind == C.PORTER_EV_ABORT {
		return code(r.x.Cause())
	}
	return 0
}

// release frees the request's handle, and its view and exchange once
// no call uses them; it reports whether this call did it.
func (r *request) release() bool {
	if requests.remove(r.handle) == nil {
		return false
	}
	r.released.Store(true)
	r.unpin() // the table's
	return true
}

func (r *request) unpin() {
	if r.pins.Add(-1) == 0 {
		freeView(r.view)
		r.x.Release()
	}
}

// fail records a server's error detail for server_errmsg.
func (s *server) fail(rc C.int, detail string) C.int {
	s.mu.Lock()
	s.errmsg = detail
	s.mu.Unlock()
	return rc
}

// serverOf looks a server handle up; every server_* export but
// server_new starts here (exports.c has checked for a fork).
func serverOf(p *C.porter_server) (*server, C.int) {
	if p == nil {
		return nil, C.PORTER_EINVAL
	}
	s, _ := pointer.Restore(unsafe.Pointer(p)).(*server)
	if s == nil {
		return nil, C.PORTER_EHANDLE
	}
	return s, C.PORTER_OK
}

// copyOut copies s into a caller's buffer with snprintf semantics (a
// NULL buffer of capacity 0 asks for the length only).
func copyOut(s string, buf *C.char, capacity C.size_t) C.int {
	if buf == nil && capacity > 0 {
		return C.PORTER_EINVAL
	}
	if capacity > 0 {
		dst := unsafe.Slice((*byte)(unsafe.Pointer(buf)), capacity)
		dst[copy(dst[:capacity-1], s)] = 0
	}
	return C.int(len(s))
}

func millis(ms C.int) time.Duration { return time.Duration(ms) * time.Millisecond }

// configV01 is the size of porter_config in version 0.1, the smallest a
// host may pass. A newer porter reads a field only when the host's size
// covers it, so a host built against an older header gets the defaults.
const configV01 = int(unsafe.Offsetof(C.porter_config{}.disable_http2))

// readConfig copies the host's config; NULL means all defaults. A config
// larger than porter knows is refused unless the unknown part is zero: a
// newer host would be asking for something this porter cannot do.
func readConfig(cfg *C.porter_cconfig) (c C.porter_config, ok bool) {
	if cfg == nil {
		return c, true
	}
	const known = C.sizeof_porter_config
	size := int(cfg.size)
	if size < configV01 {
		return c, false
	}
	given := unsafe.Slice((*byte)(unsafe.Pointer(cfg)), size)
	for _, b := range given[min(size, known):] {
		if b != 0 {
			return c, false
		}
	}
	copy(unsafe.Slice((*byte)(unsafe.Pointer(&c)), known), given)
	return c, true
}

//export capi_server_new
func capi_server_new(cfg *C.porter_cconfig, out **C.porter_server) (rc C.int) {
	defer guard(&rc)
	if out == nil {
		return C.PORTER_EINVAL
	}
	*out = nil
	c, ok := readConfig(cfg)
	if !ok {
		return C.PORTER_EINVAL
	}
	for _, flag := range []C.int{c.stream_bodies, c.disable_http2, c.h2c} {
		if flag != 0 && flag != 1 {
			return C.PORTER_EINVAL
		}
	}
	ints := []C.int{c.queue_depth, c.max_connections, c.max_header_count,
		c.header_timeout_ms, c.body_timeout_ms, c.idle_timeout_ms, c.write_timeout_ms,
		c.response_timeout_ms, c.max_streams, c.log_depth}
	for _, v := range ints {
		if v < 0 {
			return C.PORTER_EINVAL
		}
	}
	const maxSize = 1 << 40 // sizes beyond this are mistakes (a negative cast)
	for _, v := range []C.size_t{c.max_request_line, c.max_header_bytes, c.max_body_bytes, c.stream_buffer} {
		if v > maxSize {
			return C.PORTER_EINVAL
		}
	}
	s := &server{handler: c.handler, userData: c.user_data}
	var logger func(core.Log)
	if c.log_depth > 0 {
		l, err := newServerLog(int(c.log_depth))
		if err != nil {
			return C.PORTER_EINTERNAL
		}
		s.log, logger = l, l.add
	}
	s.core = core.NewServer(core.Config{
		StreamBodies:    c.stream_bodies != 0,
		QueueDepth:      int(c.queue_depth),
		MaxConnections:  int(c.max_connections),
		MaxHeaderCount:  int(c.max_header_count),
		MaxRequestLine:  int(c.max_request_line),
		MaxHeaderBytes:  int(c.max_header_bytes),
		MaxBodyBytes:    int64(c.max_body_bytes),
		StreamBuffer:    int(c.stream_buffer),
		HeaderTimeout:   millis(c.header_timeout_ms),
		BodyTimeout:     millis(c.body_timeout_ms),
		IdleTimeout:     millis(c.idle_timeout_ms),
		WriteTimeout:    millis(c.write_timeout_ms),
		ResponseTimeout: millis(c.response_timeout_ms),
		DisableHTTP2:    c.disable_http2 != 0,
		H2C:             c.h2c != 0,
		MaxStreams:      int(c.max_streams),
		Logger:          logger,
	}, s, s.handler != nil)
	if s.handler == nil {
		q, err := core.NewQueue[event](s.core.Config().QueueDepth)
		if err != nil {
			return C.PORTER_EINTERNAL
		}
		// The host's threads run the server's loop from server_next, and
		// poll its descriptor, which waits for the queue too.
		if s.pollfd, err = s.core.OpenLoop(q.Fd()); err != nil {
			q.Free()
			return C.PORTER_EINTERNAL
		}
		q.PollWith(s.core.Poll)
		s.queue = q
		go func() {
			<-s.core.Done()
			s.queue.Close()
		}()
	}
	*out = (*C.porter_server)(pointer.Save(s))
	return C.PORTER_OK
}

//export capi_server_listen
func capi_server_listen(p *C.porter_server, addr *C.porter_cchar) C.int {
	return capi_server_listen_opts(p, addr, nil)
}

//export capi_server_listen_opts
func capi_server_listen_opts(p *C.porter_server, addr *C.porter_cchar, opts *C.porter_clisten_options) (rc C.int) {
	defer guard(&rc)
	s, rc := serverOf(p)
	if s == nil {
		return rc
	}
	if addr == nil {
		return C.PORTER_EINVAL
	}
	var opt core.ListenOptions
	if opts != nil {
		const known = C.PORTER_LISTEN_REUSEPORT | C.PORTER_LISTEN_V6ONLY | C.PORTER_LISTEN_TLS |
			C.PORTER_LISTEN_SCGI
		if opts.size < C.size_t(unsafe.Sizeof(*opts)) || opts.flags&^known != 0 ||
			opts.unix_mode < 0 || opts.unix_mode > 0o777 {
			return C.PORTER_EINVAL
		}
		opt = core.ListenOptions{
			ReusePort: opts.flags&C.PORTER_LISTEN_REUSEPORT != 0,
			V6Only:    opts.flags&C.PORTER_LISTEN_V6ONLY != 0,
			TLS:       opts.flags&C.PORTER_LISTEN_TLS != 0,
			SCGI:      opts.flags&C.PORTER_LISTEN_SCGI != 0,
			UnixMode:  os.FileMode(opts.unix_mode),
		}
	}
	i, err := s.core.Listen(C.GoString((*C.char)(addr)), opt)
	return s.listened(i, err, "server_listen")
}

//export capi_server_listen_fd
func capi_server_listen_fd(p *C.porter_server, fd C.int) (rc C.int) {
	defer guard(&rc)
	s, rc := serverOf(p)
	if s == nil {
		return rc
	}
	i, err := s.core.ListenFD(int(fd))
	return s.listened(i, err, "server_listen_fd")
}

// listened turns the outcome of a Listen call into a code.
func (s *server) listened(i int, err error, call string) C.int {
	if err == core.ErrState {
		return s.fail(C.PORTER_ESTATE, call+": the server already started")
	}
	if err != nil {
		return s.fail(C.PORTER_ELISTEN, err.Error())
	}
	return C.int(i)
}

//export capi_server_tls_certs
func capi_server_tls_certs(p *C.porter_server, certs *C.porter_ccert, n C.size_t) (rc C.int) {
	defer guard(&rc)
	s, rc := serverOf(p)
	if s == nil {
		return rc
	}
	if certs == nil || n == 0 || n > 1<<16 {
		return C.PORTER_EINVAL
	}
	list := make([]core.Cert, n)
	for i, c := range unsafe.Slice(certs, n) {
		if c.size < C.size_t(unsafe.Sizeof(c)) {
			return C.PORTER_EINVAL
		}
		if c.cert_pem != nil {
			list[i].CertPEM = C.GoBytes(unsafe.Pointer(c.cert_pem), C.int(c.cert_pem_len))
			list[i].KeyPEM = C.GoBytes(unsafe.Pointer(c.key_pem), C.int(c.key_pem_len))
		} else if c.cert_file != nil && c.key_file != nil {
			list[i].CertFile = C.GoString((*C.char)(c.cert_file))
			list[i].KeyFile = C.GoString((*C.char)(c.key_file))
		} else {
			return s.fail(C.PORTER_EINVAL, fmt.Sprintf("server_tls_certs: certificate %d has neither PEM nor files", i))
		}
	}
	if err := s.core.SetCerts(list); err != nil {
		return s.fail(C.PORTER_EINVAL, "server_tls_certs: "+err.Error())
	}
	return C.PORTER_OK
}

//export capi_server_tls_self_signed
func capi_server_tls_self_signed(p *C.porter_server) (rc C.int) {
	defer guard(&rc)
	s, rc := serverOf(p)
	if s == nil {
		return rc
	}
	if err := s.core.SetSelfSignedCert(); err != nil {
		return s.fail(C.PORTER_EINTERNAL, "server_tls_self_signed: "+err.Error())
	}
	return C.PORTER_OK
}

//export capi_server_conn_add
func capi_server_conn_add(p *C.porter_server, fd C.int) (rc C.int) {
	defer guard(&rc)
	s, rc := serverOf(p)
	if s == nil {
		return rc
	}
	switch err := s.core.ServeFD(int(fd)); err {
	case nil:
		return C.PORTER_OK
	case core.ErrState, core.ErrWouldBlock:
		return code(err)
	default:
		return s.fail(C.PORTER_EINVAL, "server_conn_add: "+err.Error())
	}
}

//export capi_server_pause
func capi_server_pause(p *C.porter_server) (rc C.int) {
	defer guard(&rc)
	s, rc := serverOf(p)
	if s == nil {
		return rc
	}
	s.core.Pause()
	return C.PORTER_OK
}

//export capi_server_resume
func capi_server_resume(p *C.porter_server) (rc C.int) {
	defer guard(&rc)
	s, rc := serverOf(p)
	if s == nil {
		return rc
	}
	s.core.Resume()
	return C.PORTER_OK
}

//export capi_server_stats
func capi_server_stats(p *C.porter_server, out *C.porter_stats) (rc C.int) {
	defer guard(&rc)
	s, rc := serverOf(p)
	if s == nil {
		return rc
	}
	if out == nil || out.size < C.size_t(unsafe.Offsetof(out.connections)+8) {
		return C.PORTER_EINVAL
	}
	st := s.core.Stats()
	values := []int64{st.Connections, st.Accepted, st.Requests, st.BytesIn, st.BytesOut,
		st.AcceptErrors, st.RejectedMalformed, st.RejectedTooLarge, st.RejectedTimeout,
		st.RejectedUnsupported, st.RejectedOverloaded, st.TLSErrors, s.log.droppedCount(),
		st.LoopStalls, st.HostAway}
	// The counters follow size in porter.h's order; fill those that fit.
	fields := unsafe.Slice((*C.int64_t)(unsafe.Pointer(&out.connections)), len(values))
	room := (int(out.size) - int(unsafe.Offsetof(out.connections))) / 8
	for i, v := range values[:min(room, len(values))] {
		fields[i] = C.int64_t(v)
	}
	return C.PORTER_OK
}

//export capi_server_addr
func capi_server_addr(p *C.porter_server, index C.int, buf *C.char, capacity C.size_t) (rc C.int) {
	defer guard(&rc)
	s, rc := serverOf(p)
	if s == nil {
		return rc
	}
	a := s.core.AddrString(int(index))
	if a == "" {
		return C.PORTER_EINVAL
	}
	return copyOut(a, buf, capacity)
}

//export capi_server_errmsg
func capi_server_errmsg(p *C.porter_server, buf *C.char, capacity C.size_t) (rc C.int) {
	defer guard(&rc)
	s, rc := serverOf(p)
	if s == nil {
		return rc
	}
	s.mu.Lock()
	msg := s.errmsg
	s.mu.Unlock()
	return copyOut(msg, buf, capacity)
}

//export capi_server_start
func capi_server_start(p *C.porter_server) (rc C.int) {
	defer guard(&rc)
	s, rc := serverOf(p)
	if s == nil {
		return rc
	}
	switch err := s.core.Start(); err {
	case core.ErrNoCert:
		return s.fail(C.PORTER_ESTATE, "server_start: a TLS listener needs a certificate (server_tls_certs)")
	case nil:
	default:
		return s.fail(C.PORTER_ESTATE, "server_start: no listener, or already started")
	}
	return C.PORTER_OK
}

//export capi_server_serve
func capi_server_serve(p *C.porter_server) (rc C.int) {
	defer guard(&rc)
	s, rc := serverOf(p)
	if s == nil {
		return rc
	}
	if C.capi_in_handler() != 0 {
		return C.PORTER_EBUSY
	}
	if s.core.Addr(0) == nil {
		return s.fail(C.PORTER_ESTATE, "server_serve: no listener")
	}
	s.core.Start() // unless server_start did
	<-s.core.Done()
	return C.PORTER_OK
}

//export capi_server_shutdown
func capi_server_shutdown(p *C.porter_server, timeoutMS C.int) (rc C.int) {
	defer guard(&rc)
	s, rc := serverOf(p)
	if s == nil {
		return rc
	}
	if timeoutMS < 0 {
		return C.PORTER_EINVAL
	}
	s.core.Shutdown(millis(timeoutMS))
	return C.PORTER_OK
}

//export capi_server_free
func capi_server_free(p *C.porter_server) (rc C.int) {
	defer guard(&rc)
	s, rc := serverOf(p)
	if s == nil {
		return rc
	}
	if C.capi_in_handler() != 0 {
		return C.PORTER_EBUSY
	}
	s.mu.Lock()
	if s.freed {
		s.mu.Unlock()
		return C.PORTER_EHANDLE
	}
	s.freed = true
	s.mu.Unlock()
	s.core.Stop()
	<-s.core.Done()
	for _, h := range requests.owned(s) {
		if r := requests.get(h); r != nil {
			r.release()
			r.unpin()
		}
	}
	if s.queue != nil {
		s.queue.Close()
		s.core.CloseLoop()
		s.queue.Free()
	}
	if s.log != nil {
		s.log.free()
	}
	pointer.Unref(unsafe.Pointer(p))
	return C.PORTER_OK
}

//export capi_server_pollfd
func capi_server_pollfd(p *C.porter_server) (rc C.int) {
	defer guard(&rc)
	s, rc := serverOf(p)
	if s == nil {
		return rc
	}
	if s.queue == nil {
		return C.PORTER_ESTATE
	}
	return C.int(s.pollfd)
}

//export capi_server_next
func capi_server_next(p *C.porter_server, events *C.porter_event, max C.int, timeoutMS C.int) (rc C.int) {
	defer guard(&rc)
	s, rc := serverOf(p)
	if s == nil {
		return rc
	}
	if s.queue == nil {
		return C.PORTER_ESTATE
	}
	if events == nil || max <= 0 || timeoutMS < -1 {
		return C.PORTER_EINVAL
	}
	out := unsafe.Slice(events, max)
	var buf [64]event
	timeout := millis(timeoutMS)
	if timeoutMS < 0 {
		timeout = -1
	}
	for {
		n, err := s.queue.Pop(buf[:min(int(max), len(buf))], timeout)
		if err != nil {
			return code(err)
		}
		kept := 0
		for _, e := range buf[:n] {
			r := requests.get(e.handle)
			if r == nil {
				continue // the host ended the request after this event was queued
			}
			var view *C.porter_request
			if e.kind == C.PORTER_EV_REQUEST {
				view = r.view
			}
			out[kept] = C.porter_event{
				_type:   e.kind,
				code:    r.eventCode(e.kind),
				req:     C.porter_req(e.handle),
				request: view,
			}
			// data is any host value, kept as an integer so that Go never
			// takes it for a pointer.
			*(*uintptr)(unsafe.Pointer(&out[kept].data)) = r.data.Load()
			r.unpin()
			kept++
		}
		if kept > 0 || n == 0 {
			return C.int(kept)
		}
	}
}
