-- wrk script: POSTs real V2 inference bodies, cycling through them.
-- Usage: wrk ... -s post-cycle.lua http://127.0.0.1:PORT/v2/models/MODEL/infer -- BODIES_FILE
-- BODIES_FILE holds one JSON request body per line. done() prints one line "WRK_JSON {...}" for the harness:
-- latency percentiles in microseconds, requests/s, bytes read, and wrk's error counters (status = non-2xx/3xx responses).

local threads = {}
local requests = {}
local count = 0
local index = 0

function setup(thread)
  thread:set("thread_index", #threads)
  table.insert(threads, thread)
end

function init(args)
  local path = args[1]
  if path == nil then error("post-cycle.lua: pass the bodies file after --") end
  local file = assert(io.open(path, "r"))
  local headers = { ["Content-Type"] = "application/json" }
  for line in file:lines() do
    if #line > 0 then
      count = count + 1
      requests[count] = wrk.format("POST", nil, headers, line)
    end
  end
  file:close()
  if count == 0 then error("post-cycle.lua: no request bodies in " .. path) end
  -- Threads start at different rows.
  index = ((thread_index or 0) * 11) % count
end

function request()
  index = index % count + 1
  return requests[index]
end

local function sum_thread_counter(name)
  local total = nil
  for _, t in ipairs(threads) do
    local v = t:get(name)
    if v ~= nil then total = (total or 0) + v end
  end
  return total
end

function done(summary, latency, _)
  local e = summary.errors
  local statuses = ""
  local ok = sum_thread_counter("n_2xx")
  if ok ~= nil then
    statuses = string.format(',"status_2xx":%d,"status_503":%d,"status_other":%d',
      ok, sum_thread_counter("n_503") or 0, sum_thread_counter("n_other") or 0)
  end
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"rps":%.3f,"p50_us":%.1f,"p90_us":%.1f,"p99_us":%.1f,' ..
    '"p999_us":%.1f,"max_us":%.1f,"mean_us":%.1f,"non2xx":%d,"connect_errors":%d,"read_errors":%d,' ..
    '"write_errors":%d,"timeouts":%d,"bytes":%d%s}\n',
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
    latency.max, latency.mean, e.status, e.connect, e.read, e.write, e.timeout, summary.bytes, statuses))
end
