package main

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/porter-http/porter/capi/capitest"
)

// checkNoHandles fails the test if any request handle is still live.
func checkNoHandles(t *testing.T) {
	t.Helper()
	requests.mu.Lock()
	defer requests.mu.Unlock()
	for i, s := range requests.slots {
		if s.r != nil {
			t.Errorf("request handle in slot %d still live after server_free", i)
		}
	}
}

func get(t *testing.T, client *http.Client, url, body string) string {
	t.Helper()
	method := "GET"
	if body != "" {
		method = "POST"
	}
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	resp, err := client.Do(req)
	if err != nil {
		t.Errorf("%s %s: %v", method, url, err)
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// TestModes answers concurrent requests through C hosts in both modes.
func TestModes(t *testing.T) {
	for _, loop := range []bool{false, true} {
		t.Run(fmt.Sprintf("loop=%v", loop), func(t *testing.T) {
			s, err := capitest.Start(loop, false)
			if err != nil {
				t.Fatal(err)
			}
			served := make(chan int, 1)
			if loop {
				go func() {
					n, err := s.Loop()
					if err != nil {
						t.Error(err)
					}
					served <- n
				}()
			}
			client := &http.Client{Timeout: 10 * time.Second}
			var wg sync.WaitGroup
			for g := 0; g < 8; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < 25; i++ {
						path := fmt.Sprintf("/g%d/%d", g, i)
						body := strings.Repeat("b", i)
						want := fmt.Sprintf("POST %s %d", path, i)
						if i == 0 {
							want = "GET " + path + " 0"
						}
						if got := get(t, client, "http://"+s.Addr+path, body); got != want {
							t.Errorf("got %q, want %q", got, want)
						}
					}
				}()
			}
			wg.Wait()
			if rc := s.Shutdown(1000); rc != 0 {
				t.Fatalf("server_shutdown: %d", rc)
			}
			if loop {
				select {
				case n := <-served:
					if n != 200 {
						t.Errorf("loop answered %d requests, want 200", n)
					}
				case <-time.After(10 * time.Second):
					t.Fatal("loop did not end after shutdown")
				}
			}
			if rc := s.Free(); rc != 0 {
				t.Fatalf("server_free: %d", rc)
			}
			checkNoHandles(t)
		})
	}
}

// TestBadInput checks every export against garbage, NULLs and stale
// handles, and that the live request can still be answered afterwards.
func TestBadInput(t *testing.T) {
	s, err := capitest.Start(false, true)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 1)
	go func() { got <- get(t, &http.Client{Timeout: 10 * time.Second}, "http://"+s.Addr+"/", "") }()
	live := waitHeld(t)
	if msg := s.BadInput(live); msg != "" {
		t.Error(msg)
	}
	if body := <-got; body != "ok" {
		t.Errorf("client got %q, want \"ok\"", body)
	}
	s.Free()
	checkNoHandles(t)
}

// TestFreeReleasesHeld frees a server whose host kept requests
// unanswered: porter aborts them and releases their handles.
func TestFreeReleasesHeld(t *testing.T) {
	s, err := capitest.Start(false, true)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		http.Get("http://" + s.Addr + "/held")
		close(done)
	}()
	held := waitHeld(t)
	if rc := s.Free(); rc != 0 {
		t.Fatalf("server_free: %d", rc)
	}
	<-done
	checkNoHandles(t)
	if rc := capitest.Respond(held, "late"); rc != -2 {
		t.Errorf("respond after server_free: %d, want PORTER_EHANDLE", rc)
	}
}

func waitHeld(t *testing.T) uint64 {
	t.Helper()
	before := capitest.Held()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if h := capitest.Held(); h != 0 && h != before {
			return h
		}
	}
	t.Fatal("no request reached the host")
	return 0
}
