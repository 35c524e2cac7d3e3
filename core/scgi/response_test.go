package scgi

import "testing"

// header stands for the caller's own field type.
type header struct{ Name, Value string }

func TestAppendResponseHead(t *testing.T) {
	for _, c := range []struct {
		name   string
		got    []byte
		status string
	}{
		{"fields", AppendResponseHead([]byte("<"), 200, "OK", []Field{{"Content-Type", "text/plain"}, {"X-A", "1"}}),
			"<Status: 200 OK\r\nContent-Type: text/plain\r\nX-A: 1\r\n\r\n"},
		{"caller's type", AppendResponseHead(nil, 404, "Not Found", []header{{"Content-Length", "9"}}),
			"Status: 404 Not Found\r\nContent-Length: 9\r\n\r\n"},
		{"no fields", AppendResponseHead[Field](nil, 204, "No Content", nil),
			"Status: 204 No Content\r\n\r\n"},
		{"empty reason", AppendResponseHead[Field](nil, 599, "", nil),
			"Status: 599 \r\n\r\n"},
		{"Status fields left out", AppendResponseHead(nil, 500, "Internal Server Error",
			[]Field{{"status", "200 OK"}, {"Set-Cookie", "a=1"}, {"STATUS", "302"}, {"Statu", "x"}, {"Status2", "y"}, {"Stat_s", "z"}}),
			"Status: 500 Internal Server Error\r\nSet-Cookie: a=1\r\nStatu: x\r\nStatus2: y\r\nStat_s: z\r\n\r\n"},
		{"empty value", AppendResponseHead(nil, 200, "OK", []Field{{"X-Empty", ""}}),
			"Status: 200 OK\r\nX-Empty: \r\n\r\n"},
	} {
		if string(c.got) != c.status {
			t.Errorf("%s: got %q, want %q", c.name, c.got, c.status)
		}
	}
}
