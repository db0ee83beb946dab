-- wrk script for scripts/bench/run.sh: POSTs an MCP tools/call of demo_echo
-- over keep-alive, checks every reply, and counts completed requests per
-- connection.
--
-- Environment:
--   BENCH_PROTOCOL  modern  : protocol 2026-07-28, stateless; headers
--                             MCP-Protocol-Version, Mcp-Method, Mcp-Name and
--                             the version in params._meta (default)
--                   session : protocol 2025-11-25 in an initialized session;
--                             headers Mcp-Session-Id and MCP-Protocol-Version
--   BENCH_SESSION   the Mcp-Session-Id for BENCH_PROTOCOL=session
--   BENCH_TEXT      the text to echo (default "hello")
--   BENCH_TRACK     1 (default): check every reply and count per connection
--                   0: a fixed request (token 101) and no per-reply hook, so
--                      wrk runs at its full speed; no checks, no counts
--   BENCH_AUTHORIZATION  when set, sent as the Authorization header of every
--                   request (e.g. "Bearer <token>"; scripts/bench/auth.sh)
--
-- Counting per connection. wrk tells a script nothing about which connection
-- a request or a response belongs to, so each connection carries a token:
-- the JSON-RPC id of its request (also sent as X-Bench-Token, which the
-- nginx ceiling copies into its canned reply). Thread i (1-based) uses the
-- tokens 100 + i + 16n, so no two requests in flight share an id, which
-- a session requires; with -c64 -t2 they stay three digits long and the
-- nginx reply exactly 80 bytes. A connection sends its next
-- request only after its reply arrived, so response() hands the reply's
-- token back and the next request() takes it again; a connection's first
-- request takes a fresh token. A connection that never gets a reply keeps a
-- token whose count stays 0. Tokens freed in the same event-loop pass may
-- trade places between connections, so min/median/max are per token (close
-- to per connection), but a connection that completed nothing is always a
-- token with count 0. The number of tokens equals the number of connections
-- unless a connection was dropped with a request outstanding; the report
-- prints both.
--
-- done() prints one line "@result key=value ..." that run.sh parses.

local protocol = os.getenv("BENCH_PROTOCOL") or "modern"
local session = os.getenv("BENCH_SESSION") or ""
local text = os.getenv("BENCH_TEXT") or "hello"
local track = (os.getenv("BENCH_TRACK") or "1") ~= "0"
local authorization = os.getenv("BENCH_AUTHORIZATION") or ""

local counts = {}      -- token -> completed requests, mirrored in globals
                       -- c<token> for done() (thread:get copies numbers)
local queue = {}       -- tokens handed back by response(), oldest first
local qhead, qtail = 1, 0
local kStride = 16      -- at most 16 wrk threads
local nextToken = nil  -- set on the first request, from threadIndex
local requests = {}    -- token -> formatted request
local names = setmetatable({}, {__index = function(t, k) local v = "c" .. k; t[k] = v; return v end})
-- Globals, read by done() through thread:get.
threadIndex = 1
firstToken, lastToken = 0, -1
badStatus, badBody, unknown = 0, 0, 0

local function body(token)
  local meta = ""
  if protocol == "modern" then
    meta = ',"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28",' ..
           '"io.modelcontextprotocol/clientCapabilities":{}}'
  end
  return '{"jsonrpc":"2.0","id":' .. token .. ',"method":"tools/call","params":{"name":"demo_echo",' ..
         '"arguments":{"text":"' .. text .. '"}' .. meta .. '}}'
end

local function headers(token)
  local h = {
    ["Content-Type"] = "application/json",
    ["Accept"] = "application/json, text/event-stream",
    ["X-Bench-Token"] = tostring(token),
  }
  if protocol == "modern" then
    h["MCP-Protocol-Version"] = "2026-07-28"
    h["Mcp-Method"] = "tools/call"
    h["Mcp-Name"] = "demo_echo"
  else
    h["MCP-Protocol-Version"] = "2025-11-25"
    h["Mcp-Session-Id"] = session
  end
  if authorization ~= "" then h["Authorization"] = authorization end
  return h
end

local function format(token)
  return wrk.format("POST", wrk.path, headers(token), body(token))
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("threadIndex", #threads)
  -- wrk calls request() once in the first thread's state before the run, to
  -- check the request; that call must not take a token.
  thread:set("verifyPending", #threads == 1)
end

if not track then
  -- wrk formats this one request once and sends it on every connection.
  wrk.method = "POST"
  wrk.body = body(101)
  for name, value in pairs(headers(101)) do wrk.headers[name] = value end
end

if track then
function request()
  if verifyPending then
    verifyPending = false
    return format(0)
  end
  local token
  if qhead <= qtail then
    token = queue[qhead]
    queue[qhead] = nil
    qhead = qhead + 1
  else
    if not nextToken then
      nextToken = 100 + threadIndex
      firstToken = nextToken
    end
    token = nextToken
    nextToken = nextToken + kStride
    counts[token] = 0
    _G["c" .. token] = 0
    lastToken = token
    requests[token] = format(token)
  end
  return requests[token]
end

function response(status, headers, reply)
  if status ~= 200 then badStatus = badStatus + 1 end
  if not reply or not reply:find(text, 1, true) then badBody = badBody + 1 end
  local token = reply and tonumber(reply:match('"id":%s*(%d+)'))
  if token and counts[token] then
    local n = counts[token] + 1
    counts[token] = n
    _G[names[token]] = n
    qtail = qtail + 1
    queue[qtail] = token
  else
    unknown = unknown + 1
  end
end
end

function done(summary_, latency, _)
  local all = {}
  local bs, bb, un = 0, 0, 0
  for _, thread in ipairs(threads) do
    if not track then break end
    for token = thread:get("firstToken"), thread:get("lastToken"), kStride do
      all[#all + 1] = thread:get("c" .. token)
    end
    bs = bs + (thread:get("badStatus") or 0)
    bb = bb + (thread:get("badBody") or 0)
    un = un + (thread:get("unknown") or 0)
  end
  table.sort(all)
  local zero = 0
  for _, n in ipairs(all) do if n == 0 then zero = zero + 1 end end
  local median = 0
  if #all > 0 then
    local m = math.floor((#all + 1) / 2)
    median = (#all % 2 == 1) and all[m] or (all[m] + all[m + 1]) / 2
  end
  local e = summary_.errors
  io.write(string.format(
    "@result requests=%d duration_us=%d rps=%.1f p50_us=%d p99_us=%d max_us=%d " ..
    "tracked=%d tokens=%d conn_min=%d conn_median=%s conn_max=%d conn_zero=%d " ..
    "bad_status=%d bad_body=%d unknown=%d err_connect=%d err_read=%d err_write=%d err_status=%d err_timeout=%d\n",
    summary_.requests, summary_.duration, summary_.requests / (summary_.duration / 1e6),
    latency:percentile(50), latency:percentile(99), latency.max,
    track and 1 or 0, #all, all[1] or 0, tostring(median), all[#all] or 0, zero,
    bs, bb, un, e.connect, e.read, e.write, e.status, e.timeout))
end
