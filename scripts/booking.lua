-- wrk script for POST /api/v1/calendars/{id}/bookings: each request books
-- the next free (slot, host) pair from STARTS (a file of start times, one
-- line per free host), so no two requests ask for the same host's time.
-- Threads take interleaved lines. CAL and KEY come from the environment.
local key = os.getenv("KEY") or ""
local cal = os.getenv("CAL") or ""
local thread_id = 0
local threads = tonumber(os.getenv("THREADS") or "2")
local starts = {}
local counter = 0

function setup(thread)
  thread_id = thread_id + 1
  thread:set("tid", thread_id)
end

function init(args)
  tid = tid or 1
  for line in io.lines(os.getenv("STARTS")) do starts[#starts + 1] = line end
end

function request()
  local i = counter * threads + tid
  counter = counter + 1
  if i > #starts then i = #starts end
  local body = string.format(
    '{"start":"%s","name":"Load %d-%d","email":"load%d-%d@bench.example"}',
    starts[i], tid, counter, tid, counter)
  return wrk.format("POST", "/api/v1/calendars/" .. cal .. "/bookings", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. key,
  }, body)
end

function done(summary, latency, requests)
  io.write(string.format("requests=%d errors_status=%d p50_ms=%.1f p99_ms=%.1f\n",
    summary.requests, summary.errors.status, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
