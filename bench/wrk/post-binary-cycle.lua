-- wrk script: POSTs V2 inference requests in Triton's binary tensor extension, cycling through prebuilt bodies.
-- Usage: wrk ... -s post-binary-cycle.lua http://127.0.0.1:PORT/v2/models/MODEL/infer -- BINARY_BODIES_FILE
-- The file holds, per body, a line "HEADER_LENGTH BODY_LENGTH" then BODY_LENGTH raw bytes (JSON header followed
-- by little-endian tensor bytes); Lua strings hold the binary bytes as they are. Each request carries its own
-- Inference-Header-Content-Length. Reporting (setup/done, the WRK_JSON line) is post-cycle.lua's.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "post-cycle.lua")

local binary_requests = {}
local binary_count = 0
local binary_index = 0

function init(args)
  local path = args[1]
  if path == nil then error("post-binary-cycle.lua: pass the binary bodies file after --") end
  local file = assert(io.open(path, "rb"))
  while true do
    local line = file:read("*l")
    if line == nil or #line == 0 then break end
    local header_length, body_length = line:match("^(%d+) (%d+)$")
    if header_length == nil then error("post-binary-cycle.lua: bad record line '" .. line .. "' in " .. path) end
    local body = file:read(tonumber(body_length))
    if body == nil or #body ~= tonumber(body_length) then error("post-binary-cycle.lua: truncated body in " .. path) end
    local headers = {
      ["Content-Type"] = "application/octet-stream",
      ["Inference-Header-Content-Length"] = header_length,
    }
    binary_count = binary_count + 1
    binary_requests[binary_count] = wrk.format("POST", nil, headers, body)
  end
  file:close()
  if binary_count == 0 then error("post-binary-cycle.lua: no request bodies in " .. path) end
  binary_index = ((thread_index or 0) * 11) % binary_count
end

function request()
  binary_index = binary_index % binary_count + 1
  return binary_requests[binary_index]
end
