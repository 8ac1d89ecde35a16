-- wrk script for bench/scale.sh: logged-in GETs, round-robin over a file of paths (one a
-- line), each request carrying the session cookie; counts answers that are not a 200 with a
-- JSON list (`"items":[`) and prints one RESULT line.
--
-- Arguments (after `--`): paths_file cookie ("vbx_session=…").

local fmt = string.format
local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  threads[#threads + 1] = thread
end

local paths, cookie
local next_path = 0
-- Globals, so done() can read them from each thread with thread:get().
bad, badbody = 0, 0

function init(args)
  if not args[1] or not args[2] then
    io.stderr:write("usage: wrk … -s paths.lua URL -- PATHS_FILE COOKIE\n")
    os.exit(2)
  end
  paths = {}
  for line in io.lines(args[1]) do
    if line ~= "" then
      paths[#paths + 1] = line
    end
  end
  if #paths == 0 then
    io.stderr:write("paths.lua: no paths in " .. args[1] .. "\n")
    os.exit(2)
  end
  cookie = args[2]
  -- Threads start at different places in the list so they do not ask the same in lockstep.
  next_path = (tid or 0) * 7919
end

function request()
  next_path = next_path + 1
  local path = paths[(next_path - 1) % #paths + 1]
  return wrk.format("GET", path, { ["Cookie"] = cookie, ["Accept"] = "application/json" })
end

function response(status, headers, body)
  if status ~= 200 then
    bad = bad + 1
  elseif not body:find('"items":[', 1, true) then
    badbody = badbody + 1
  end
end

function done(summary, latency, requests)
  local b, bb = 0, 0
  for _, t in ipairs(threads) do
    b = b + (t:get("bad") or 0)
    bb = bb + (t:get("badbody") or 0)
  end
  local e = summary.errors
  io.write(fmt(
    "RESULT requests=%d duration_us=%d rps=%.1f p50_us=%d p99_us=%d max_us=%d non200=%d badbody=%d socket_errors=%d\n",
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99), latency.max, b, bb,
    e.connect + e.read + e.write + e.timeout))
end
