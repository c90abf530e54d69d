-- wrk script for GET /api/v1/calendars/{id}/slots over PATH_QS (the path
-- and query), with the key from KEY; prints p50/p99 like lead.lua.
local key = os.getenv("KEY") or ""
local path = os.getenv("PATH_QS") or "/"

function request()
  return wrk.format("GET", path, { ["Authorization"] = "Bearer " .. key })
end

function done(summary, latency, requests)
  io.write(string.format("requests=%d errors_status=%d p50_ms=%.2f p99_ms=%.2f\n",
    summary.requests, summary.errors.status, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
