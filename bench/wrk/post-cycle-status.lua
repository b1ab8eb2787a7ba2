-- post-cycle.lua plus a count of responses by status (2xx, 503, other), for the overload scenario.
-- Defining response() makes wrk parse every response's headers, so it is not used for the throughput runs.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "post-cycle.lua")

n_2xx, n_503, n_other = 0, 0, 0

function response(status, _, _)
  if status >= 200 and status < 300 then
    n_2xx = n_2xx + 1
  elseif status == 503 then
    n_503 = n_503 + 1
  else
    n_other = n_other + 1
  end
end
