-- wrk script: each request asks for a random one of LINKS slugs (s0…s999),
-- a third of them marked as QR scans, as a mixed campaign's traffic would.
local links = tonumber(os.getenv("LINKS") or "1000")
math.randomseed(os.time())
request = function()
  local i = math.random(0, links - 1)
  if i % 3 == 0 then
    return wrk.format("GET", "/s" .. i .. "?lw=qr")
  end
  return wrk.format("GET", "/s" .. i)
end
