-- lua-http's http.server, served by porter (see docs/lua.md).
return require "porter.http.server"
