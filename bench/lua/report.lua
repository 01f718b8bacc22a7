-- Shared by every scenario script: done() prints one machine-readable line that bench/run.py parses.
-- Latencies are in microseconds. errors.status is wrk's count of responses with a status > 399.

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      'BENCH_RESULT {"requests":%d,"duration_us":%d,"bytes":%d,' ..
      '"latency_us":{"p50":%d,"p90":%d,"p99":%d,"p999":%d,"min":%d,"max":%d,"mean":%.1f,"stdev":%.1f},' ..
      '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\n',
      summary.requests, summary.duration, summary.bytes,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
      latency.min, latency.max, latency.mean, latency.stdev,
      e.connect, e.read, e.write, e.status, e.timeout))
end
