// The Lua 5.1 scripting engine behind EVAL/EVALSHA/SCRIPT: one interpreter with Redis's
// sandbox (read-only globals and libraries, no os/io/loadfile), the `redis` table, the
// script cache, the conversions between RESP and Lua, and the run state that lets a long
// script be answered with BUSY and stopped with SCRIPT KILL. No Lua header leaks from here.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

struct lua_State;

namespace tessera {

class Server;
class Client;
class CommandContext;

// Flags a script declares in its shebang ("#!lua flags=no-writes,allow-oom").
enum ScriptFlag : uint32_t {
  kScriptNoWrites = 1 << 0,
  kScriptAllowOom = 1 << 1,
  kScriptAllowStale = 1 << 2,
  kScriptNoCluster = 1 << 3,
  kScriptAllowCrossSlot = 1 << 4,
  kScriptEvalCompat = 1 << 5,  // no shebang: Redis's pre-7.0 rules
};

// Parses a script's first line. Returns false with *err set on a malformed shebang;
// *body_offset is where the code to compile starts (at the shebang's newline, so line numbers
// stay right).
bool ParseShebang(std::string_view body, uint32_t* flags, size_t* body_offset, std::string* err);

// A function registered by a library (redis.register_function).
struct LuaFunction {
  std::string name;
  std::string description;  // empty: none
  bool has_description = false;
  uint32_t flags = 0;  // ScriptFlag bits
  int ref = -1;        // the callback in the Lua registry
};

struct LuaLibrary {
  std::string name;
  std::string code;
  std::vector<LuaFunction> functions;
};

// Parses "#!lua name=<lib>" of a function library; *body_offset as for ParseShebang.
bool ParseLibraryMetadata(std::string_view code, std::string* name, size_t* body_offset,
                          std::string* err);

class LuaEngine {
 public:
  enum class Mode { kEval, kFunctions };
  explicit LuaEngine(Server& server, Mode mode = Mode::kEval);
  ~LuaEngine();
  LuaEngine(const LuaEngine&) = delete;
  LuaEngine& operator=(const LuaEngine&) = delete;

  // Compiles body into the cache unless it is there; *sha is its SHA1 in hex. On a compile
  // or shebang error returns false with the error reply text in *err.
  bool Load(std::string_view body, std::string* sha, std::string* err);
  bool Exists(std::string_view sha) const { return scripts_.count(std::string(sha)) != 0; }
  // Drops every cached script and starts a fresh interpreter (SCRIPT FLUSH).
  void Flush();
  size_t script_count() const { return scripts_.size(); }
  size_t scripts_memory() const { return scripts_bytes_; }
  size_t lua_memory() const;

  // Runs the cached script `sha` for the client of ctx with KEYS and ARGV, replying to it.
  // read_only: EVAL_RO/EVALSHA_RO.
  void Run(CommandContext& ctx, const std::string& sha, std::span<const std::string_view> keys,
           std::span<const std::string_view> args, bool read_only);

  // ---- functions (Mode::kFunctions) ----
  // FUNCTION LOAD: runs the library's code to collect its functions. *name is the library.
  bool LoadLibrary(std::string_view code, bool replace, std::string* name, std::string* err);
  // Adds already-checked libraries (FUNCTION RESTORE); false with *err when one conflicts.
  bool DeleteLibrary(std::string_view name);
  void FlushLibraries();
  const std::map<std::string, LuaLibrary, std::less<>>& libraries() const { return libraries_; }
  const LuaFunction* FindFunction(std::string_view name) const;
  size_t function_count() const { return functions_.size(); }
  // FCALL/FCALL_RO.
  void CallFunction(CommandContext& ctx, const LuaFunction& fn,
                    std::span<const std::string_view> keys,
                    std::span<const std::string_view> args, bool read_only);
  // What runs now (FUNCTION STATS): name, command, start time.
  const std::string& running_name() const;
  std::span<const std::string_view> running_argv() const;
  int64_t running_since_ms() const;  // monotonic ms

  // A script is executing now (and, if timed_out, has run past busy-reply-threshold).
  bool running() const { return running_; }
  bool timed_out() const { return timed_out_; }
  Client* caller() const { return caller_; }
  CommandContext* caller_context() const;
  // SCRIPT KILL: empty string if the script will stop, else the error reply text.
  std::string Kill(bool check_only = false);
  // The script passed busy-reply-threshold: other clients get BUSY from now on.
  void MarkTimedOut();

  // Called from Lua (public for the C callbacks in lua_engine.cc).
  struct Impl;

 private:
  struct Script {
    std::string body;
    uint32_t flags = 0;
    int ref = -1;  // the compiled function in the Lua registry
  };
  void CreateState();
  void CloseState();
  // Runs the function on top of the stack (below it: the error handler and nargs arguments)
  // as the caller's script, then replies. `name` is used in error texts.
  void Execute(CommandContext& ctx, const std::string& name, int nargs, uint32_t flags,
               bool read_only);

  Server& server_;
  Mode mode_;
  std::unique_ptr<Impl> impl_;
  std::map<std::string, LuaLibrary, std::less<>> libraries_;
  std::map<std::string, std::pair<std::string, size_t>, std::less<>> functions_;  // -> lib, idx
  lua_State* L_ = nullptr;
  std::unordered_map<std::string, Script> scripts_;
  size_t scripts_bytes_ = 0;
  bool running_ = false;
  int gc_runs_ = 0;
  bool timed_out_ = false;
  Client* caller_ = nullptr;
};

}  // namespace tessera
