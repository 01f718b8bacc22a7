-- Scenario "introspect": RFC 7662 introspection, cycling through tokens read from a file
-- (one per line). Usage: wrk ... -s introspect.lua URL -- TOKENS_FILE
-- Every request is formatted once in init(); request() only picks the next one. Each wrk
-- thread starts at a different offset so threads do not ask for the same token in lockstep.
-- The Authorization header comes from the command line (wrk -H "Authorization: Basic ...").

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"

local function form_encode(value)
   return (value:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

local requests = {}
local count = 0
local index = 0
local threads = 0

function setup(thread)
   thread:set("thread_number", threads)
   threads = threads + 1
end

function init(args)
   local path = args[1]
   if path == nil then
      error("introspect.lua needs the tokens file: wrk ... -s introspect.lua URL -- TOKENS_FILE")
   end
   local file = assert(io.open(path, "r"))
   for line in file:lines() do
      if #line > 0 then
         count = count + 1
         requests[count] = wrk.format(nil, nil, nil, "token=" .. form_encode(line))
      end
   end
   file:close()
   if count == 0 then
      error("no tokens in " .. path)
   end
   index = ((thread_number or 0) * 7919) % count
end

function request()
   index = index + 1
   if index > count then
      index = 1
   end
   return requests[index]
end
