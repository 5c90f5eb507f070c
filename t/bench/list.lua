-- list.lua - wrk script: GET /api/requests for a rotating set of approvers.
--   wrk ... -s t/bench/list.lua URL -- API_KEY QUERY APPROVER[,APPROVER...]
-- QUERY is the rest of the query string, e.g. "status=Pending&limit=50".
-- Answers other than 200 are counted ("bad=" in the bench: line).

dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "common.lua")

local headers, query, approvers, i

function init(args)
   headers = { ["Authorization"] = "Bearer " .. (args[1] or "missing") }
   query = args[2] or "limit=50"
   approvers = {}
   for a in string.gmatch(args[3] or "", "[^,]+") do table.insert(approvers, a) end
   if #approvers == 0 then approvers = { "nobody" } end
   i = (tid or 0) * 7
end

function request()
   i = i + 1
   local a = approvers[(i % #approvers) + 1]
   return wrk.format("GET", "/api/requests?approver_id=" .. a .. "&" .. query, headers)
end

function response(status, hdrs, body)
   if status ~= 200 then count_bad("non-200: " .. status .. " " .. (body or "")) end
end
