-- Scenario "issue": client-credentials token requests, all identical, so wrk sends one
-- pre-formatted request (no request() function, no Lua work per request).
-- The Authorization header comes from the command line (wrk -H "Authorization: Basic ...").

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

wrk.method = "POST"
wrk.body = "grant_type=client_credentials&scope=read"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
