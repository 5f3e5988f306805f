-- wrk's summary as one JSON line (bench/read_load.py reads it): requests, seconds, latency
-- percentiles in microseconds, socket errors and answers other than 2xx/3xx.
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout
  io.write(string.format(
    'WRK {"requests": %d, "seconds": %.3f, "p50": %d, "p95": %d, "p99": %d, ' ..
    '"errors": %d, "bad_status": %d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), errors, summary.errors.status))
end
