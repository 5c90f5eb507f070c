-- search.lua - wrk script: GET /api/requests?q=... with rotating words,
-- optionally scoped to rotating approvers.
--   wrk ... -s t/bench/search.lua URL -- API_KEY QUERIES [APPROVERS]
-- QUERIES: words joined by '+', queries by ','; APPROVERS: ids by ','
-- ("" = unscoped).  Answers other than 200 are counted ("bad=").

dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "common.lua")

local headers, queries, approvers, i

local function split(s)
   local t = {}
   for a in string.gmatch(s or "", "[^,]+") do table.insert(t, a) end
   return t
end

function init(args)
   headers = { ["Authorization"] = "Bearer " .. (args[1] or "missing") }
   queries = split(args[2])
   if #queries == 0 then queries = { "nothing" } end
   approvers = split(args[3])
   i = (tid or 0) * 7
end

function request()
   i = i + 1
   local path = "/api/requests?limit=20&q=" .. queries[(i % #queries) + 1]
   if #approvers > 0 then
      path = path .. "&approver_id=" .. approvers[(i % #approvers) + 1]
   end
   return wrk.format("GET", path, headers)
end

function response(status, hdrs, body)
   if status ~= 200 then count_bad("non-200: " .. status .. " " .. (body or "")) end
end
