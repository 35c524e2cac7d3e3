-- test_calls.lua -- a request costs a small constant number of FFI calls,
-- whatever its header count. porter.lua is loaded through a counting
-- stand-in for the library (ffi.load is replaced before require).
local ffi = require "ffi"
local calls = {}
local real_load = ffi.load
ffi.load = function(...) -- luacheck: ignore 122
	local lib = real_load(...)
	return setmetatable({}, {__index = function(_, name)
		local value = lib[name]
		if type(value) == "cdata" and tostring(ffi.typeof(value)):find("%(") then
			return function(...)
				calls[name] = (calls[name] or 0) + 1
				return value(...)
			end
		end
		return value
	end})
end

local t = require "tap"
local h = require "helpers"
local porter = require "porter"
ffi.load = real_load -- luacheck: ignore 122

-- crossings serves one request with `extra` more header fields, reads
-- every part of its view, answers it, and returns the calls it took.
local function crossings(extra)
	local srv = assert(porter.new())
	assert(srv:listen("127.0.0.1:0"))
	assert(srv:start())
	local url = "http://" .. srv:addr() .. "/x?y=1"
	local headers = {}
	for i = 1, extra do
		headers["x-field-" .. i] = ("value %d"):format(i)
	end
	local during
	h.run(function(cq)
		h.serve(cq, srv, function(kind, req)
			if kind == porter.EV_REQUEST then
				for k in pairs(calls) do
					calls[k] = nil
				end
				local n = 0
				for _ in req:headers() do
					n = n + 1
				end
				assert(n >= extra, "headers seen")
				assert(req:method() and req:target() and req:path() and req:query()
					and req:host() and req:remote() and req:version() and req:body())
				assert(req:respond(200, {["Content-Type"] = "text/plain"}, "ok"))
				during = {}
				for k, v in pairs(calls) do
					during[k] = v
				end
			end
		end)
		t.equal(select(3, h.fetch(url, {headers = headers})), "ok", "answer")
		srv:shutdown()
	end)
	srv:close()
	local total = 0
	for _, v in pairs(during) do
		total = total + v
	end
	return total, during
end

t.test("one call into porter per hello request, whatever its headers", function()
	local few, detail = crossings(0)
	local many = crossings(60)
	t.equal(few, 1, "calls with few headers")
	t.equal(detail.req_respond, 1, "the call is req_respond")
	t.equal(many, few, "calls with 60 more headers")
end)

t.run()
