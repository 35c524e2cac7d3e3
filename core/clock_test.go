package core

import (
	"net/http"
	"testing"
	"time"
)

// The cached Date follows the wall clock's seconds, across turnovers: it
// may lag a moment behind a new second, never run ahead.
func TestHTTPDateFollowsTheClock(t *testing.T) {
	keepDate(+1) // as a running server does
	defer keepDate(-1)
	if date.text.Load() == nil {
		t.Fatal("no Date rendered while a server runs")
	}
	for range 150 { // 1.5 s: at least one turnover
		before := time.Now().Truncate(time.Second)
		got, err := http.ParseTime(httpDate())
		after := time.Now()
		if err != nil || got.Before(before.Add(-time.Second)) || got.After(after) {
			t.Fatalf("Date %v (%v) outside [%v - 1s, %v]", got, err, before, after)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Once the last server is done, the timer stops: a process that freed
// its servers has nothing ticking for them.
func TestHTTPDateStopsWithTheLastServer(t *testing.T) {
	keepDate(+1)
	keepDate(-1)
	date.mu.Lock()
	defer date.mu.Unlock()
	if date.servers == 0 && (date.text.Load() != nil || date.timer.Stop()) {
		t.Fatal("the Date timer still runs with no server")
	}
	if _, err := http.ParseTime(httpDate()); err != nil {
		t.Fatalf("Date with no server: %v", err)
	}
}
