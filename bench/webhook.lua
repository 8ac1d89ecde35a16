-- wrk script for bench/webhook.sh: every request is a Twilio webhook signed like Twilio signs
-- it (HMAC-SHA1, FACTS §2) and carries a SID never sent before, so the server stores each one.
--
-- Arguments (after `--`): kind (voice|msg|status), public_url, auth_token, run (8 hex digits), and
-- optionally PREFIX: requests pre-signed by bench/presign.py in PREFIX.<thread>. Those are sent
-- first (after checking the first one against this script's own signer), so the benchmark
-- machine's CPU is not spent on HMAC-SHA1 in Lua while it measures; once a file runs out the
-- script signs live. The `done` line reports how many requests were signed live.
-- BENCH_SELFCHECK=1 in the environment: check the signer against FACTS §2 vector 1 and exit.

local bit = require("bit")
local band, bor, bxor, bnot = bit.band, bit.bor, bit.bxor, bit.bnot
local rol, tobit, rshift, lshift = bit.rol, bit.tobit, bit.rshift, bit.lshift
local byte, char, fmt = string.byte, string.char, string.format

-- SHA-1 ----------------------------------------------------------------------------------

local W = {}

-- Compresses the 64-byte block of `s` at `off` (1-based) into state `h` (5 signed words).
local function compress(h, s, off)
  for i = 0, 15 do
    local a, b, c, d = byte(s, off + i * 4, off + i * 4 + 3)
    W[i] = bor(lshift(a, 24), lshift(b, 16), lshift(c, 8), d)
  end
  for i = 16, 79 do
    W[i] = rol(bxor(W[i - 3], W[i - 8], W[i - 14], W[i - 16]), 1)
  end
  local a, b, c, d, e = h[1], h[2], h[3], h[4], h[5]
  for i = 0, 79 do
    local f, k
    if i < 20 then
      f, k = bor(band(b, c), band(bnot(b), d)), 0x5A827999
    elseif i < 40 then
      f, k = bxor(b, c, d), 0x6ED9EBA1
    elseif i < 60 then
      f, k = bor(band(b, c), band(b, d), band(c, d)), 0x8F1BBCDC
    else
      f, k = bxor(b, c, d), 0xCA62C1D6
    end
    local t = tobit(rol(a, 5) + f + e + k + W[i])
    e, d, c, b, a = d, c, rol(b, 30), a, t
  end
  h[1], h[2], h[3], h[4], h[5] =
    tobit(h[1] + a), tobit(h[2] + b), tobit(h[3] + c), tobit(h[4] + d), tobit(h[5] + e)
end

local INIT = { tobit(0x67452301), tobit(0xEFCDAB89), tobit(0x98BADCFE), tobit(0x10325476),
  tobit(0xC3D2E1F0) }

local function be32(x)
  return char(band(rshift(x, 24), 255), band(rshift(x, 16), 255), band(rshift(x, 8), 255),
    band(x, 255))
end

-- Finishes a hash whose state `h0` has already absorbed `prefix` bytes (a multiple of 64),
-- over `msg`; returns the 20-byte digest.
local function sha1_from(h0, prefix, msg)
  local h = { h0[1], h0[2], h0[3], h0[4], h0[5] }
  local bits = (prefix + #msg) * 8
  local pad = (55 - #msg) % 64
  local s = msg .. "\128" .. string.rep("\0", pad)
    .. be32(math.floor(bits / 4294967296)) .. be32(bits % 4294967296)
  for off = 1, #s, 64 do
    compress(h, s, off)
  end
  return be32(h[1]) .. be32(h[2]) .. be32(h[3]) .. be32(h[4]) .. be32(h[5])
end

local function sha1(msg)
  return sha1_from(INIT, 0, msg)
end

-- HMAC-SHA1 with the key's inner and outer pads absorbed once (the key never changes).
local function hmac_sha1_for(key)
  if #key > 64 then
    key = sha1(key)
  end
  key = key .. string.rep("\0", 64 - #key)
  local ipad, opad = {}, {}
  for i = 1, 64 do
    local k = byte(key, i)
    ipad[i] = char(bxor(k, 0x36))
    opad[i] = char(bxor(k, 0x5c))
  end
  local hi = { INIT[1], INIT[2], INIT[3], INIT[4], INIT[5] }
  local ho = { INIT[1], INIT[2], INIT[3], INIT[4], INIT[5] }
  compress(hi, table.concat(ipad), 1)
  compress(ho, table.concat(opad), 1)
  return function(msg)
    return sha1_from(ho, 64, sha1_from(hi, 64, msg))
  end
end

-- Base64 ---------------------------------------------------------------------------------

local B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local B64C = {}
for i = 0, 63 do
  B64C[i] = B64:sub(i + 1, i + 1)
end

local function base64(s)
  local out = {}
  for i = 1, #s, 3 do
    local a, b, c = byte(s, i, i + 2)
    local n = lshift(a, 16) + lshift(b or 0, 8) + (c or 0)
    out[#out + 1] = B64C[band(rshift(n, 18), 63)] .. B64C[band(rshift(n, 12), 63)]
      .. (b and B64C[band(rshift(n, 6), 63)] or "=") .. (c and B64C[band(n, 63)] or "=")
  end
  return table.concat(out)
end

-- Twilio signatures ----------------------------------------------------------------------

-- `params` is a list of {name, value}; Twilio signs URL .. name1 .. value1 .. … in name order.
local function signature(hmac, url, params)
  local sorted = {}
  for i, p in ipairs(params) do
    sorted[i] = p
  end
  table.sort(sorted, function(x, y) return x[1] < y[1] end)
  local parts = { url }
  for _, p in ipairs(sorted) do
    parts[#parts + 1] = p[1] .. p[2]
  end
  return base64(hmac(table.concat(parts)))
end

local function urlencode(s)
  return (s:gsub("[^%w%-%._~]", function(c) return fmt("%%%02X", byte(c)) end))
end

local function form(params)
  local parts = {}
  for i, p in ipairs(params) do
    parts[i] = urlencode(p[1]) .. "=" .. urlencode(p[2])
  end
  return table.concat(parts, "&")
end

-- Self-check: FACTS §2 vector 1, plus SHA-1 of "abc" (FIPS 180-1) and RFC 2202 case 2.
local function hex(s)
  return (s:gsub(".", function(c) return fmt("%02x", byte(c)) end))
end

local function selfcheck()
  local problems = {}
  local function expect(what, got, want)
    if got ~= want then
      problems[#problems + 1] = what .. ": got " .. got .. ", want " .. want
    end
  end
  expect("SHA-1(abc)", hex(sha1("abc")), "a9993e364706816aba3e25717850c26c9cd0d89d")
  expect("SHA-1(2 blocks)",
    hex(sha1("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
    "84983e441c3bd26ebaae4aa1f95129e5e54670f1")
  expect("HMAC-SHA1 RFC 2202 #2", hex(hmac_sha1_for("Jefe")("what do ya want for nothing?")),
    "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79")
  local vector = signature(hmac_sha1_for("12345"), "https://mycompany.com/myapp.php?foo=1&bar=2", {
    { "CallSid", "CA1234567890ABCDE" }, { "Caller", "+14158675309" }, { "Digits", "1234" },
    { "From", "+14158675309" }, { "To", "+18005551212" },
  })
  expect("FACTS §2 vector 1", vector, "RSOYDt4T1cUTdK1PDd93/VVr8B8=")
  return problems, vector
end

do
  local problems, vector = selfcheck()
  if #problems > 0 then
    io.stderr:write("webhook.lua self-check FAILED:\n  " .. table.concat(problems, "\n  ") .. "\n")
    os.exit(2)
  end
  if os.getenv("BENCH_SELFCHECK") == "1" then
    print("self-check OK: SHA-1, HMAC-SHA1 and FACTS §2 vector 1 = " .. vector)
    os.exit(0)
  end
end

-- wrk hooks ------------------------------------------------------------------------------

local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", #threads)
  threads[#threads + 1] = thread
end

local kind, url, hmac, run, path
-- Pre-signed requests: the file's text and where its next line starts (nil when none are left).
local presigned, pos
local sign, next_presigned -- defined below
-- Globals, so done() can read them from each thread with thread:get().
sent, non200, badbody, live = 0, 0, 0, 0

function init(args)
  kind, run = args[1], args[4]
  if (kind ~= "voice" and kind ~= "msg" and kind ~= "status") or not args[3] or not run
      or not run:match("^%x%x%x%x%x%x%x%x$") then
    io.stderr:write("usage: wrk … -s webhook.lua URL -- voice|msg|status PUBLIC_URL AUTH_TOKEN RUN8HEX\n")
    os.exit(2)
  end
  if kind == "status" then
    path = "/flow/status/call"
  else
    path = "/flow/" .. kind .. "/default"
  end
  url = args[2]:gsub("/$", "") .. path
  hmac = hmac_sha1_for(args[3])
  if args[5] then
    local name = args[5] .. "." .. tid
    local f = assert(io.open(name, "rb"))
    presigned, pos = f:read("*a"), 1
    f:close()
    -- Two independent signers (Python's hmac and this file's) must agree on the first request.
    local sig, body = next_presigned()
    local want_sig, want_body = sign(1)
    if sig ~= want_sig or body ~= want_body then
      io.stderr:write("webhook.lua: " .. name .. " does not match this script's first request:\n  "
        .. tostring(sig) .. " " .. tostring(body) .. "\n  " .. want_sig .. " " .. want_body .. "\n")
      os.exit(2)
    end
    pos = 1
  end
end

local ACCOUNT = "AC0123456789abcdef0123456789abcdef"
local NUMBER = "+18001234567"

-- The signature and form body of request number `n` of this thread.
function sign(n)
  -- 32 hex digits: run (8) + thread (4) + counter (20, zero-padded); never repeats.
  local sid = run .. fmt("%04x", tid) .. fmt("%020x", n)
  -- 5,000 different callers, so the per-number indexes see realistic spread.
  local from = fmt("+1415%07d", n % 5000)
  local params
  if kind == "voice" then
    params = {
      { "AccountSid", ACCOUNT }, { "CallSid", "CA" .. sid }, { "CallStatus", "ringing" },
      { "Direction", "inbound" }, { "From", from }, { "To", NUMBER }, { "ApiVersion", "2010-04-01" },
    }
  elseif kind == "status" then
    -- A <Dial> leg's final callback: a call vbx has not seen, created by its status.
    params = {
      { "AccountSid", ACCOUNT }, { "CallSid", "CA" .. sid }, { "CallStatus", "completed" },
      { "Direction", "outbound-dial" }, { "From", NUMBER }, { "To", from },
      { "CallDuration", "12" }, { "SequenceNumber", "3" }, { "ApiVersion", "2010-04-01" },
    }
  else
    params = {
      { "AccountSid", ACCOUNT }, { "MessageSid", "SM" .. sid }, { "From", from }, { "To", NUMBER },
      { "Body", "Benchmark text #" .. n .. " <&> ünï 📞" }, { "NumMedia", "0" },
      { "NumSegments", "1" }, { "ApiVersion", "2010-04-01" },
    }
  end
  return signature(hmac, url, params), form(params)
end

-- The next line of the pre-signed file: signature, body (nil once the file is used up).
function next_presigned()
  if not presigned then
    return nil
  end
  local tab = presigned:find("\t", pos, true)
  local nl = tab and presigned:find("\n", tab, true)
  if not nl then
    presigned = nil
    return nil
  end
  local sig, body = presigned:sub(pos, tab - 1), presigned:sub(tab + 1, nl - 1)
  pos = nl + 1
  return sig, body
end

function request()
  counter = counter + 1
  sent = counter
  local sig, body = next_presigned()
  if not sig then
    live = live + 1
    sig, body = sign(counter)
  end
  local headers = {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["X-Twilio-Signature"] = sig,
  }
  return wrk.format("POST", path, headers, body)
end

function response(status, headers, body)
  if kind == "status" then
    -- Status callbacks are acknowledged without TwiML.
    if status ~= 204 then
      non200 = non200 + 1
    end
  elseif status ~= 200 then
    non200 = non200 + 1
  elseif not body:find("<Response", 1, true) then
    badbody = badbody + 1
  end
end

function done(summary, latency, requests)
  local s, n, b, l = 0, 0, 0, 0
  for _, t in ipairs(threads) do
    s = s + (t:get("sent") or 0)
    n = n + (t:get("non200") or 0)
    b = b + (t:get("badbody") or 0)
    l = l + (t:get("live") or 0)
  end
  local e = summary.errors
  io.write(fmt(
    "RESULT requests=%d sent=%d duration_us=%d rps=%.1f p50_us=%d p99_us=%d max_us=%d non200=%d badbody=%d connect_err=%d read_err=%d write_err=%d timeout_err=%d live_signed=%d\n",
    summary.requests, s, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99), latency.max, n, b,
    e.connect, e.read, e.write, e.timeout, l))
end
