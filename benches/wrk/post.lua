-- wrk script: POST the JSON body in the file named by WRK_BODY, with the bearer token in WRK_TOKEN (if any).
-- Any answer other than the expected status (WRK_STATUS, default 200) is counted and reported.
local f = assert(io.open(os.getenv("WRK_BODY"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
local token = os.getenv("WRK_TOKEN")
if token and token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end
local expected = tonumber(os.getenv("WRK_STATUS") or "200")
local unexpected = 0

function response(status, headers, body)
  if status ~= expected then
    unexpected = unexpected + 1
  end
end

function done(summary, latency, requests)
  io.write(string.format("unexpected statuses: %d\n", unexpected))
  io.write(string.format("requests answered: %d\n", summary.requests))
end
