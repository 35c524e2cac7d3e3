package core

import (
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// monoEpoch anchors porter's timestamps, which are durations since it:
// time.Since reads only the monotonic clock, where time.Now reads it and
// the wall clock too, and a duration holds no pointer for the collector.
var monoEpoch = time.Now()

// monoNow is the time now, since monoEpoch.
func monoNow() time.Duration { return time.Since(monoEpoch) }

// The Date header changes once a second: while any server runs, a timer
// renders it as each second begins (timers fire late, never early), and
// responses only load the rendering. With no server running, nothing
// ticks, and a response made then (in a test) renders its own.
var date struct {
	mu      sync.Mutex
	servers int // running
	timer   *time.Timer
	text    atomic.Pointer[string] // nil while no server runs
}

func httpDate() string {
	if p := date.text.Load(); p != nil {
		return *p
	}
	return time.Now().UTC().Format(http.TimeFormat)
}

// keepDate counts a server in (+1) or out (-1) of those that need the
// rendering kept current.
func keepDate(delta int) {
	date.mu.Lock()
	defer date.mu.Unlock()
	date.servers += delta
	switch {
	case date.servers == 0:
		date.timer.Stop()
		date.text.Store(nil)
	case date.servers == 1 && delta > 0:
		renderDate()
	}
}

// renderDate renders the Date and sets the timer for the next second.
// Called with date.mu.
func renderDate() {
	now := time.Now()
	text := now.UTC().Format(http.TimeFormat)
	date.text.Store(&text)
	next := time.Second - time.Duration(now.Nanosecond())
	if date.timer == nil {
		date.timer = time.AfterFunc(next, tickDate)
	} else {
		date.timer.Reset(next)
	}
}

func tickDate() {
	date.mu.Lock()
	defer date.mu.Unlock()
	if date.servers > 0 { // else the last one just stopped the timer
		renderDate()
	}
}
