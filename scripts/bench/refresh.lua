-- wrk script for scripts/bench/auth.sh: refresh-token rotation chains.
-- POSTs grant_type=refresh_token to /oauth/token over keep-alive. Each chain
-- is one grant: it sends its newest refresh token and keeps the one the
-- reply carries, so every request is a real rotation (a reused token would
-- revoke the grant and fail every later request of the chain).
--
-- Environment:
--   BENCH_CHAINS_FILE  the client_id on the first line, then one refresh
--                      token a line (one per chain), from auth-setup.mjs
--   BENCH_THREADS      wrk -t; thread i (1-based) takes the tokens of lines
--                      i, i + BENCH_THREADS, ... (it must get at least as
--                      many chains as it has connections)
--
-- A connection sends its next request only after its reply arrived, and
-- wrk calls request() for that connection right after response(), so the
-- token response() queues is what request() sends next: a chain may move
-- between connections of a thread, never run twice at once. A chain whose
-- rotation failed is dead; a connection left without a live chain sends a
-- request with no refresh token (counted as "starved", never a rotation).
--
-- done() prints one line "@result key=value ..." that auth.sh parses.

local chainsFile = os.getenv("BENCH_CHAINS_FILE")
local nThreads = tonumber(os.getenv("BENCH_THREADS") or "1")

local queue = {}
local qhead, qtail = 1, 0
local clientId = ""
local path = "/oauth/token"
local headers = {
  ["Content-Type"] = "application/x-www-form-urlencoded",
  ["Accept"] = "application/json",
}
-- Globals, read by done() through thread:get.
threadIndex = 1
chains, ok, errors, starved, noToken = 0, 0, 0, 0, 0
status400, status401, status5xx, statusOther = 0, 0, 0, 0
firstError = ""

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("threadIndex", #threads)
  -- wrk calls request() once in the first thread's state before the run, to
  -- check the request; that call must not take a chain.
  thread:set("verifyPending", #threads == 1)
end

local function urlencode(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

function init(args)
  local f = assert(io.open(chainsFile, "r"), "cannot open BENCH_CHAINS_FILE")
  local line = 0
  for token in f:lines() do
    if line == 0 then
      clientId = token
    elseif token ~= "" and (line - 1) % nThreads == threadIndex - 1 then
      qtail = qtail + 1
      queue[qtail] = token
    end
    line = line + 1
  end
  f:close()
  chains = qtail
end

local function format(token)
  local body = "grant_type=refresh_token&client_id=" .. urlencode(clientId)
  if token then body = body .. "&refresh_token=" .. urlencode(token) end
  return wrk.format("POST", path, headers, body)
end

function request()
  if verifyPending then
    verifyPending = false
    return format(nil)
  end
  if qhead <= qtail then
    local token = queue[qhead]
    queue[qhead] = nil
    qhead = qhead + 1
    return format(token)
  end
  starved = starved + 1
  return format(nil)
end

function response(status, _, body)
  if status == 200 then
    local token = body and body:match('"refresh_token"%s*:%s*"([^"]+)"')
    if token and body:find('"access_token"', 1, true) then
      ok = ok + 1
      qtail = qtail + 1
      queue[qtail] = token
      return
    end
    noToken = noToken + 1
  elseif status == 400 then status400 = status400 + 1
  elseif status == 401 then status401 = status401 + 1
  elseif status >= 500 then status5xx = status5xx + 1
  else statusOther = statusOther + 1 end
  errors = errors + 1
  if firstError == "" then firstError = tostring(status) .. ":" .. (body or ""):sub(1, 120) end
end

function done(summary_, latency, _)
  local sum = {chains = 0, ok = 0, errors = 0, starved = 0, noToken = 0,
               status400 = 0, status401 = 0, status5xx = 0, statusOther = 0}
  local first = ""
  for _, thread in ipairs(threads) do
    for k, _ in pairs(sum) do sum[k] = sum[k] + (thread:get(k) or 0) end
    local e = thread:get("firstError")
    if first == "" and e and e ~= "" then first = e end
  end
  local e = summary_.errors
  io.write(string.format(
    "@result requests=%d duration_us=%d rps=%.1f ok=%d ok_rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d " ..
    "chains=%d errors=%d starved=%d no_token=%d status_400=%d status_401=%d status_5xx=%d status_other=%d " ..
    "err_connect=%d err_read=%d err_write=%d err_status=%d err_timeout=%d\n",
    summary_.requests, summary_.duration, summary_.requests / (summary_.duration / 1e6),
    sum.ok, sum.ok / (summary_.duration / 1e6),
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    sum.chains, sum.errors, sum.starved, sum.noToken, sum.status400, sum.status401, sum.status5xx, sum.statusOther,
    e.connect, e.read, e.write, e.status, e.timeout))
  if first ~= "" then
    io.write("@first_error " .. first:gsub("[\r\n]", " ") .. "\n")
  end
end
