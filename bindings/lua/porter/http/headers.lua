--[[
porter.http.headers -- header lists with the API of lua-http's
http.headers, for porter.http.server.

A list keeps fields in order, repeats included; names are used as given
(lua-http's convention is lower case, with ":status" and the other pseudo
fields first). Each field also carries a `never_index` flag (an HTTP/2
notion kept for compatibility), true by default for credentials.
]]

local unpack = table.unpack or unpack -- luacheck: ignore 143

local methods = {}
local mt = {__name = "http.headers", __index = methods}

local never_index_default = {
	authorization = true,
	["proxy-authorization"] = true,
	cookie = true,
	["set-cookie"] = true,
}

-- A list is three parallel arrays and a count: no table per field.
local function new()
	return setmetatable({n = 0, names = {}, values = {}, never = {}}, mt)
end

local function flag(name, never_index)
	if never_index == nil then
		return never_index_default[name] or false
	end
	return never_index
end

function methods:len()
	return self.n
end
mt.__len = methods.len

function mt:__tostring()
	return ("http.headers{%d headers}"):format(self.n)
end

function methods:clone()
	local copy = new()
	for i = 1, self.n do
		copy.names[i], copy.values[i], copy.never[i] = self.names[i], self.values[i], self.never[i]
	end
	copy.n = self.n
	return copy
end

function methods:append(name, value, never_index)
	local n = self.n + 1
	self.names[n], self.values[n], self.never[n] = name, value, flag(name, never_index)
	self.n = n
end

-- each iterates over name, value, never_index in order.
function methods:each()
	local i = 0
	return function(list)
		if i < list.n then
			i = i + 1
			return list.names[i], list.values[i], list.never[i]
		end
	end, self
end
mt.__pairs = methods.each

function methods:has(name)
	local names = self.names
	for i = 1, self.n do
		if names[i] == name then
			return true
		end
	end
	return false
end

-- delete removes every field named `name`; returns whether there was one.
function methods:delete(name)
	local names, values, never = self.names, self.values, self.never
	local n, kept = self.n, 0
	for i = 1, n do
		if names[i] ~= name then
			kept = kept + 1
			names[kept], values[kept], never[kept] = names[i], values[i], never[i]
		end
	end
	for i = kept + 1, n do
		names[i], values[i], never[i] = nil, nil, nil
	end
	self.n = kept
	return kept < n
end

function methods:geti(i)
	if i >= 1 and i <= self.n then
		return self.names[i], self.values[i], self.never[i]
	end
	return nil
end

function methods:get_as_sequence(name)
	local seq, names = {n = 0}, self.names
	for i = 1, self.n do
		if names[i] == name then
			seq.n = seq.n + 1
			seq[seq.n] = self.values[i]
		end
	end
	return seq
end

-- get returns every value of `name`, in order (none when absent).
function methods:get(name)
	local names = self.names
	for i = 1, self.n do
		if names[i] == name then
			for j = i + 1, self.n do
				if names[j] == name then
					local seq = self:get_as_sequence(name)
					return unpack(seq, 1, seq.n)
				end
			end
			return self.values[i]
		end
	end
end

function methods:get_comma_separated(name)
	local seq = self:get_as_sequence(name)
	if seq.n > 0 then
		return table.concat(seq, ",", 1, seq.n)
	end
	return nil
end

function methods:modifyi(i, value, never_index)
	if not (i >= 1 and i <= self.n) then
		error("invalid index", 2)
	end
	self.values[i], self.never[i] = value, flag(self.names[i], never_index)
end

-- upsert replaces the one value of `name`, or appends it.
function methods:upsert(name, value, never_index)
	local found
	for i = 1, self.n do
		if self.names[i] == name then
			if found then
				error("Cannot upsert multi-valued field", 2)
			end
			found = i
		end
	end
	if found then
		self:modifyi(found, value, never_index)
	else
		self:append(name, value, never_index)
	end
end

-- sort orders pseudo fields (":status") first, then by name, value, flag.
function methods:sort()
	local fields = {}
	for i = 1, self.n do
		fields[i] = {self.names[i], self.values[i], self.never[i]}
	end
	table.sort(fields, function(a, b)
		local a_pseudo, b_pseudo = a[1]:sub(1, 1) == ":", b[1]:sub(1, 1) == ":"
		if a_pseudo ~= b_pseudo then
			return a_pseudo
		elseif a[1] ~= b[1] then
			return a[1] < b[1]
		elseif a[2] ~= b[2] then
			return a[2] < b[2]
		end
		return a[3] and not b[3]
	end)
	for i, f in ipairs(fields) do
		self.names[i], self.values[i], self.never[i] = f[1], f[2], f[3]
	end
end

function methods:dump(file, prefix)
	file = file or io.stderr
	prefix = prefix or ""
	for name, value in self:each() do
		assert(file:write(prefix, name, ": ", value, "\n"))
	end
	assert(file:flush())
end

return {
	new = new,
	methods = methods,
	mt = mt,
}
