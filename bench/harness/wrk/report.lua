-- report.lua: wrk's done() hook, shared by every scenario script.
-- It prints one line, "PORTER_BENCH {json}", that the harness parses
-- instead of wrk's text output. Latencies are in microseconds.
-- Scripts that count their own errors keep a per-thread global
-- "mismatches"; setup() remembers each thread so done() can sum them.

local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

function done(summary, latency, requests)
   local mismatches = 0
   for _, t in ipairs(threads) do
      mismatches = mismatches + (tonumber(t:get("mismatches")) or 0)
   end
   local e = summary.errors
   io.write(string.format(
      'PORTER_BENCH {"requests":%d,"duration_us":%d,"bytes":%d,' ..
      '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,' ..
      '"timeout":%d,"mismatch":%d},"p50_us":%d,"p99_us":%d,' ..
      '"max_us":%d}\n',
      summary.requests, summary.duration, summary.bytes,
      e.connect, e.read, e.write, e.status, e.timeout, mismatches,
      latency:percentile(50), latency:percentile(99), latency.max))
end
