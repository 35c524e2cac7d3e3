package core

import (
	"sync"
	"syscall"
	"time"
)

// Queue carries loop-mode events from porter's goroutines to the host's
// threads: many producers, many consumers, and a file descriptor that is
// readable exactly while events wait (or once the queue is closed), for
// the host's poll loop.
//
// Lifetime: NewQueue, Push/TryPush and Pop from any goroutine, Close when
// no more events will come, Free once no one polls the descriptor.
type Queue[T any] struct {
	depth  int
	rfd    int // the pipe the host polls
	wfd    int
	wake   chan struct{} // an event is waiting (passed on between consumers)
	closed chan struct{}

	mu       sync.Mutex
	items    []T
	head     int
	polled   bool // someone asked for the descriptor: keep it in step
	signaled bool // a byte sits in the pipe
	isClosed bool
}

// NewQueue makes a queue that TryPush keeps to depth waiting events.
func NewQueue[T any](depth int) (*Queue[T], error) {
	var fds [2]int
	if err := syscall.Pipe2(fds[:], syscall.O_NONBLOCK|syscall.O_CLOEXEC); err != nil {
		return nil, err
	}
	return &Queue[T]{
		depth:  depth,
		rfd:    fds[0],
		wfd:    fds[1],
		wake:   make(chan struct{}, 1),
		closed: make(chan struct{}),
	}, nil
}

// Fd returns the descriptor that is readable while events wait. The
// queue keeps the descriptor in step only once it was asked for, so
// hosts that block in Pop pay no system calls for it.
func (q *Queue[T]) Fd() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.polled {
		q.polled = true
		if len(q.items) > q.head || q.isClosed {
			q.raise()
		}
	}
	return q.rfd
}

// TryPush adds an event unless depth events already wait.
func (q *Queue[T]) TryPush(v T) bool {
	q.mu.Lock()
	if len(q.items)-q.head >= q.depth {
		q.mu.Unlock()
		return false
	}
	q.add(v)
	return true
}

// Push adds an event whatever the depth: events of requests the host
// already holds are never dropped.
func (q *Queue[T]) Push(v T) {
	q.mu.Lock()
	q.add(v)
}

// add appends v and unlocks.
func (q *Queue[T]) add(v T) {
	q.items = append(q.items, v)
	q.raise()
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// Pop moves up to len(dst) events into dst. A negative timeout waits
// until an event comes, zero does not wait. It returns ErrServerClosed
// once the queue is closed and empty.
func (q *Queue[T]) Pop(dst []T, timeout time.Duration) (int, error) {
	var expired <-chan time.Time
	for {
		q.mu.Lock()
		if n := copy(dst, q.items[q.head:]); n > 0 {
			q.take(n)
			left := len(q.items) > q.head
			q.mu.Unlock()
			if left {
				select {
				case q.wake <- struct{}{}: // the next consumer's turn
				default:
				}
			}
			return n, nil
		}
		closed := q.isClosed
		q.mu.Unlock()
		if closed {
			return 0, ErrServerClosed
		}
		if timeout == 0 || len(dst) == 0 {
			return 0, nil
		}
		if expired == nil && timeout > 0 {
			t := time.NewTimer(timeout)
			defer t.Stop()
			expired = t.C
		}
		select {
		case <-q.wake:
		case <-q.closed:
		case <-expired:
			return 0, nil
		}
	}
}

// take drops the first n waiting events. Called with mu.
func (q *Queue[T]) take(n int) {
	var zero T
	for i := q.head; i < q.head+n; i++ {
		q.items[i] = zero // let the collector have what they held
	}
	q.head += n
	switch {
	case q.head == len(q.items):
		q.items, q.head = q.items[:0], 0
		if !q.isClosed {
			q.lower()
		}
	case q.head > 1024 && q.head > len(q.items)/2:
		q.items = q.items[:copy(q.items, q.items[q.head:])]
		q.head = 0
	}
}

// Close says no more events will come: consumers drain what waits, then
// get ErrServerClosed, and the descriptor stays readable.
func (q *Queue[T]) Close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.isClosed {
		q.isClosed = true
		q.raise()
		close(q.closed)
	}
}

// Free closes the descriptors.
func (q *Queue[T]) Free() {
	syscall.Close(q.rfd)
	syscall.Close(q.wfd)
}

// raise makes the descriptor readable. Called with mu.
func (q *Queue[T]) raise() {
	if q.polled && !q.signaled {
		q.signaled = true
		syscall.Write(q.wfd, []byte{1})
	}
}

// lower makes the descriptor unreadable. Called with mu.
func (q *Queue[T]) lower() {
	if q.signaled {
		q.signaled = false
		var b [1]byte
		syscall.Read(q.rfd, b[:])
	}
}
