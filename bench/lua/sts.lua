-- Scenario "sts": WS-Trust 1.3 Issue requests (SOAP 1.1) to /pf/sts.wst, all identical; the body
-- is read once from the file given after "--" (wrk ... -s sts.lua URL -- BODY_FILE).

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

function init(args)
   local path = args[1]
   if path == nil then
      error("sts.lua needs the request body file: wrk ... -s sts.lua URL -- BODY_FILE")
   end
   local file = assert(io.open(path, "rb"))
   local body = file:read("*a")
   file:close()
   wrk.method = "POST"
   wrk.body = body
   wrk.headers["Content-Type"] = "text/xml; charset=utf-8"
   wrk.headers["SOAPAction"] = '"http://docs.oasis-open.org/ws-sx/ws-trust/200512/RST/Issue"'
end
