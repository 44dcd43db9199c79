-- wrk script: POST pre-signed LINE webhook bodies, each once, optionally at a fixed rate.
-- Arguments after "--": FILE RATE THREADS. FILE has one "signature<TAB>body" per line; each of the
-- THREADS wrk threads takes every THREADS-th line. RATE > 0 (requests/s, all threads together) paces
-- the requests on a schedule; 0 sends as fast as the connections allow. wrk runs for its whole -d
-- even when every body is answered sooner: a run needs bodies for all of it.
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } timespec;
int clock_gettime(int clk_id, timespec *tp);
]]
local ts = ffi.new("timespec")
local function now_ms()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

function init(args)
  local nthreads = tonumber(args[3])
  requests, sent, answered, period = {}, 0, 0, nil
  -- wrk calls request() once more in thread 0, before the run, to see what it returns
  -- (script_verify_request): that call must not use up a body.
  checked = id ~= 0
  local n = 0
  for line in io.lines(args[1]) do
    if n % nthreads == id then
      local tab = line:find("\t", 1, true)
      local headers = {["Content-Type"] = "application/json; charset=utf-8",
                       ["X-Line-Signature"] = line:sub(1, tab - 1)}
      table.insert(requests, wrk.format("POST", "/callback", headers, line:sub(tab + 1)))
    end
    n = n + 1
  end
  if tonumber(args[2]) > 0 then
    period = 1000 * nthreads / tonumber(args[2])
    next_at = now_ms()
  end
end

function delay()
  if not period then return 0 end
  local wait = next_at - now_ms()
  next_at = next_at + period
  if wait < 0 then return 0 end
  return wait
end

function request()
  if not checked then
    checked = true
    return requests[1]
  end
  sent = sent + 1
  -- Past the end, repeat the last body: the bot finds its event id already recorded.
  return requests[math.min(sent, #requests)]
end

function response(status, headers, body)
  answered = answered + 1
  if answered >= #requests then wrk.thread:stop() end
end

function done(summary, latency, requests)
  io.write(string.format("BENCH requests=%d duration_us=%d p50_us=%d p95_us=%d p99_us=%d max_us=%d "
    .. "errors_status=%d errors_other=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
