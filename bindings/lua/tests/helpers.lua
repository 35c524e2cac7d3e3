--[[
helpers.lua -- what porter's Lua tests share: a cqueues controller to run
servers and clients in, bounded in time; lua-http's client and curl as
peers.
]]
local cqueues = require "cqueues"
local http_request = require "http.request"

local M = {}

-- run runs fn in a fresh controller, with everything it wraps, for at most
-- `limit` seconds; it fails if fn raised or did not finish.
function M.run(fn, limit)
	local cq = cqueues.new()
	local finished = false
	cq:wrap(function()
		fn(cq)
		finished = true
	end)
	local deadline = cqueues.monotime() + (limit or 30)
	while not finished and not cq:empty() do
		local left = deadline - cqueues.monotime()
		if left <= 0 then
			error("test did not finish in " .. (limit or 30) .. " s", 2)
		end
		local ok, err = cq:step(math.min(left, 1))
		if not ok then
			error(err, 2)
		end
	end
	assert(finished, "the test's coroutine never finished")
	return cq
end

-- fetch sends one request with lua-http's client (inside a controller).
-- Returns status, headers, body, or nil, error.
function M.fetch(url, options)
	options = options or {}
	local req = http_request.new_from_uri(url)
	req.version = options.version or req.version
	if options.method then
		req.headers:upsert(":method", options.method)
	end
	for name, value in pairs(options.headers or {}) do
		req.headers:upsert(name, value)
	end
	if options.body then
		req:set_body(options.body)
	end
	local headers, stream = req:go(options.timeout or 20)
	if not headers then
		return nil, stream
	end
	local body, err = stream:get_body_as_string(options.timeout or 20)
	if not body then
		return nil, err
	end
	return headers:get(":status"), headers, body
end

local runs = 0

-- curl runs curl (inside a controller, without blocking it) with the shell
-- words in `args`; returns its stdout and exit status.
function M.curl(args)
	runs = runs + 1
	local base = os.tmpname() .. runs
	os.execute(("(timeout 30 curl -q --noproxy '*' --max-time 20 -sS %s > %s.out 2>%s.err; echo $? > %s.rc) &")
		:format(args, base, base, base))
	local deadline = cqueues.monotime() + 40
	while cqueues.monotime() < deadline do
		local f = io.open(base .. ".rc")
		local rc = f and f:read("*n")
		if f then
			f:close()
		end
		if rc then
			local out = assert(io.open(base .. ".out")):read("*a")
			for _, ext in ipairs {".out", ".err", ".rc", ""} do
				os.remove(base .. ext)
			end
			return out, rc
		end
		cqueues.sleep(0.01)
	end
	error("curl did not finish")
end

-- serve runs a porter core server's events through handle(kind, x, code)
-- in a coroutine of cq, until the server is closed and drained.
function M.serve(cq, srv, handle)
	cq:wrap(function()
		local pollable = {pollfd = function() return srv:pollfd() end,
			events = function() return "r" end}
		while true do
			local kind, x, code = srv:next(0)
			if kind then
				handle(kind, x, code)
			elseif code == require("porter").ETIMEDOUT then
				cqueues.poll(pollable, 1)
			else
				return
			end
		end
	end)
end

-- file returns a file's contents.
function M.file(path)
	local f = assert(io.open(path, "rb"))
	local s = f:read("*a")
	f:close()
	return s
end

-- random returns n bytes of /dev/urandom.
function M.random(n)
	local f = assert(io.open("/dev/urandom", "rb"))
	local s = f:read(n)
	f:close()
	return s
end

return M
