-- dashboard.lua - wrk script: GET dashboard pages as a signed-in person.
--   wrk ... -s t/bench/dashboard.lua URL -- COOKIE PATHS [EXPECT] [IF-NONE-MATCH]
-- COOKIE is the hub_session value; PATHS one or more paths separated by
-- spaces, taken in turn; EXPECT the status every answer must have (200,
-- or 304 with IF-NONE-MATCH sent).  Other answers are counted ("bad=" in
-- the bench: line, as report.lua prints it).

dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "common.lua")

local headers, paths, expect, i

function init(args)
   headers = { ["Cookie"] = "hub_session=" .. (args[1] or "") }
   paths = {}
   for p in string.gmatch(args[2] or "/requests", "%S+") do table.insert(paths, p) end
   expect = tonumber(args[3] or "200")
   if args[4] and args[4] ~= "" then headers["If-None-Match"] = args[4] end
   i = (tid or 0) * 7
end

function request()
   i = i + 1
   return wrk.format("GET", paths[(i % #paths) + 1], headers)
end

function response(status, hdrs, body)
   if status ~= expect then count_bad("unexpected " .. status) end
end
