package core

import (
	"net/http"
	"testing"
	"time"
)

// The cached Date follows the wall clock's seconds, across turnovers: it
// may lag a moment behind a new second, never run ahead.
func TestHTTPDateFollowsTheClock(t *testing.T) {
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
