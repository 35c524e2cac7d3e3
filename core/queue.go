package core

import (
	"sync"
	"syscall"
	"time"
	"unsafe"
)

// Queue carries loop-mode events from porter to the host's threads: many
// producers, many consumers, and a file descriptor that is readable
// while events wait that no consumer is about to take (and once the
// queue is closed).
//
// A consumer that finds the queue empty waits for that descriptor, or,
// once PollWith gave it a server's Poll, runs the server's loop: the
// requests the loop reads land in the queue, and the loop's descriptor
// also waits for the queue's (Server.OpenLoop).
//
// Lifetime: NewQueue, Push/TryPush and Pop from any goroutine, Close when
// no more events will come, Free once no one polls the descriptor.
type Queue[T any] struct {
	depth int
	rfd   int // readable while events wait
	wfd   int
	poll  func(timeout time.Duration, most int)

	mu       sync.Mutex
	items    []T
	head     int
	signaled bool // a byte sits in the pipe
	taking   int  // consumers in a hold (pollThenTake): pushes need not signal
	isClosed bool
}

// NewQueue makes a queue that TryPush keeps to depth waiting events.
func NewQueue[T any](depth int) (*Queue[T], error) {
	var fds [2]int
	if err := syscall.Pipe2(fds[:], syscall.O_NONBLOCK|syscall.O_CLOEXEC); err != nil {
		return nil, err
	}
	return &Queue[T]{depth: depth, rfd: fds[0], wfd: fds[1]}, nil
}

// Fd returns the descriptor that is readable while events wait.
func (q *Queue[T]) Fd() int { return q.rfd }

// PollWith makes consumers run poll (a server's Poll) when they find
// fewer events than they take, and while they wait for them. Call it
// before any Pop.
func (q *Queue[T]) PollWith(poll func(timeout time.Duration, most int)) { q.poll = poll }

// TryPush adds an event unless depth events already wait.
func (q *Queue[T]) TryPush(v T) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.items)-q.head >= q.depth {
		return false
	}
	q.items = append(q.items, v)
	q.announce()
	return true
}

// Push adds an event whatever the depth: events of requests the host
// already holds are never dropped.
func (q *Queue[T]) Push(v T) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.items = append(q.items, v)
	q.announce()
}

// Pop moves up to len(dst) events into dst. A negative timeout waits
// until an event comes, zero does not wait. It returns ErrServerClosed
// once the queue is closed and empty.
func (q *Queue[T]) Pop(dst []T, timeout time.Duration) (int, error) {
	var deadline time.Time
	if timeout > 0 {
		deadline = time.Now().Add(timeout)
	}
	for wait := time.Duration(0); ; {
		var n int
		var err error
		switch {
		case q.poll != nil:
			n, err = q.pollThenTake(dst, wait)
		default:
			if wait != 0 {
				waitReadable(q.rfd, wait)
			}
			n, err = q.take(dst)
		}
		if n > 0 || err != nil || timeout == 0 || len(dst) == 0 {
			return n, err
		}
		if wait = -1; timeout > 0 {
			if wait = time.Until(deadline); wait <= 0 {
				return 0, nil
			}
		}
	}
}

// pollThenTake polls for no more than dst has room for, so that a
// request is answered while what its reading touched is still in the
// cache, then takes. A poll that does not wait holds the descriptor down
// meanwhile: the events it queues, the bulk under load, are this
// consumer's, and signalling them through the pipe would cost two system
// calls that tell no one anything. A blocking poll must not hold it: a
// thread asleep in the loop waits for the pipe too.
func (q *Queue[T]) pollThenTake(dst []T, wait time.Duration) (int, error) {
	room, held := q.hold(len(dst), wait == 0)
	if held {
		defer q.release()
	}
	if room > 0 {
		q.poll(wait, room)
	}
	return q.take(dst)
}

// hold returns how much room a consumer taking up to want has left; with
// quiet set and room left, it holds the descriptor down until release.
func (q *Queue[T]) hold(want int, quiet bool) (room int, held bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	room = want - (len(q.items) - q.head)
	if held = quiet && room > 0; held {
		q.taking++
	}
	return room, held
}

// release ends a hold, signalling what the holder left for others.
func (q *Queue[T]) release() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.taking--
	if q.head < len(q.items) {
		q.raise()
	}
}

// take moves the events that wait into dst.
func (q *Queue[T]) take(dst []T) (int, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := copy(dst, q.items[q.head:])
	if n == 0 && q.isClosed {
		return 0, ErrServerClosed
	}
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
	return n, nil
}

// Close says no more events will come: consumers drain what waits, then
// get ErrServerClosed, and the descriptor stays readable.
func (q *Queue[T]) Close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.isClosed = true
	q.raise()
}

// Free closes the descriptors.
func (q *Queue[T]) Free() {
	syscall.Close(q.rfd)
	syscall.Close(q.wfd)
}

// announce makes the descriptor readable for a new event, unless a
// consumer will take it anyway. Called with mu.
func (q *Queue[T]) announce() {
	if q.taking == 0 {
		q.raise()
	}
}

// raise makes the descriptor readable. Called with mu.
func (q *Queue[T]) raise() {
	if !q.signaled {
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

// waitReadable waits up to timeout (negative: no limit) for fd to be
// readable.
func waitReadable(fd int, timeout time.Duration) {
	pfd := struct {
		fd              int32
		events, revents int16
	}{fd: int32(fd), events: 1} // POLLIN
	var ts *syscall.Timespec
	if timeout >= 0 {
		t := syscall.NsecToTimespec(int64(timeout))
		ts = &t
	}
	syscall.Syscall6(syscall.SYS_PPOLL, uintptr(unsafe.Pointer(&pfd)), 1, uintptr(unsafe.Pointer(ts)), 0, 0, 0)
}
