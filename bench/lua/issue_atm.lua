-- Scenarios "jwt-*": client-credentials token requests for one access token manager, all identical.
-- Usage: wrk ... -s issue_atm.lua URL -- ACCESS_TOKEN_MANAGER_ID
-- The request is formatted once in init(); the Authorization header comes from the command line.

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"

function init(args)
   local atm = args[1]
   if atm == nil then
      error("issue_atm.lua needs the access token manager id: wrk ... -s issue_atm.lua URL -- ATM_ID")
   end
   wrk.body = "grant_type=client_credentials&scope=read&access_token_manager_id=" .. atm
end
