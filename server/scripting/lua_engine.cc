#include "server/scripting/lua_engine.h"

extern "C" {
#include <lua5.1/lauxlib.h>
#include <lua5.1/lua.h>
#include <lua5.1/lualib.h>
#include <lua5.1/lua-bitop.h>
#include <lua5.1/lua-cjson.h>
int luaopen_struct(lua_State* L);
int luaopen_cmsgpack(lua_State* L);
}

#include <fmt/core.h>

#include <cmath>
#include <cstring>

#include <sys/uio.h>
#include <unistd.h>

#include "common/hash.h"
#include "common/log.h"
#include "common/resp/value.h"
#include "common/strutil.h"
#include "server/core/context.h"
#include "server/core/replication.h"
#include "server/core/server.h"

namespace tessera {

namespace {

constexpr int kMaxNesting = 1000;          // deepest table/array converted either way
constexpr int kHookInstructions = 100000;  // how often a running script checks the clock

// The drand48-style generator Redis gives scripts instead of libc's rand(). As in Redis 7.0
// it starts from drand48's initial state when the server starts and is not reseeded per
// script: the sequence is deterministic from start, shared by all scripts (randomseed moves it).
uint64_t rand48_state = 0x1234ABCD330EULL;
void Srand48(int32_t seed) {
  rand48_state = (static_cast<uint64_t>(static_cast<uint32_t>(seed)) << 16) | 0x330E;
}
int32_t Lrand48() {
  rand48_state = (0x5DEECE66DULL * rand48_state + 0xB) & ((1ULL << 48) - 1);
  return static_cast<int32_t>(rand48_state >> 17);
}

int MathRandom(lua_State* L) {
  constexpr int32_t kMax = INT32_MAX;
  lua_Number r = static_cast<lua_Number>(Lrand48() % kMax) / static_cast<lua_Number>(kMax);
  switch (lua_gettop(L)) {
    case 0:
      lua_pushnumber(L, r);
      break;
    case 1: {
      int u = luaL_checkint(L, 1);
      luaL_argcheck(L, 1 <= u, 1, "interval is empty");
      lua_pushnumber(L, std::floor(r * u) + 1);
      break;
    }
    case 2: {
      int l = luaL_checkint(L, 1);
      int u = luaL_checkint(L, 2);
      luaL_argcheck(L, l <= u, 2, "interval is empty");
      lua_pushnumber(L, std::floor(r * (u - l + 1)) + l);
      break;
    }
    default:
      return luaL_error(L, "wrong number of arguments");
  }
  return 1;
}

int MathRandomSeed(lua_State* L) {
  Srand48(luaL_checkint(L, 1));
  return 0;
}

// The sandbox, in Lua: scripts see a proxy of an allow-list of globals. Reading a name that
// is not there and writing anything fail as in Redis 7.0; library tables are read-only
// proxies too. `__tessera_err_handler` turns any error into Redis's {err=, source=, line=}.
const char* kSandboxCode = R"lua(
local dbg, rawget, rawset, setmetatable, error, tostring, type =
      debug, rawget, rawset, setmetatable, error, tostring, type
local protected = setmetatable({}, {__mode = 'k'})  -- tables scripts may not change
local function readonly(t)
  local p = setmetatable({}, {
    __index = t,
    __newindex = function() error("Attempt to modify a readonly table", 2) end,
    __metatable = false })
  protected[p] = true
  return p
end
local visible = {}
for _, name in ipairs({'assert', 'collectgarbage', 'error', 'gcinfo', 'getmetatable', 'ipairs',
    'loadstring', 'load', 'next', 'pairs', 'pcall', 'rawequal', 'rawget', 'rawset', 'select',
    'setmetatable', 'tonumber', 'tostring', 'type', 'unpack', 'xpcall', '_VERSION'}) do
  visible[name] = _G[name]
end
for _, name in ipairs({'string', 'table', 'math', 'coroutine', 'cjson', 'bit', 'struct',
    'cmsgpack', 'redis'}) do
  visible[name] = readonly(_G[name])
end
local env = setmetatable({}, {
  __index = function(_, n)
    local v = rawget(visible, n)
    if v == nil then
      error("Script attempted to access nonexistent global variable '" .. tostring(n) .. "'", 2)
    end
    return v
  end,
  __newindex = function() error("Attempt to modify a readonly table", 2) end,
  __metatable = false })
protected[env] = true
visible._G = env
local string_mt = getmetatable('')
string_mt.__index = visible.string
string_mt.__metatable = readonly(string_mt)
local real_setmetatable = setmetatable
visible.setmetatable = function(t, mt)
  if protected[t] then error("Attempt to modify a readonly table", 0) end
  return real_setmetatable(t, mt)
end
local real_rawset = rawset
visible.rawset = function(t, k, v)
  if protected[t] then error("Attempt to modify a readonly table", 0) end
  return real_rawset(t, k, v)
end
__tessera_env = env
__tessera_visible = visible
-- What a function library sees while FUNCTION LOAD runs it: only registration and logging.
local load_redis = {register_function = __tessera_register_function, log = redis.log,
  LOG_DEBUG = redis.LOG_DEBUG, LOG_VERBOSE = redis.LOG_VERBOSE,
  LOG_NOTICE = redis.LOG_NOTICE, LOG_WARNING = redis.LOG_WARNING,
  REDIS_VERSION = redis.REDIS_VERSION, REDIS_VERSION_NUM = redis.REDIS_VERSION_NUM}
local load_redis_proxy = setmetatable({}, {
  __index = function(_, n)
    local v = load_redis[n]
    if v == nil then
      error("Script attempted to access nonexistent global variable '" .. tostring(n) .. "'", 2)
    end
    return v
  end,
  __newindex = function() error("Attempt to modify a readonly table", 2) end,
  __metatable = false })
protected[load_redis_proxy] = true
-- Functions keep this environment when they run later: `redis` is then the full API.
local state = {loading = false}
__tessera_state = state
local load_env = setmetatable({}, {
  __index = function(_, n)
    -- While the library loads only `redis` (registration and logging) exists; when its
    -- functions run they see what scripts see, except KEYS and ARGV.
    if n == 'redis' then
      if state.loading then return load_redis_proxy end
      return visible.redis
    end
    local v = nil
    if not state.loading and n ~= 'KEYS' and n ~= 'ARGV' then v = visible[n] end
    if v == nil then
      error("Script attempted to access nonexistent global variable '" .. tostring(n) .. "'", 2)
    end
    return v
  end,
  __newindex = function() error("Attempt to modify a readonly table", 2) end,
  __metatable = false })
protected[load_env] = true
__tessera_load_env = load_env
local real_loadstring, real_load, setfenv = loadstring, load, setfenv
-- Chunks compiled by a script run in the script's sandbox, not in the real globals.
visible.loadstring = function(s, name)
  local f, e = real_loadstring(s, name)
  if f then setfenv(f, env) end
  return f, e
end
visible.load = function(fn, name)
  if type(fn) ~= 'function' then
    error("bad argument #1 to 'load' (function expected, got " .. type(fn) .. ")", 2)
  end
  local f, e = real_load(fn, name)
  if f then setfenv(f, env) end
  return f, e
end
function __tessera_err_handler(err)
  -- Report the script's line: skip C functions and the sandbox's own functions.
  local level = 2
  local i = dbg.getinfo(level, 'nSl')
  while i and (i.what == 'C' or i.source == '@sandbox') do
    level = level + 1
    i = dbg.getinfo(level, 'nSl')
  end
  if type(err) ~= 'table' then err = {err = 'ERR ' .. tostring(err)} end
  if i then
    err['source'] = i.source
    err['line'] = i.currentline
  end
  return err
end
debug = nil
)lua";

// Replaces CR and LF with spaces (status and error replies are one line).
std::string OneLine(std::string_view s) {
  std::string out(s);
  for (char& ch : out) {
    if (ch == '\r' || ch == '\n') ch = ' ';
  }
  return out;
}

}  // namespace

// What the C callbacks need; reached through the registry (one engine per lua_State).
struct LuaEngine::Impl {
  LuaEngine* engine = nullptr;
  Server* server = nullptr;
  Client* fake = nullptr;            // the client scripts' commands run as
  CommandContext* ctx = nullptr;     // the EVAL being served
  std::string current_sha;
  bool read_only = false;
  bool wrote = false;                // a write command ran: SCRIPT KILL refuses
  bool allow_oom = false;            // the allow-oom flag: no OOM refusals inside
  bool kill_requested = false;
  int resp = 2;                      // redis.setresp
  int repl_flags = 3;                // redis.set_repl
  int64_t start_ms = 0;
  // FUNCTION LOAD in progress: what redis.register_function collected.
  bool loading = false;
  std::vector<LuaFunction> pending;
  std::string running_name;
  // Scratch for redis.call (kept here: no C++ object may live in a frame that longjmps).
  std::vector<std::string> args;
  std::string error;
  resp::Value reply;
};

namespace {

LuaEngine::Impl* GetImpl(lua_State* L) {
  lua_getfield(L, LUA_REGISTRYINDEX, "__tessera_impl");
  auto* impl = static_cast<LuaEngine::Impl*>(lua_touserdata(L, -1));
  lua_pop(L, 1);
  return impl;
}

// Pushes {err = "<CODE> <msg>"} the way Redis builds error tables: a leading '-' means the
// text carries its own code, otherwise ERR is prepended; trailing CR/LF are trimmed.
void PushErrorTable(lua_State* L, std::string_view text) {
  std::string code = "ERR";
  std::string_view msg = text;
  if (!text.empty() && text[0] == '-') {
    size_t sp = text.find(' ');
    if (sp == std::string_view::npos) {
      msg = text.substr(1);
    } else {
      code = std::string(text.substr(1, sp - 1));
      msg = text.substr(sp + 1);
    }
  }
  while (!msg.empty() && (msg.back() == '\r' || msg.back() == '\n')) msg.remove_suffix(1);
  std::string full = code + " " + std::string(msg);
  lua_newtable(L);
  lua_pushstring(L, "err");
  lua_pushlstring(L, full.data(), full.size());
  lua_settable(L, -3);
}

// RESP (as parsed from the script client's output) -> Lua, per the documented rules.
// `resp`: the protocol the script asked for (RESP2 nulls become false, RESP3 nulls nil).
void PushValue(lua_State* L, const resp::Value& v, int depth, int resp) {
  using T = resp::Value::Type;
  lua_checkstack(L, 4);
  switch (v.type) {
    case T::kInteger:
      lua_pushnumber(L, static_cast<lua_Number>(v.integer));
      return;
    case T::kBulkString:
      lua_pushlstring(L, v.str.data(), v.str.size());
      return;
    case T::kSimpleString:
      lua_newtable(L);
      lua_pushstring(L, "ok");
      lua_pushlstring(L, v.str.data(), v.str.size());
      lua_settable(L, -3);
      return;
    case T::kError:
      PushErrorTable(L, "-" + v.str);
      return;
    case T::kNull:
      if (resp == 2) {
        lua_pushboolean(L, 0);  // RESP2 nulls are false
      } else {
        lua_pushnil(L);  // RESP3 null
      }
      return;
    case T::kBoolean:
      lua_pushboolean(L, v.integer != 0);
      return;
    case T::kDouble:
      lua_newtable(L);
      lua_pushstring(L, "double");
      lua_pushnumber(L, strtod(v.str.c_str(), nullptr));
      lua_settable(L, -3);
      return;
    case T::kBigNumber:
      lua_newtable(L);
      lua_pushstring(L, "big_number");
      lua_pushlstring(L, v.str.data(), v.str.size());
      lua_settable(L, -3);
      return;
    case T::kVerbatim: {
      lua_newtable(L);
      lua_pushstring(L, "verbatim_string");
      lua_newtable(L);
      lua_pushstring(L, "format");
      lua_pushlstring(L, v.str.data(), std::min<size_t>(3, v.str.size()));
      lua_settable(L, -3);
      lua_pushstring(L, "string");
      std::string_view body = v.str.size() >= 4 ? std::string_view(v.str).substr(4) : "";
      lua_pushlstring(L, body.data(), body.size());
      lua_settable(L, -3);
      lua_settable(L, -3);
      return;
    }
    case T::kMap:
    case T::kAttribute: {
      lua_newtable(L);
      lua_pushstring(L, "map");
      lua_newtable(L);
      for (size_t i = 0; i + 1 < v.elements.size() && depth < kMaxNesting; i += 2) {
        PushValue(L, v.elements[i], depth + 1, resp);
        PushValue(L, v.elements[i + 1], depth + 1, resp);
        lua_settable(L, -3);
      }
      lua_settable(L, -3);
      return;
    }
    case T::kSet: {
      lua_newtable(L);
      lua_pushstring(L, "set");
      lua_newtable(L);
      for (size_t i = 0; i < v.elements.size() && depth < kMaxNesting; ++i) {
        PushValue(L, v.elements[i], depth + 1, resp);
        lua_pushboolean(L, 1);
        lua_settable(L, -3);
      }
      lua_settable(L, -3);
      return;
    }
    case T::kArray:
    case T::kPush:
      lua_newtable(L);
      for (size_t i = 0; i < v.elements.size() && depth < kMaxNesting; ++i) {
        PushValue(L, v.elements[i], depth + 1, resp);
        lua_rawseti(L, -2, static_cast<int>(i + 1));
      }
      return;
  }
  lua_pushnil(L);
}

// For the table on top of the stack: pushes t[name] (raw) and returns true if it has `type`;
// otherwise pops it again and returns false.
bool RawField(lua_State* L, const char* name, int type) {
  lua_pushstring(L, name);
  lua_rawget(L, -2);
  if (lua_type(L, -1) == type) return true;
  lua_pop(L, 1);
  return false;
}

std::string_view TopString(lua_State* L) {
  size_t len;
  const char* s = lua_tolstring(L, -1, &len);
  return {s, len};
}

// Lua -> the reply to the EVAL caller. `resp` is the script's redis.setresp level.
void ReplyValue(lua_State* L, resp::ReplyBuilder& r, int resp, int depth) {
  if (depth > kMaxNesting) {
    r.Error("ERR reached lua stack limit");
    return;
  }
  lua_checkstack(L, 4);
  switch (lua_type(L, -1)) {
    case LUA_TSTRING: {
      size_t len;
      const char* s = lua_tolstring(L, -1, &len);
      r.Bulk(std::string_view(s, len));
      return;
    }
    case LUA_TBOOLEAN:
      if (resp == 2) {
        if (lua_toboolean(L, -1)) {
          r.Integer(1);
        } else {
          r.Null();
        }
      } else {
        r.Bool(lua_toboolean(L, -1) != 0);
      }
      return;
    case LUA_TNUMBER:
      r.Integer(static_cast<int64_t>(lua_tonumber(L, -1)));
      return;
    case LUA_TTABLE: {
      // The special one-field tables first: {err=}, {ok=}, then the RESP3 types (sent in the
      // caller's protocol: a map is a flat array in RESP2).
      if (RawField(L, "err", LUA_TSTRING)) {
        std::string text = OneLine(TopString(L));
        lua_pop(L, 1);
        r.Error(text);
        return;
      }
      if (RawField(L, "ok", LUA_TSTRING)) {
        std::string text = OneLine(TopString(L));
        lua_pop(L, 1);
        r.SimpleString(text);
        return;
      }
      if (RawField(L, "double", LUA_TNUMBER)) {
        r.Double(lua_tonumber(L, -1));
        lua_pop(L, 1);
        return;
      }
      if (RawField(L, "big_number", LUA_TSTRING)) {
        r.BigNumber(TopString(L));
        lua_pop(L, 1);
        return;
      }
      if (RawField(L, "verbatim_string", LUA_TTABLE)) {
        lua_getfield(L, -1, "format");
        lua_getfield(L, -2, "string");
        if (lua_type(L, -1) == LUA_TSTRING && lua_type(L, -2) == LUA_TSTRING) {
          std::string_view str = TopString(L);
          lua_pushvalue(L, -2);
          std::string_view format = TopString(L);
          r.Verbatim(str, format);
          lua_pop(L, 4);
          return;
        }
        lua_pop(L, 3);
      }
      if (RawField(L, "map", LUA_TTABLE)) {
        void* h = r.DeferLen();
        size_t n = 0;
        lua_pushnil(L);
        while (lua_next(L, -2)) {
          lua_pushvalue(L, -2);  // key copy on top
          ReplyValue(L, r, resp, depth + 1);
          lua_pop(L, 1);
          ReplyValue(L, r, resp, depth + 1);  // value
          lua_pop(L, 1);
          ++n;
        }
        r.SetDeferredLen(h, resp::ReplyBuilder::Agg::kMap, n);
        lua_pop(L, 1);
        return;
      }
      if (RawField(L, "set", LUA_TTABLE)) {
        void* h = r.DeferLen();
        size_t n = 0;
        lua_pushnil(L);
        while (lua_next(L, -2)) {
          lua_pop(L, 1);
          lua_pushvalue(L, -1);
          ReplyValue(L, r, resp, depth + 1);
          lua_pop(L, 1);
          ++n;
        }
        r.SetDeferredLen(h, resp::ReplyBuilder::Agg::kSet, n);
        lua_pop(L, 1);
        return;
      }
      // An array: elements 1, 2, ... up to the first nil.
      void* h = r.DeferLen();
      size_t n = 0;
      for (int j = 1;; ++j) {
        lua_rawgeti(L, -1, j);
        if (lua_isnil(L, -1)) {
          lua_pop(L, 1);
          break;
        }
        ReplyValue(L, r, resp, depth + 1);
        lua_pop(L, 1);
        ++n;
      }
      r.SetDeferredLen(h, resp::ReplyBuilder::Agg::kArray, n);
      return;
    }
    default:
      r.Null();
      return;
  }
}

// A replica whose master link is down while replica-serve-stale-data is no.
bool RunningStale(Server& s) {
  return s.replication().is_replica() && !s.replication().LinkStreaming() &&
         !s.config().replica_serve_stale_data;
}

// Runs one redis.call/pcall command for the script. Returns false with impl->error set when
// the call is refused before running; otherwise impl->reply holds the command's reply.
bool ExecuteScriptCommand(LuaEngine::Impl* impl) {
  Server& s = *impl->server;
  std::vector<std::string_view> views(impl->args.begin(), impl->args.end());
  bool unknown_sub = false;
  const Command* cmd = s.commands().Lookup(views, &unknown_sub);
  if (cmd == nullptr || unknown_sub) {
    impl->error = "Unknown Redis command called from script";
    return false;
  }
  if (!cmd->ArityOk(views.size())) {
    impl->error = "Wrong number of args calling Redis command from script";
    return false;
  }
  if (cmd->Is(kCmdNoscript)) {
    impl->error = "This Redis command is not allowed from script";
    return false;
  }
  if (cmd->Is(kCmdWrite | kCmdMayReplicate) && impl->read_only) {
    impl->error = "Write commands are not allowed from read-only scripts.";
    return false;
  }
  // Out of memory when the script started: refuse commands that may grow memory until the
  // script has written (then it must finish what it started), as Redis does.
  // A stale replica (link down, replica-serve-stale-data no) runs only commands flagged stale
  // from a script (which had to declare allow-stale to start).
  if (!cmd->Is(kCmdStale) && RunningStale(s)) {
    impl->error = "Can not execute the command on a stale replica. The script must declare the "
                  "'allow-stale' flag and the command must be flagged 'stale'.";
    return false;
  }
  if (cmd->Is(kCmdDenyOom) && s.oom_state() && !impl->wrote && !impl->allow_oom) {
    impl->error = "-OOM command not allowed when used memory > 'maxmemory'.";
    return false;
  }
  if (cmd->Is(kCmdWrite)) impl->wrote = true;
  Client& fake = *impl->fake;
  fake.resp = impl->resp;
  bool propagate = impl->repl_flags != 0;
  s.set_propagation_suppressed(!propagate);
  s.Call(fake, *cmd, views);
  s.set_propagation_suppressed(false);
  std::string raw;
  struct iovec iov[16];
  while (!fake.out.empty()) {
    int n = fake.out.Gather(iov, 16);
    size_t total = 0;
    for (int i = 0; i < n; ++i) {
      raw.append(static_cast<const char*>(iov[i].iov_base), iov[i].iov_len);
      total += iov[i].iov_len;
    }
    fake.out.Consume(total);
  }
  resp::ValueParser parser;
  if (parser.Feed(raw.data(), raw.size()) != resp::ValueParser::Result::kValue) {
    impl->reply = resp::Value();
    impl->reply.type = resp::Value::Type::kNull;
    return true;
  }
  impl->reply = parser.take();
  return true;
}

// redis.call / redis.pcall. No C++ object with a destructor lives in this frame when it
// raises (lua_error longjmps).
int GenericCall(lua_State* L, bool raise) {
  LuaEngine::Impl* impl = GetImpl(L);
  int argc = lua_gettop(L);
  const char* refusal = nullptr;
  if (argc == 0) {
    refusal = "Please specify at least one argument for this redis lib call";
  } else {
    impl->args.resize(static_cast<size_t>(argc));
    for (int j = 0; j < argc && refusal == nullptr; ++j) {
      int t = lua_type(L, j + 1);
      if (t != LUA_TSTRING && t != LUA_TNUMBER) {
        refusal = "Lua redis lib command arguments must be strings or integers";
        break;
      }
      size_t len;
      const char* p;
      if (t == LUA_TNUMBER) {
        // As Redis: "%.17g", not Lua's lossy "%.14g".
        char buf[64];
        int w = snprintf(buf, sizeof(buf), "%.17g", static_cast<double>(lua_tonumber(L, j + 1)));
        impl->args[static_cast<size_t>(j)].assign(buf, static_cast<size_t>(w));
      } else {
        p = lua_tolstring(L, j + 1, &len);
        impl->args[static_cast<size_t>(j)].assign(p, len);
      }
    }
  }
  if (refusal != nullptr) {
    PushErrorTable(L, refusal);
    return raise ? lua_error(L) : 1;
  }
  bool ran = ExecuteScriptCommand(impl);
  if (!ran) {
    PushErrorTable(L, impl->error);
    return raise ? lua_error(L) : 1;
  }
  PushValue(L, impl->reply, 0, impl->resp);
  bool is_error = impl->reply.type == resp::Value::Type::kError;
  impl->reply = resp::Value();
  if (raise && is_error) return lua_error(L);
  return 1;
}

int RedisCall(lua_State* L) { return GenericCall(L, true); }

// Raises a Redis-style error table (no Lua position prefix), as Redis's API functions do.
int RaiseError(lua_State* L, const char* msg) {
  PushErrorTable(L, msg);
  return lua_error(L);
}

// Redis 7.0's pcall: like Lua's, but an error table with an `err` field is returned as
// that string.
int ScriptPCall(lua_State* L) {
  int argc = lua_gettop(L);
  luaL_checkany(L, 1);
  lua_pushboolean(L, 1);  // the status, if it succeeds
  lua_insert(L, 1);
  if (lua_pcall(L, argc - 1, LUA_MULTRET, 0) != 0) {
    lua_remove(L, 1);
    if (lua_istable(L, -1)) {
      lua_getfield(L, -1, "err");
      if (lua_isstring(L, -1)) {
        lua_replace(L, -2);
      } else {
        lua_pop(L, 1);
      }
    }
    lua_pushboolean(L, 0);
    lua_insert(L, 1);
  }
  return lua_gettop(L);
}
int RedisPCall(lua_State* L) { return GenericCall(L, false); }

int RedisSha1Hex(lua_State* L) {
  if (lua_gettop(L) != 1) return RaiseError(L, "wrong number of arguments");
  size_t len;
  const char* s = lua_tolstring(L, 1, &len);
  char hex[41];
  Sha1Digest d = Sha1(std::string_view(s ? s : "", s ? len : 0));
  static const char kDigits[] = "0123456789abcdef";
  for (size_t i = 0; i < d.size(); ++i) {
    hex[i * 2] = kDigits[d[i] >> 4];
    hex[i * 2 + 1] = kDigits[d[i] & 15];
  }
  lua_pushlstring(L, hex, 40);
  return 1;
}

int RedisErrorReply(lua_State* L) {
  if (lua_gettop(L) != 1 || lua_type(L, -1) != LUA_TSTRING) {
    PushErrorTable(L, "wrong number or type of arguments");
    return 1;
  }
  size_t len;
  const char* s = lua_tolstring(L, -1, &len);
  if (len > 0 && s[0] == '-') {
    PushErrorTable(L, std::string_view(s, len));
  } else {
    lua_pushstring(L, "-");
    lua_pushvalue(L, -2);
    lua_concat(L, 2);
    s = lua_tolstring(L, -1, &len);
    PushErrorTable(L, std::string_view(s, len));
  }
  return 1;
}

int RedisStatusReply(lua_State* L) {
  if (lua_gettop(L) != 1 || lua_type(L, -1) != LUA_TSTRING) {
    PushErrorTable(L, "wrong number or type of arguments");
    return 1;
  }
  lua_newtable(L);
  lua_pushstring(L, "ok");
  lua_pushvalue(L, -3);
  lua_settable(L, -3);
  return 1;
}

int RedisLog(lua_State* L) {
  int argc = lua_gettop(L);
  if (argc < 2) return RaiseError(L, "redis.log() requires two arguments or more.");
  if (!lua_isnumber(L, 1)) return RaiseError(L, "First argument must be a number (log level).");
  int level = static_cast<int>(lua_tonumber(L, 1));
  if (level < 0 || level > 3) return RaiseError(L, "Invalid debug level.");
  // Concatenate the rest with spaces, as Redis does.
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  for (int j = 2; j <= argc; ++j) {
    size_t len;
    const char* s = lua_tolstring(L, j, &len);
    if (s == nullptr) continue;
    if (j != 2) luaL_addchar(&b, ' ');
    luaL_addlstring(&b, s, len);
  }
  luaL_pushresult(&b);
  const char* msg = lua_tostring(L, -1);
  static constexpr LogLevel kLevels[] = {LogLevel::kDebug, LogLevel::kVerbose, LogLevel::kNotice,
                                         LogLevel::kWarning};
  if (LogEnabled(kLevels[level])) LogWrite(kLevels[level], msg);
  lua_pop(L, 1);
  return 0;
}

int RedisSetResp(lua_State* L) {
  if (lua_gettop(L) != 1) return RaiseError(L, "redis.setresp() requires one argument.");
  int v = static_cast<int>(lua_tointeger(L, 1));
  if (v != 2 && v != 3) return RaiseError(L, "RESP version must be 2 or 3.");
  GetImpl(L)->resp = v;
  return 0;
}

int RedisSetRepl(lua_State* L) {
  if (lua_gettop(L) != 1) return RaiseError(L, "redis.set_repl() requires one argument.");
  int flags = static_cast<int>(lua_tointeger(L, 1));
  if ((flags & ~3) != 0) {
    return RaiseError(L, "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or "
                         "REPL_NONE.");
  }
  GetImpl(L)->repl_flags = flags;
  return 0;
}

// Every user may run every command until ACL users exist; unknown commands are an error.
int RedisAclCheckCmd(lua_State* L) {
  int argc = lua_gettop(L);
  if (argc < 1 || !lua_isstring(L, 1)) return RaiseError(L, "Please specify at least one argument for this redis lib call");
  LuaEngine::Impl* impl = GetImpl(L);
  size_t len;
  const char* name = lua_tolstring(L, 1, &len);
  bool known = impl->server->commands().Find(std::string_view(name, len)) != nullptr;
  if (!known) return RaiseError(L, "Invalid command passed to redis.acl_check_cmd()");
  lua_pushboolean(L, 1);
  return 1;
}

int RedisReplicateCommands(lua_State* L) {
  lua_pushboolean(L, 1);
  return 1;
}

int RedisBreakpoint(lua_State* L) {
  lua_pushboolean(L, 0);
  return 1;
}

int RedisDebug(lua_State* L) {
  (void)L;
  return 0;
}

// Runs every kHookInstructions instructions: notices a script past busy-reply-threshold, lets
// the loop answer other clients (BUSY) meanwhile, and stops the script on SCRIPT KILL.
void Hook(lua_State* L, lua_Debug* ar) {
  (void)ar;
  LuaEngine::Impl* impl = GetImpl(L);
  Server& s = *impl->server;
  int64_t elapsed = Clock::RealMonotonicUs() / 1000 - impl->start_ms;
  if (!impl->engine->timed_out() && elapsed >= s.config().busy_reply_threshold) {
    LogWarning("Slow script detected: still in execution after {} milliseconds. You can try "
               "killing the script using the SCRIPT KILL command. Script name is: {}.",
               elapsed, impl->current_sha);
    impl->engine->MarkTimedOut();
  }
  if (impl->engine->timed_out() && s.loop() != nullptr) s.loop()->ProcessEventsWhileBlocked();
  if (s.shutdown_requested) {
    LogWarning("Shutting down from a busy script (SHUTDOWN NOSAVE).");
    _exit(0);
  }
  if (impl->kill_requested) {
    LogWarning("Lua script killed by user with SCRIPT KILL.");
    // Fire on every line from now on, so a pcall in the script cannot swallow the kill.
    lua_sethook(L, Hook, LUA_MASKLINE, 0);
    PushErrorTable(L, "Script killed by user with SCRIPT KILL...");
    lua_error(L);
  }
}

bool ValidFunctionName(const char* s, size_t len) {
  if (len == 0) return false;
  for (size_t i = 0; i < len; ++i) {
    char c = s[i];
    if (!(isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  }
  return true;
}

// Flag names as scripts and libraries spell them.
uint32_t ScriptFlagByName(std::string_view f) {
  if (f == "no-writes") return kScriptNoWrites;
  if (f == "allow-oom") return kScriptAllowOom;
  if (f == "allow-stale") return kScriptAllowStale;
  if (f == "no-cluster") return kScriptNoCluster;
  if (f == "allow-cross-slot-keys") return kScriptAllowCrossSlot;
  return 0;
}

// redis.register_function(name, callback) or redis.register_function{function_name=...,
// callback=..., flags={...}, description=...}, only while FUNCTION LOAD runs the library.
int RegisterFunction(lua_State* L) {
  LuaEngine::Impl* impl = GetImpl(L);
  int argc = lua_gettop(L);
  const char* name = nullptr;
  size_t name_len = 0;
  const char* desc = nullptr;
  size_t desc_len = 0;
  uint32_t flags = 0;
  int callback_idx = 0;
  if (argc == 1 && lua_istable(L, 1)) {
    lua_pushnil(L);
    while (lua_next(L, 1)) {
      if (lua_type(L, -2) != LUA_TSTRING) return RaiseError(L, "named argument key given to redis.register_function is not a string");
      const char* key = lua_tostring(L, -2);
      if (strcmp(key, "function_name") == 0) {
        if (!lua_isstring(L, -1)) return RaiseError(L, "function_name argument given to redis.register_function must be a string");
        name = lua_tolstring(L, -1, &name_len);
      } else if (strcmp(key, "description") == 0) {
        if (!lua_isstring(L, -1)) return RaiseError(L, "description argument given to redis.register_function must be a string");
        desc = lua_tolstring(L, -1, &desc_len);
      } else if (strcmp(key, "callback") == 0) {
        if (lua_type(L, -1) != LUA_TFUNCTION) return RaiseError(L, "callback argument given to redis.register_function must be a function");
      } else if (strcmp(key, "flags") == 0) {
        if (lua_type(L, -1) != LUA_TTABLE) return RaiseError(L, "flags argument to redis.register_function must be a table representing function flags");
        for (int j = 1;; ++j) {
          lua_rawgeti(L, -1, j);
          if (lua_isnil(L, -1)) {
            lua_pop(L, 1);
            break;
          }
          if (lua_type(L, -1) != LUA_TSTRING) return RaiseError(L, "unknown flag given");
          size_t flen;
          const char* f = lua_tolstring(L, -1, &flen);
          char lower[32];
          if (flen >= sizeof(lower)) return RaiseError(L, "unknown flag given");
          for (size_t k = 0; k < flen; ++k) lower[k] = static_cast<char>(tolower(static_cast<unsigned char>(f[k])));
          uint32_t bit = ScriptFlagByName(std::string_view(lower, flen));
          if (bit == 0) return RaiseError(L, "unknown flag given");
          flags |= bit;
          lua_pop(L, 1);
        }
      } else {
        return RaiseError(L, "unknown argument given to redis.register_function");
      }
      lua_pop(L, 1);
    }
    lua_getfield(L, 1, "callback");
    callback_idx = lua_gettop(L);
    if (name == nullptr) return RaiseError(L, "redis.register_function must get a function name argument");
    if (!lua_isfunction(L, callback_idx)) return RaiseError(L, "redis.register_function must get a callback argument");
  } else if (argc == 2) {
    if (!lua_isstring(L, 1)) return RaiseError(L, "first argument to redis.register_function must be a string");
    if (lua_type(L, 2) != LUA_TFUNCTION) return RaiseError(L, "second argument to redis.register_function must be a function");
    name = lua_tolstring(L, 1, &name_len);
    callback_idx = 2;
  } else if (argc == 1) {
    return RaiseError(L, "calling redis.register_function with a single argument is only "
                         "applicable to Lua table (representing named arguments).");
  } else {
    return RaiseError(L, "wrong number of arguments to redis.register_function");
  }
  if (!ValidFunctionName(name, name_len)) {
    // (Redis 7.0 words this error as for library names.)
    return RaiseError(L, "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long");
  }
  for (const LuaFunction& f : impl->pending) {
    if (f.name.size() == name_len && memcmp(f.name.data(), name, name_len) == 0) {
      return RaiseError(L, "Function already exists in the library");
    }
  }
  lua_pushvalue(L, callback_idx);
  int ref = luaL_ref(L, LUA_REGISTRYINDEX);
  LuaFunction fn;
  fn.name.assign(name, name_len);
  if (desc != nullptr) {
    fn.description.assign(desc, desc_len);
    fn.has_description = true;
  }
  fn.flags = flags;
  fn.ref = ref;
  impl->pending.push_back(std::move(fn));
  return 0;
}

// FUNCTION LOAD may not run forever: its code gets 500 ms, as in Redis.
void LoadHook(lua_State* L, lua_Debug* ar) {
  (void)ar;
  LuaEngine::Impl* impl = GetImpl(L);
  if (Clock::RealMonotonicUs() / 1000 - impl->start_ms > 500) {
    lua_sethook(L, LoadHook, LUA_MASKLINE, 0);
    luaL_error(L, "FUNCTION LOAD timeout");
  }
}

void SetField(lua_State* L, const char* name, lua_CFunction f) {
  lua_pushstring(L, name);
  lua_pushcfunction(L, f);
  lua_settable(L, -3);
}

void SetNumber(lua_State* L, const char* name, lua_Number v) {
  lua_pushstring(L, name);
  lua_pushnumber(L, v);
  lua_settable(L, -3);
}

void OpenLib(lua_State* L, lua_CFunction open, const char* name) {
  lua_pushcfunction(L, open);
  lua_pushstring(L, name);
  lua_call(L, 1, 0);
}

// Calls a module opener that returns its table, and stores it as global `name`.
void OpenModule(lua_State* L, lua_CFunction open, const char* name) {
  lua_pushcfunction(L, open);
  lua_call(L, 0, 1);
  lua_setglobal(L, name);
}

}  // namespace

bool ParseShebang(std::string_view body, uint32_t* flags, size_t* body_offset, std::string* err) {
  *flags = kScriptEvalCompat;
  *body_offset = 0;
  if (body.substr(0, 2) != "#!") return true;
  size_t end = body.find('\n');
  if (end == std::string_view::npos) {
    *err = "ERR Invalid script shebang";
    return false;
  }
  *body_offset = end;
  auto split = SplitArgs(body.substr(0, end));
  std::vector<std::string> parts = split ? *split : std::vector<std::string>();
  if (parts.empty()) {
    *err = "ERR Invalid engine in script shebang";
    return false;
  }
  if (parts[0] != "#!lua") {
    *err = "ERR Unexpected engine in script shebang: " + parts[0];
    return false;
  }
  *flags = 0;
  for (size_t j = 1; j < parts.size(); ++j) {
    std::string_view p = parts[j];
    if (p.substr(0, 6) != "flags=") {
      *err = "ERR Unknown lua shebang option: " + parts[j];
      return false;
    }
    p.remove_prefix(6);
    while (true) {
      size_t comma = p.find(',');
      std::string_view f = p.substr(0, comma);
      if (f == "no-writes") {
        *flags |= kScriptNoWrites;
      } else if (f == "allow-oom") {
        *flags |= kScriptAllowOom;
      } else if (f == "allow-stale") {
        *flags |= kScriptAllowStale;
      } else if (f == "no-cluster") {
        *flags |= kScriptNoCluster;
      } else if (f == "allow-cross-slot-keys") {
        *flags |= kScriptAllowCrossSlot;
      } else if (!(f.empty() && comma == std::string_view::npos && p.empty())) {
        *err = "ERR Unexpected flag in script shebang: " + std::string(f);
        return false;
      }
      if (comma == std::string_view::npos) break;
      p.remove_prefix(comma + 1);
    }
  }
  return true;
}

LuaEngine::LuaEngine(Server& server, Mode mode)
    : server_(server), mode_(mode), impl_(std::make_unique<Impl>()) {
  impl_->engine = this;
  impl_->server = &server;
  impl_->fake = server.CreateFakeClient();
  impl_->fake->name.clear();
  CreateState();
}

LuaEngine::~LuaEngine() { CloseState(); }

void LuaEngine::CreateState() {
  L_ = luaL_newstate();
  lua_State* L = L_;
  OpenLib(L, luaopen_base, "");
  OpenLib(L, luaopen_table, LUA_TABLIBNAME);
  OpenLib(L, luaopen_string, LUA_STRLIBNAME);
  OpenLib(L, luaopen_math, LUA_MATHLIBNAME);
  OpenLib(L, luaopen_debug, LUA_DBLIBNAME);
  OpenModule(L, luaopen_cjson, "cjson");
  OpenModule(L, luaopen_bit, "bit");
  OpenModule(L, luaopen_struct, "struct");
  OpenModule(L, luaopen_cmsgpack, "cmsgpack");
  lua_pushcfunction(L, ScriptPCall);
  lua_setglobal(L, "pcall");
  lua_getglobal(L, "math");
  SetField(L, "random", MathRandom);
  SetField(L, "randomseed", MathRandomSeed);
  lua_pop(L, 1);

  lua_pushlightuserdata(L, impl_.get());
  lua_setfield(L, LUA_REGISTRYINDEX, "__tessera_impl");

  lua_newtable(L);
  SetField(L, "call", RedisCall);
  SetField(L, "pcall", RedisPCall);
  SetField(L, "sha1hex", RedisSha1Hex);
  SetField(L, "error_reply", RedisErrorReply);
  SetField(L, "status_reply", RedisStatusReply);
  SetField(L, "log", RedisLog);
  SetField(L, "setresp", RedisSetResp);
  SetField(L, "set_repl", RedisSetRepl);
  SetField(L, "replicate_commands", RedisReplicateCommands);
  SetField(L, "acl_check_cmd", RedisAclCheckCmd);
  if (mode_ == Mode::kFunctions) {  // only the load-time `redis` table offers it
    lua_pushcfunction(L, RegisterFunction);
    lua_setglobal(L, "__tessera_register_function");
  }
  SetField(L, "breakpoint", RedisBreakpoint);
  SetField(L, "debug", RedisDebug);
  SetNumber(L, "LOG_DEBUG", 0);
  SetNumber(L, "LOG_VERBOSE", 1);
  SetNumber(L, "LOG_NOTICE", 2);
  SetNumber(L, "LOG_WARNING", 3);
  SetNumber(L, "REPL_NONE", 0);
  SetNumber(L, "REPL_AOF", 1);
  SetNumber(L, "REPL_SLAVE", 2);
  SetNumber(L, "REPL_REPLICA", 2);
  SetNumber(L, "REPL_ALL", 3);
  lua_pushstring(L, "REDIS_VERSION");
  lua_pushlstring(L, kRedisVersion.data(), kRedisVersion.size());
  lua_settable(L, -3);
  SetNumber(L, "REDIS_VERSION_NUM", (7 << 16) | (0 << 8) | 15);
  lua_setglobal(L, "redis");

  if (luaL_loadbuffer(L, kSandboxCode, strlen(kSandboxCode), "@sandbox") != 0 ||
      lua_pcall(L, 0, 0, 0) != 0) {
    LogWarning("Lua sandbox setup failed: {}", lua_tostring(L, -1));
    lua_pop(L, 1);
  }
}

void LuaEngine::CloseState() {
  if (L_ != nullptr) lua_close(L_);
  L_ = nullptr;
}

void LuaEngine::Flush() {
  scripts_.clear();
  scripts_bytes_ = 0;
  CloseState();
  CreateState();
}

size_t LuaEngine::lua_memory() const {
  return L_ == nullptr ? 0 : static_cast<size_t>(lua_gc(L_, LUA_GCCOUNT, 0)) * 1024 +
                                 static_cast<size_t>(lua_gc(L_, LUA_GCCOUNTB, 0));
}

bool LuaEngine::Load(std::string_view body, std::string* sha, std::string* err) {
  *sha = Sha1Hex(body);
  if (scripts_.count(*sha) != 0) return true;
  uint32_t flags;
  size_t offset;
  if (!ParseShebang(body, &flags, &offset, err)) return false;
  lua_State* L = L_;
  if (luaL_loadbuffer(L, body.data() + offset, body.size() - offset, "@user_script") != 0) {
    *err = fmt::format("ERR Error compiling script (new function): {}", lua_tostring(L, -1));
    lua_pop(L, 1);
    return false;
  }
  lua_getglobal(L, "__tessera_env");
  lua_setfenv(L, -2);
  Script s;
  s.body = std::string(body);
  s.flags = flags;
  s.ref = luaL_ref(L, LUA_REGISTRYINDEX);
  scripts_bytes_ += s.body.size() + sha->size() + sizeof(Script);
  scripts_.emplace(*sha, std::move(s));
  return true;
}

std::string LuaEngine::Kill(bool check_only) {
  if (!running_) return "NOTBUSY No scripts in execution right now.";
  if (impl_->wrote) {
    return "UNKILLABLE Sorry the script already executed write commands against the dataset. "
           "You can either wait the script termination or kill the server in a hard way using "
           "the SHUTDOWN NOSAVE command.";
  }
  if (!check_only) impl_->kill_requested = true;
  return {};
}

void LuaEngine::MarkTimedOut() {
  timed_out_ = true;
  if (caller_ != nullptr) caller_->flags |= kClientProtected;
}

namespace {

// Sets KEYS or ARGV in the scripts' visible globals.
void SetArray(lua_State* L, const char* name, std::span<const std::string_view> items) {
  lua_getglobal(L, "__tessera_visible");
  lua_pushstring(L, name);
  lua_createtable(L, static_cast<int>(items.size()), 0);
  for (size_t i = 0; i < items.size(); ++i) {
    lua_pushlstring(L, items[i].data(), items[i].size());
    lua_rawseti(L, -2, static_cast<int>(i + 1));
  }
  lua_rawset(L, -3);
  lua_pop(L, 1);
}

// Turns the error object of a failed script into the reply, as Redis 7.0 words it.
void ReplyScriptError(lua_State* L, resp::ReplyBuilder& r, const std::string& sha) {
  if (!lua_istable(L, -1)) {
    const char* msg = lua_isstring(L, -1) ? lua_tostring(L, -1) : "execution failure";
    r.Error(OneLine(fmt::format("ERR Error running script {}, {:.100}", sha, msg)));
    return;
  }
  lua_getfield(L, -1, "err");
  std::string msg = lua_isstring(L, -1) ? lua_tostring(L, -1) : "";
  lua_pop(L, 1);
  lua_getfield(L, -1, "source");
  std::string source = lua_isstring(L, -1) ? lua_tostring(L, -1) : "";
  lua_pop(L, 1);
  lua_getfield(L, -1, "line");
  std::string line = lua_isstring(L, -1) ? lua_tostring(L, -1) : "";
  lua_pop(L, 1);
  if (!source.empty() && !line.empty()) {
    msg += fmt::format(" script: {}, on {}:{}.", sha, source, line);
  }
  r.Error(OneLine(msg));
}

}  // namespace

void LuaEngine::Run(CommandContext& ctx, const std::string& sha,
                    std::span<const std::string_view> keys,
                    std::span<const std::string_view> args, bool read_only) {
  auto it = scripts_.find(sha);
  if (it == scripts_.end()) {
    ctx.reply.Error("NOSCRIPT No matching script. Please use EVAL.");
    return;
  }
  const Script& script = it->second;
  if (read_only && !(script.flags & (kScriptEvalCompat | kScriptNoWrites))) {
    ctx.reply.Error("ERR Can not execute a script with write flag using *_ro command.");
    return;
  }
  lua_State* L = L_;
  SetArray(L, "KEYS", keys);
  SetArray(L, "ARGV", args);
  lua_getglobal(L, "__tessera_err_handler");
  lua_rawgeti(L, LUA_REGISTRYINDEX, script.ref);
  Execute(ctx, sha, 0, script.flags, read_only);
}

namespace {

void PushArray(lua_State* L, std::span<const std::string_view> items) {
  lua_createtable(L, static_cast<int>(items.size()), 0);
  for (size_t i = 0; i < items.size(); ++i) {
    lua_pushlstring(L, items[i].data(), items[i].size());
    lua_rawseti(L, -2, static_cast<int>(i + 1));
  }
}

}  // namespace

void LuaEngine::CallFunction(CommandContext& ctx, const LuaFunction& fn,
                             std::span<const std::string_view> keys,
                             std::span<const std::string_view> args, bool read_only) {
  if (read_only && !(fn.flags & kScriptNoWrites)) {
    ctx.reply.Error("ERR Can not execute a script with write flag using *_ro command.");
    return;
  }
  lua_State* L = L_;
  lua_getglobal(L, "__tessera_err_handler");
  lua_rawgeti(L, LUA_REGISTRYINDEX, fn.ref);
  PushArray(L, keys);
  PushArray(L, args);
  Execute(ctx, fn.name, 2, fn.flags, read_only);
}

void LuaEngine::Execute(CommandContext& ctx, const std::string& name, int nargs, uint32_t flags,
                        bool read_only) {
  lua_State* L = L_;
  if (!(flags & (kScriptEvalCompat | kScriptAllowOom | kScriptNoWrites)) &&
      server_.oom_state()) {
    lua_pop(L, nargs + 2);  // the function, its arguments and the error handler
    ctx.reply.Error("OOM command not allowed when used memory > 'maxmemory'.");
    return;
  }
  if (RunningStale(server_) && !(flags & kScriptAllowStale)) {
    lua_pop(L, nargs + 2);
    ctx.reply.Error((flags & kScriptEvalCompat)
                        ? "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is "
                          "set to 'no'."
                        : "MASTERDOWN Link with MASTER is down, replica-serve-stale-data is set "
                          "to 'no' and 'allow-stale' flag is not set");
    return;
  }
  Impl& im = *impl_;
  im.ctx = &ctx;
  im.current_sha = name;
  im.running_name = name;

  im.read_only = read_only || (flags & kScriptNoWrites) != 0;
  im.wrote = false;
  im.allow_oom = (flags & kScriptAllowOom) != 0;
  im.kill_requested = false;
  im.resp = 2;
  im.repl_flags = 3;
  im.start_ms = Clock::RealMonotonicUs() / 1000;
  im.fake->db_index = ctx.client.db_index;
  im.fake->db = ctx.client.db;
  running_ = true;
  timed_out_ = false;
  caller_ = &ctx.client;
  server_.set_in_script(true);
  lua_sethook(L, Hook, LUA_MASKCOUNT, kHookInstructions);
  int rc = lua_pcall(L, nargs, 1, -(nargs + 2));
  lua_sethook(L, nullptr, 0, 0);
  server_.set_in_script(false);
  running_ = false;
  if (timed_out_) {
    ctx.client.flags &= ~kClientProtected;
    server_.ResumeAfterScript();
  }
  timed_out_ = false;
  caller_ = nullptr;
  im.ctx = nullptr;
  // The reply goes to the caller in its own protocol.
  ctx.reply.set_resp3(ctx.client.resp == 3);
  if (rc != 0) {
    ReplyScriptError(L, ctx.reply, name);
  } else {
    ReplyValue(L, ctx.reply, im.resp, 0);
  }
  lua_pop(L, 2);  // the result (or error) and the handler
  // Scripts make garbage quickly: a collection step every 50 runs keeps it bounded without a
  // full cycle's latency (as Redis does).
  if (++gc_runs_ >= 50) {
    lua_gc(L, LUA_GCSTEP, 50);
    gc_runs_ = 0;
  }
}

const std::string& LuaEngine::running_name() const { return impl_->running_name; }
CommandContext* LuaEngine::caller_context() const { return impl_->ctx; }
std::span<const std::string_view> LuaEngine::running_argv() const {
  return impl_->ctx != nullptr ? impl_->ctx->argv : std::span<const std::string_view>();
}
int64_t LuaEngine::running_since_ms() const { return impl_->start_ms; }

// ---- function libraries ----

bool ParseLibraryMetadata(std::string_view code, std::string* name, size_t* body_offset,
                          std::string* err) {
  if (code.substr(0, 2) != "#!") {
    *err = "ERR Missing library metadata";
    return false;
  }
  size_t end = code.find('\n');
  std::string_view line = code.substr(0, end);
  if (end == std::string_view::npos || line.find('\0') != std::string_view::npos) {
    *err = "ERR Invalid library metadata";
    return false;
  }
  *body_offset = end;
  auto split = SplitArgs(line);
  if (!split || split->empty()) {
    *err = "ERR Invalid library metadata";
    return false;
  }
  const std::vector<std::string>& parts = *split;
  std::string engine = parts[0].substr(2);
  name->clear();
  bool named = false;
  for (size_t j = 1; j < parts.size(); ++j) {
    std::string_view p = parts[j];
    size_t eq = p.find('=');
    if (eq == std::string_view::npos || !EqualsIgnoreCase(p.substr(0, eq), "name")) {
      *err = "ERR Invalid metadata value given: " + parts[j];
      return false;
    }
    if (named) {
      *err = "ERR Invalid metadata value, name argument was given multiple times";
      return false;
    }
    *name = std::string(p.substr(eq + 1));
    named = true;
  }
  if (!named) {
    *err = "ERR Library name was not given";
    return false;
  }
  if (!EqualsIgnoreCase(engine, "lua")) {
    *err = "ERR Engine '" + engine + "' not found";
    return false;
  }
  if (!ValidFunctionName(name->data(), name->size())) {
    *err = "ERR Library names can only contain letters, numbers, or underscores(_) and must be "
           "at least one character long";
    return false;
  }
  return true;
}

const LuaFunction* LuaEngine::FindFunction(std::string_view name) const {
  auto it = functions_.find(ToLower(name));
  if (it == functions_.end()) return nullptr;
  auto lib = libraries_.find(it->second.first);
  return &lib->second.functions[it->second.second];
}

bool LuaEngine::LoadLibrary(std::string_view code, bool replace, std::string* name,
                            std::string* err) {
  size_t off = 0;
  if (!ParseLibraryMetadata(code, name, &off, err)) return false;
  auto existing = libraries_.find(*name);
  if (existing != libraries_.end() && !replace) {
    *err = "ERR Library '" + *name + "' already exists";
    return false;
  }
  lua_State* L = L_;
  if (luaL_loadbuffer(L, code.data() + off, code.size() - off, "@user_function") != 0) {
    *err = fmt::format("ERR Error compiling function: {}", lua_tostring(L, -1));
    lua_pop(L, 1);
    return false;
  }
  lua_getglobal(L, "__tessera_load_env");
  lua_setfenv(L, -2);
  Impl& im = *impl_;
  im.loading = true;
  im.pending.clear();
  lua_getglobal(L, "__tessera_state");
  lua_pushboolean(L, 1);
  lua_setfield(L, -2, "loading");
  lua_pop(L, 1);
  im.start_ms = Clock::RealMonotonicUs() / 1000;
  lua_sethook(L, LoadHook, LUA_MASKCOUNT, kHookInstructions);
  int rc = lua_pcall(L, 0, 0, 0);
  lua_sethook(L, nullptr, 0, 0);
  im.loading = false;
  lua_getglobal(L, "__tessera_state");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "loading");
  lua_pop(L, 1);
  std::vector<LuaFunction> fns;
  fns.swap(im.pending);
  auto drop = [&]() {
    for (const LuaFunction& f : fns) luaL_unref(L, LUA_REGISTRYINDEX, f.ref);
  };
  if (rc != 0) {
    std::string msg;
    if (lua_istable(L, -1)) {
      lua_getfield(L, -1, "err");
      msg = lua_isstring(L, -1) ? lua_tostring(L, -1) : "";
      lua_pop(L, 1);
    } else {
      msg = std::string("ERR ") + (lua_isstring(L, -1) ? lua_tostring(L, -1) : "unknown error");
    }
    lua_pop(L, 1);
    drop();
    *err = "ERR Error registering functions: " + msg;
    return false;
  }
  if (fns.empty()) {
    *err = "ERR No functions registered";
    return false;
  }
  for (const LuaFunction& f : fns) {
    auto it = functions_.find(ToLower(f.name));
    if (it != functions_.end() && it->second.first != *name) {
      *err = "ERR Function " + f.name + " already exists";
      drop();
      return false;
    }
  }
  if (existing != libraries_.end()) DeleteLibrary(*name);
  LuaLibrary lib;
  lib.name = *name;
  lib.code = std::string(code);
  lib.functions = std::move(fns);
  for (size_t i = 0; i < lib.functions.size(); ++i) {
    functions_[ToLower(lib.functions[i].name)] = {*name, i};
  }
  libraries_.emplace(*name, std::move(lib));
  return true;
}

bool LuaEngine::DeleteLibrary(std::string_view name) {
  auto it = libraries_.find(name);
  if (it == libraries_.end()) return false;
  for (const LuaFunction& f : it->second.functions) {
    functions_.erase(ToLower(f.name));
    if (L_ != nullptr) luaL_unref(L_, LUA_REGISTRYINDEX, f.ref);
  }
  libraries_.erase(it);
  return true;
}

void LuaEngine::FlushLibraries() {
  libraries_.clear();
  functions_.clear();
  CloseState();
  CreateState();
}

}  // namespace tessera
