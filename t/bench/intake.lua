-- intake.lua - wrk script: POST /api/new-approval with a Concur expense
-- report, a unique external_id per request (run tag, thread, counter).
--   wrk ... -s t/bench/intake.lua URL -- API_KEY RUN_TAG
-- Every answer that is not 201 is counted ("bad=" in the bench: line).

dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "common.lua")

local key, tag, n, headers
local people = { "Ana Lopez", "Bruno Silva", "Chen Wei", "Dana Cohen", "Eve Martin",
   "Farid Haddad", "Grace Kim", "Hugo Blanc", "Ines Duarte", "Jon Berg" }
local categories = { "Travel", "Meals", "Lodging", "Airfare", "Car rental",
   "Conference", "Software", "Client entertainment" }
local cities = { "Chicago", "Berlin", "Lisbon", "Singapore", "Toronto", "Austin" }
local currencies = { "USD", "EUR", "GBP", "CAD", "SGD" }

function init(args)
   key = args[1] or "missing"
   tag = args[2] or "run"
   n = 0
   math.randomseed(os.time() + (tid or 0) * 7919)
   headers = {
      ["Authorization"] = "Bearer " .. key,
      ["Content-Type"] = "application/json",
   }
end

local function pick(t) return t[math.random(#t)] end

function request()
   n = n + 1
   local who = pick(people)
   local city = pick(cities)
   local day = math.random(1, 20)
   local body = string.format(
      '{"request_source":"concur","requester_name":"%s",' ..
      '"requester_email":"%s@example.com",' ..
      '"approver_id":"U%08d",' ..
      '"justification_text":"Customer workshop in %s: flights, two nights and team dinner. Pre-approved by the account plan.",' ..
      '"external_id":"EXP-%s-%d-%d",' ..
      '"metadata":{"amount":%d.%02d,"currency":"%s","category":"%s",' ..
      '"trip_dates":"2026-03-%02d to 2026-03-%02d",' ..
      '"receipt_url":"https://concur.example.com/receipts/%s-%d-%d"}}',
      who, who:lower():gsub(" ", "."), math.random(1, 5000), city,
      tag, tid, n, math.random(20, 4999), math.random(0, 99), pick(currencies),
      pick(categories), day, day + math.random(0, 7), tag, tid, n)
   return wrk.format("POST", "/api/new-approval", headers, body)
end

function response(status, hdrs, body)
   if status ~= 201 then count_bad("non-201: " .. status .. " " .. (body or "")) end
end
