-- echo.lua: POST a 1 KiB body to /echo; a response that is not a 200
-- with the same 1,024 bytes back counts as a mismatch (an error).
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "report.lua")

local size = 1024
local req

mismatches = 0

function init(args)
   req = wrk.format("POST", "/echo",
      {["Content-Type"] = "application/octet-stream"}, string.rep("x", size))
end

function request()
   return req
end

function response(status, headers, body)
   if status ~= 200 or #body ~= size then
      mismatches = mismatches + 1
   end
end
