-- wrk script for POST /api/lead: a unique lead per request (email and phone
-- from a per-thread counter), the key from the KEY environment variable.
-- DELAY_MS (optional) waits between requests on each connection, for a
-- paced (open-ish loop) run: rate ≈ connections × 1000 / DELAY_MS.
local counter = 0
local thread_id = 0
local key = os.getenv("KEY") or ""
local delay_ms = tonumber(os.getenv("DELAY_MS") or "0")

function setup(thread)
  thread_id = thread_id + 1
  thread:set("tid", thread_id)
end

function init(args)
  tid = tid or 1
end

function request()
  counter = counter + 1
  local n = tid * 10000000 + counter
  local body = string.format(
    '{"nombre":"Lead %d Bench","email":"lead%d@bench.example","telefono":"+52 55 %08d","empresa":"Bench SA","servicio":"SEO","fuente":"wrk"}',
    n, n, n % 100000000)
  return wrk.format("POST", "/api/lead", {
    ["Content-Type"] = "application/json",
    ["X-Api-Key"] = key,
  }, body)
end

function delay()
  return delay_ms
end

function done(summary, latency, requests)
  io.write(string.format("requests=%d errors_status=%d p50_ms=%.1f p99_ms=%.1f\n",
    summary.requests, summary.errors.status, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
