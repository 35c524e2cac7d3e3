package core

import (
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// readable polls fd without waiting (ppoll with a zero timeout).
func readable(t *testing.T, fd int) bool {
	t.Helper()
	const pollIn = 0x1
	pfd := struct {
		fd              int32
		events, revents int16
	}{fd: int32(fd), events: pollIn}
	var ts syscall.Timespec
	for {
		n, _, errno := syscall.Syscall6(syscall.SYS_PPOLL, uintptr(unsafe.Pointer(&pfd)), 1,
			uintptr(unsafe.Pointer(&ts)), 0, 0, 0)
		if errno == syscall.EINTR {
			continue
		}
		if errno != 0 {
			t.Fatalf("ppoll: %v", errno)
		}
		return n == 1 && pfd.revents&pollIn != 0
	}
}

func newQueue(t *testing.T, depth int) *Queue[int] {
	t.Helper()
	q, err := NewQueue[int](depth)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(q.Free)
	return q
}

func checkReadable(t *testing.T, q *Queue[int], want bool, when string) {
	t.Helper()
	if got := readable(t, q.Fd()); got != want {
		t.Fatalf("%s: fd readable = %v, want %v", when, got, want)
	}
}

func pop(t *testing.T, q *Queue[int], max int, timeout time.Duration) ([]int, error) {
	t.Helper()
	dst := make([]int, max)
	n, err := q.Pop(dst, timeout)
	return dst[:n], err
}

// deliveries counts how often consumers took each of the events 0..n-1.
type deliveries struct {
	mu   sync.Mutex
	seen []int32
	wg   sync.WaitGroup
}

// consume starts consumers that pop batches of 1, 1+step, 1+2*step, ...
// events, waiting for them, until the queue is closed and drained.
func consume(t *testing.T, q *Queue[int], consumers, step, events int) *deliveries {
	d := &deliveries{seen: make([]int32, events)}
	for c := range consumers {
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			dst := make([]int, 1+c*step)
			for {
				n, err := q.Pop(dst, -1)
				if err == ErrServerClosed {
					return
				}
				if err != nil || n == 0 {
					t.Errorf("Pop(-1) = %d, %v", n, err)
					return
				}
				d.mu.Lock()
				for _, v := range dst[:n] {
					d.seen[v]++
				}
				d.mu.Unlock()
			}
		}()
	}
	return d
}

// produce runs producers that each push their share of the events
// 0..producers*each-1 (v; i is its place in the share), and waits for
// them.
func produce(producers, each int, push func(i, v int)) {
	var wg sync.WaitGroup
	for p := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				push(i, p*each+i)
			}
		}()
	}
	wg.Wait()
}

// taken is how many events the consumers took in all.
func (d *deliveries) taken() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	total := 0
	for _, n := range d.seen {
		total += int(n)
	}
	return total
}

// finish waits for the consumers, once the queue is closed, and checks
// that each event was taken exactly once.
func (d *deliveries) finish(t *testing.T) {
	t.Helper()
	done := make(chan struct{})
	go func() { d.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(waitLong):
		t.Fatal("consumers did not finish after Close")
	}
	for v, n := range d.seen {
		if n != 1 {
			t.Fatalf("event %d taken %d times", v, n)
		}
	}
}

func TestQueueDepth(t *testing.T) {
	t.Parallel()
	q := newQueue(t, 2)
	if !q.TryPush(1) || !q.TryPush(2) {
		t.Fatal("TryPush refused below depth")
	}
	if q.TryPush(3) {
		t.Fatal("TryPush accepted over depth")
	}
	q.Push(3) // Push keeps what the host already holds
	q.Push(4)
	got, err := pop(t, q, 10, 0)
	must(t, "Pop", err, nil)
	if len(got) != 4 || got[0] != 1 || got[1] != 2 || got[2] != 3 || got[3] != 4 {
		t.Fatalf("Pop = %v, want [1 2 3 4]", got)
	}
	if !q.TryPush(5) {
		t.Fatal("TryPush refused after the queue drained")
	}
}

func TestQueuePopBatches(t *testing.T) {
	t.Parallel()
	q := newQueue(t, 100)
	for i := range 5 {
		q.Push(i)
	}
	for _, want := range [][]int{{0, 1, 2}, {3, 4}} {
		got, err := pop(t, q, 3, -1)
		must(t, "Pop", err, nil)
		if len(got) != len(want) || got[0] != want[0] {
			t.Fatalf("Pop = %v, want %v", got, want)
		}
	}
	got, err := pop(t, q, 0, -1) // no room: returns at once
	if len(got) != 0 || err != nil {
		t.Fatalf("Pop into nothing = %v, %v", got, err)
	}
}

// A consumer polls only for the room its batch has left: events it will
// not take now stay with the poller (the kernel), not in the queue.
func TestQueuePollsForTheRoomLeft(t *testing.T) {
	t.Parallel()
	q := newQueue(t, 100)
	var asked []int
	q.PollWith(func(_ time.Duration, most int) {
		asked = append(asked, most)
		for i := range most {
			q.Push(i)
		}
	})
	q.Push(-1)
	got, err := pop(t, q, 4, 0)
	must(t, "Pop", err, nil)
	if len(got) != 4 || len(asked) != 1 || asked[0] != 3 {
		t.Fatalf("Pop with 1 waiting = %v, polled for %v; want 4 events, one poll for 3", got, asked)
	}
	q.Push(-2)
	q.Push(-3)
	asked = nil
	got, err = pop(t, q, 2, 0)
	must(t, "Pop", err, nil)
	if len(got) != 2 || len(asked) != 0 {
		t.Fatalf("Pop with 2 waiting = %v, polled for %v; want 2 events, no poll", got, asked)
	}
}

// Events that a poll without waiting queues go to the consumer that
// polled, with no signal through the pipe; what it leaves is signalled.
func TestQueueHoldsTheFdForItsOwnPoll(t *testing.T) {
	t.Parallel()
	q := newQueue(t, 100)
	var readableInPoll []bool
	q.PollWith(func(_ time.Duration, most int) {
		for i := range most + 2 { // two more than the consumer takes
			q.Push(i)
			readableInPoll = append(readableInPoll, readable(t, q.Fd()))
		}
	})
	got, err := pop(t, q, 3, 0)
	must(t, "Pop", err, nil)
	if len(got) != 3 {
		t.Fatalf("Pop = %v, want 3 events", got)
	}
	for i, r := range readableInPoll {
		if r {
			t.Fatalf("push %d during the consumer's own poll made the fd readable", i)
		}
	}
	checkReadable(t, q, true, "two events left by the consumer")
	q.PollWith(func(time.Duration, int) {})
	got, err = pop(t, q, 3, 0)
	if err != nil || len(got) != 2 {
		t.Fatalf("second Pop = %v, %v; want the 2 left", got, err)
	}
	checkReadable(t, q, false, "drained")
}

// A poll that panics (a bug, which the C ABI turns into an error code)
// must not leave the descriptor held down for good.
func TestQueueHoldEndsWhenThePollPanics(t *testing.T) {
	t.Parallel()
	q := newQueue(t, 10)
	q.PollWith(func(time.Duration, int) { panic("poll") })
	func() {
		defer func() { recover() }()
		q.Pop(make([]int, 1), 0)
	}()
	q.Push(1)
	checkReadable(t, q, true, "push after a poll panicked")
}

// Consumers that wait for the descriptor inside their poll, as a host's
// threads do in the server's loop, all wake for events that other
// consumers' holds left unsignalled.
func TestQueueHoldsNeverStrandEvents(t *testing.T) {
	t.Parallel()
	const producers, consumers, each = 3, 3, 5000
	q := newQueue(t, 1<<20)
	q.PollWith(func(wait time.Duration, _ int) {
		if wait != 0 {
			waitReadable(q.Fd(), wait)
		}
	})
	d := consume(t, q, consumers, 5, producers*each)
	produce(producers, each, func(i, v int) {
		q.Push(v)
		if i%64 == 0 {
			time.Sleep(10 * time.Microsecond) // let consumers go idle now and then
		}
	})
	// Every event must be taken without Close's help.
	for deadline := time.Now().Add(waitLong); d.taken() < producers*each; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d events taken; the rest are stranded", d.taken(), producers*each)
		}
	}
	q.Close()
	d.finish(t)
}

func TestQueuePopTimeouts(t *testing.T) {
	t.Parallel()
	q := newQueue(t, 10)

	begin := time.Now()
	got, err := pop(t, q, 4, 0)
	if len(got) != 0 || err != nil || time.Since(begin) > time.Second {
		t.Fatalf("Pop(0) on empty = %v, %v after %v", got, err, time.Since(begin))
	}

	begin = time.Now()
	got, err = pop(t, q, 4, 50*time.Millisecond)
	if len(got) != 0 || err != nil || time.Since(begin) < 50*time.Millisecond {
		t.Fatalf("Pop(50ms) on empty = %v, %v after %v", got, err, time.Since(begin))
	}

	// A negative timeout waits until something comes.
	result := make(chan []int, 1)
	go func() {
		dst := make([]int, 4)
		n, _ := q.Pop(dst, -1)
		result <- dst[:n]
	}()
	select {
	case got := <-result:
		t.Fatalf("Pop(-1) returned %v with nothing pushed", got)
	case <-time.After(quiet):
	}
	q.Push(42)
	select {
	case got := <-result:
		if len(got) != 1 || got[0] != 42 {
			t.Fatalf("Pop(-1) = %v", got)
		}
	case <-time.After(waitLong):
		t.Fatal("Pop(-1) did not wake on Push")
	}

	// A positive timeout also wakes on Push.
	go func() {
		dst := make([]int, 4)
		n, _ := q.Pop(dst, time.Hour)
		result <- dst[:n]
	}()
	q.Push(43)
	select {
	case got := <-result:
		if len(got) != 1 || got[0] != 43 {
			t.Fatalf("Pop(1h) = %v", got)
		}
	case <-time.After(waitLong):
		t.Fatal("Pop(1h) did not wake on Push")
	}
}

func TestQueueFd(t *testing.T) {
	t.Parallel()
	q := newQueue(t, 10)
	checkReadable(t, q, false, "new")
	q.Push(1)
	checkReadable(t, q, true, "one waiting")
	q.Push(2)
	pop(t, q, 1, 0)
	checkReadable(t, q, true, "one of two taken")
	pop(t, q, 1, 0)
	checkReadable(t, q, false, "all taken")
	for round := range 3 { // raise and lower repeatedly
		q.TryPush(round)
		checkReadable(t, q, true, "pushed again")
		pop(t, q, 10, 0)
		checkReadable(t, q, false, "taken again")
	}
	pop(t, q, 10, 0) // an empty Pop does not disturb it
	checkReadable(t, q, false, "empty pop")
}

func TestQueueClose(t *testing.T) {
	t.Parallel()
	q := newQueue(t, 10)
	q.Push(1)
	q.Push(2)
	q.Close()
	checkReadable(t, q, true, "closed with items")
	got, err := pop(t, q, 1, -1)
	must(t, "Pop after Close", err, nil)
	if len(got) != 1 || got[0] != 1 {
		t.Fatalf("Pop = %v", got)
	}
	got, err = pop(t, q, 10, 0)
	if err != nil || len(got) != 1 || got[0] != 2 {
		t.Fatalf("Pop = %v, %v", got, err)
	}
	checkReadable(t, q, true, "closed and drained")
	for _, timeout := range []time.Duration{0, time.Millisecond, -1} {
		_, err = pop(t, q, 10, timeout)
		must(t, "Pop on a closed, empty queue", err, ErrServerClosed)
	}
	checkReadable(t, q, true, "after ErrServerClosed")
	q.Close() // again: harmless
	checkReadable(t, q, true, "closed twice")
}

func TestQueueCloseWakesWaiters(t *testing.T) {
	t.Parallel()
	q := newQueue(t, 10)
	const waiters = 4
	errs := make(chan error, waiters)
	for range waiters {
		go func() {
			_, err := q.Pop(make([]int, 1), -1)
			errs <- err
		}()
	}
	q.Close()
	for range waiters {
		select {
		case err := <-errs:
			must(t, "Pop", err, ErrServerClosed)
		case <-time.After(waitLong):
			t.Fatal("a waiting Pop was not woken by Close")
		}
	}
}

func TestQueueManyConsumers(t *testing.T) {
	t.Parallel()
	const producers, consumers, each = 4, 4, 5000
	q := newQueue(t, 16)

	d := consume(t, q, consumers, 3, producers*each)
	produce(producers, each, func(i, v int) {
		if i%2 == 0 {
			q.Push(v)
			return
		}
		for !q.TryPush(v) { // full: let the consumers catch up
			time.Sleep(10 * time.Microsecond)
		}
	})
	q.Close()
	d.finish(t)
	checkReadable(t, q, true, "closed and drained")
}

// The descriptor goes up and down under concurrent use; once the
// producers stop and the queue is empty it must be unreadable.
func TestQueueFdSettles(t *testing.T) {
	t.Parallel()
	q := newQueue(t, 1<<20)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dst := make([]int, 2)
			for {
				select {
				case <-stop:
					return
				default:
				}
				q.Pop(dst, time.Millisecond)
			}
		}()
	}
	for i := range 20000 {
		q.Push(i)
	}
	// Drain what is left from here, then stop the consumers.
	for {
		got, _ := pop(t, q, 100, 10*time.Millisecond)
		if len(got) == 0 {
			break
		}
	}
	close(stop)
	wg.Wait()
	pop(t, q, 1<<20, 0)
	checkReadable(t, q, false, "empty after concurrent use")
	q.Push(1)
	checkReadable(t, q, true, "one waiting after concurrent use")
}
