-- lua-http's http.headers, as porter.http.server uses them (see docs/lua.md).
return require "porter.http.headers"
