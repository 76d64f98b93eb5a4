// Functions: FUNCTION (LOAD DELETE FLUSH LIST DUMP RESTORE STATS KILL HELP), FCALL, FCALL_RO.
// Libraries live in their own Lua interpreter (LuaEngine in Mode::kFunctions), as in Redis.
#include <fmt/core.h>

#include "common/glob.h"
#include "common/hash.h"
#include "common/strutil.h"
#include "server/commands/families.h"
#include "server/commands/helpers.h"
#include "server/core/context.h"
#include "server/persistence/rdb_codec.h"
#include "server/scripting/lua_engine.h"

namespace tessera {

namespace {

constexpr uint8_t kOpcodeFunction2 = 245;  // RDB_OPCODE_FUNCTION2

// The FUNCTION DUMP payload: RDB function records + RDB version + CRC64, as Redis writes it.
std::string DumpLibraries(const LuaEngine& fns) {
  std::string out;
  for (const auto& [name, lib] : fns.libraries()) {
    out.push_back(static_cast<char>(kOpcodeFunction2));
    rdb::AppendLen(out, lib.code.size());
    out += lib.code;
  }
  rdb::AppendPayloadFooter(out);
  return out;
}

// Checks the footer and returns the library codes of a payload.
bool ParsePayload(std::string_view p, std::vector<std::string>* codes, std::string* err) {
  *err = "ERR DUMP payload version or checksum are wrong";
  if (!rdb::VerifyPayload(p)) return false;
  std::string_view body = p.substr(0, p.size() - 10);
  while (!body.empty()) {
    if (static_cast<uint8_t>(body[0]) != kOpcodeFunction2) {
      *err = "ERR given type is not a function";
      return false;
    }
    body.remove_prefix(1);
    std::string code;
    if (!rdb::ReadString(body, &code)) {
      *err = "ERR Failed loading library payload";
      return false;
    }
    codes->push_back(std::move(code));
  }
  return true;
}

// ---- commands ----

void FunctionLoad(CommandContext& ctx) {
  // FUNCTION LOAD [REPLACE ...] code: options come first, the code is the last argument.
  bool replace = false;
  size_t code_idx = ctx.argc() - 1;
  for (size_t i = 2; i < code_idx; ++i) {
    if (!EqualsIgnoreCase(ctx.argv[i], "replace")) {
      ctx.reply.Error(fmt::format("ERR Unknown option given: {}", ctx.argv[i]));
      return;
    }
    replace = true;
  }
  std::string name, error;
  if (!ctx.server.functions().LoadLibrary(ctx.argv[code_idx], replace, &name, &error)) {
    ctx.reply.Error(error);
    return;
  }
  ctx.Dirty();  // libraries replicate and persist
  ctx.reply.Bulk(name);
}

void FunctionDelete(CommandContext& ctx) {
  if (!ctx.server.functions().DeleteLibrary(ctx.argv[2])) {
    ctx.reply.Error("ERR Library not found");
    return;
  }
  ctx.Dirty();
  ctx.reply.Ok();
}

void FunctionFlush(CommandContext& ctx) {
  if (ctx.argc() > 3) {
    ctx.reply.Error(fmt::format("ERR unknown subcommand or wrong number of arguments for '{}'. "
                                "Try FUNCTION HELP.",
                                ctx.argv[1]));
    return;
  }
  if (ctx.argc() == 3 && !EqualsIgnoreCase(ctx.argv[2], "sync") &&
      !EqualsIgnoreCase(ctx.argv[2], "async")) {
    ctx.reply.Error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
    return;
  }
  ctx.server.functions().FlushLibraries();
  ctx.Dirty();
  ctx.reply.Ok();
}

void ReplyLibrary(CommandContext& ctx, const LuaLibrary& lib, bool with_code) {
  resp::ReplyBuilder& r = ctx.reply;
  r.MapHeader(with_code ? 4 : 3);
  r.Bulk("library_name");
  r.Bulk(lib.name);
  r.Bulk("engine");
  r.Bulk("LUA");
  r.Bulk("functions");
  r.ArrayHeader(lib.functions.size());
  for (const LuaFunction& f : lib.functions) {
    r.MapHeader(3);
    r.Bulk("name");
    r.Bulk(f.name);
    r.Bulk("description");
    if (f.has_description) {
      r.Bulk(f.description);
    } else {
      r.Null();
    }
    r.Bulk("flags");
    std::vector<std::string_view> flags;
    if (f.flags & kScriptNoWrites) flags.push_back("no-writes");
    if (f.flags & kScriptAllowOom) flags.push_back("allow-oom");
    if (f.flags & kScriptAllowStale) flags.push_back("allow-stale");
    if (f.flags & kScriptNoCluster) flags.push_back("no-cluster");
    if (f.flags & kScriptAllowCrossSlot) flags.push_back("allow-cross-slot-keys");
    r.SetHeader(flags.size());
    for (std::string_view fl : flags) r.SimpleString(fl);
  }
  if (with_code) {
    r.Bulk("library_code");
    r.Bulk(lib.code);
  }
}

void FunctionList(CommandContext& ctx) {
  bool with_code = false;
  std::string_view pattern;
  bool has_pattern = false;
  for (size_t i = 2; i < ctx.argc(); ++i) {
    if (EqualsIgnoreCase(ctx.argv[i], "withcode") && !with_code) {
      with_code = true;
    } else if (EqualsIgnoreCase(ctx.argv[i], "libraryname") && !has_pattern) {
      if (i + 1 >= ctx.argc()) {
        ctx.reply.Error("ERR library name argument was not given");
        return;
      }
      pattern = ctx.argv[++i];
      has_pattern = true;
    } else {
      ctx.reply.Error(fmt::format("ERR Unknown argument {}", ctx.argv[i]));
      return;
    }
  }
  std::vector<const LuaLibrary*> libs;
  for (const auto& [name, lib] : ctx.server.functions().libraries()) {
    if (has_pattern && !GlobMatch(pattern, name, true)) continue;
    libs.push_back(&lib);
  }
  ctx.reply.ArrayHeader(libs.size());
  for (const LuaLibrary* lib : libs) ReplyLibrary(ctx, *lib, with_code);
}

void FunctionDump(CommandContext& ctx) { ctx.reply.Bulk(DumpLibraries(ctx.server.functions())); }

void FunctionRestore(CommandContext& ctx) {
  enum class Policy { kAppend, kReplace, kFlush } policy = Policy::kAppend;
  if (ctx.argc() > 4) {
    ctx.reply.Error(fmt::format("ERR unknown subcommand or wrong number of arguments for '{}'. "
                                "Try FUNCTION HELP.",
                                ctx.argv[1]));
    return;
  }
  if (ctx.argc() == 4) {
    std::string_view p = ctx.argv[3];
    if (EqualsIgnoreCase(p, "append")) {
      policy = Policy::kAppend;
    } else if (EqualsIgnoreCase(p, "replace")) {
      policy = Policy::kReplace;
    } else if (EqualsIgnoreCase(p, "flush")) {
      policy = Policy::kFlush;
    } else {
      ctx.reply.Error("ERR Wrong restore policy given, value should be either FLUSH, APPEND or "
                      "REPLACE.");
      return;
    }
  }
  std::vector<std::string> codes;
  std::string perr;
  if (!ParsePayload(ctx.argv[2], &codes, &perr)) {
    ctx.reply.Error(perr);
    return;
  }
  LuaEngine& fns = ctx.server.functions();
  // Checks the whole payload first (a scratch engine), so a failure changes nothing.
  LuaEngine scratch(ctx.server, LuaEngine::Mode::kFunctions);
  std::vector<std::string> names;
  for (const std::string& code : codes) {
    std::string name, error;
    if (!scratch.LoadLibrary(code, false, &name, &error)) {
      ctx.reply.Error(error);
      return;
    }
    names.push_back(name);
  }
  if (policy == Policy::kAppend) {
    for (const std::string& n : names) {
      if (fns.libraries().count(n) != 0) {
        ctx.reply.Error("ERR Library " + n + " already exists");
        return;
      }
    }
  }
  if (policy != Policy::kFlush) {
    for (const auto& [fname, unused] : scratch.libraries()) {
      for (const LuaFunction& f : unused.functions) {
        const LuaFunction* other = fns.FindFunction(f.name);
        if (other == nullptr) continue;
        // Free if the library holding it is replaced by this payload.
        std::string holder;
        for (const auto& [lname, lib] : fns.libraries()) {
          for (const LuaFunction& g : lib.functions) {
            if (EqualsIgnoreCase(g.name, f.name)) holder = lname;
          }
        }
        bool freed = policy == Policy::kReplace && scratch.libraries().count(holder) != 0;
        if (!freed) {
          ctx.reply.Error("ERR Function " + f.name + " already exists");
          return;
        }
      }
    }
  }
  if (policy == Policy::kFlush) fns.FlushLibraries();
  if (policy == Policy::kReplace) {
    // The replaced libraries go first, so functions moving between them do not collide.
    for (const std::string& n : names) fns.DeleteLibrary(n);
  }
  for (const std::string& code : codes) {
    std::string name, error;
    if (!fns.LoadLibrary(code, false, &name, &error)) {
      ctx.reply.Error(error);
      return;
    }
  }
  ctx.Dirty();
  ctx.reply.Ok();
}

void FunctionStats(CommandContext& ctx) {
  if (ctx.server.lua().running()) {  // an EVAL is busy: only SCRIPT KILL helps
    ctx.reply.Error(ctx.server.BusyError());
    return;
  }
  LuaEngine& fns = ctx.server.functions();
  resp::ReplyBuilder& r = ctx.reply;
  r.MapHeader(2);
  r.Bulk("running_script");
  if (fns.running()) {
    r.MapHeader(3);
    r.Bulk("name");
    r.Bulk(fns.running_name());
    r.Bulk("command");
    std::span<const std::string_view> cmd = fns.running_argv();
    r.ArrayHeader(cmd.size());
    for (std::string_view a : cmd) r.Bulk(a);
    r.Bulk("duration_ms");
    r.Integer(Clock::RealMonotonicUs() / 1000 - fns.running_since_ms());
  } else {
    r.Null();
  }
  r.Bulk("engines");
  r.MapHeader(1);
  r.Bulk("LUA");
  r.MapHeader(2);
  r.Bulk("libraries_count");
  r.Integer(static_cast<int64_t>(fns.libraries().size()));
  r.Bulk("functions_count");
  r.Integer(static_cast<int64_t>(fns.function_count()));
}

void FunctionKill(CommandContext& ctx) { ReplyOkOrError(ctx, ctx.server.KillScript(false)); }

void FunctionHelp(CommandContext& ctx) {
  ReplyLines(ctx.reply,
             {"FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
              "LOAD [REPLACE] <FUNCTION CODE>",
              "    Create a new library with the given library name and code.",
              "DELETE <LIBRARY NAME>",
              "    Delete the given library.",
              "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
              "    Return general information on all the libraries:",
              "    * Library name",
              "    * The engine used to run the Library",
              "    * Library description",
              "    * Functions list",
              "    * Library code (if WITHCODE is given)",
              "    It also possible to get only function that matches a pattern using LIBRARYNAME "
              "argument.",
              "STATS",
              "    Return information about the current function running:",
              "    * Function name",
              "    * Command used to run the function",
              "    * Duration in MS that the function is running",
              "    If no function is running, return nil",
              "    In addition, returns a list of available engines.",
              "KILL",
              "    Kill the current running function.",
              "FLUSH [ASYNC|SYNC]",
              "    Delete all the libraries.",
              "    When called without the optional mode argument, the behavior is determined by "
              "the",
              "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
              "    * ASYNC: Asynchronously flush the libraries.",
              "    * SYNC: Synchronously flush the libraries.",
              "DUMP",
              "    Return a serialized payload representing the current libraries, can be "
              "restored using FUNCTION RESTORE command",
              "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
              "    Restore the libraries represented by the given payload, it is possible to give "
              "a restore policy to",
              "    control how to handle existing libraries (default APPEND):",
              "    * FLUSH: delete all existing libraries.",
              "    * APPEND: appends the restored libraries to the existing libraries. On "
              "collision, abort.",
              "    * REPLACE: appends the restored libraries to the existing libraries, On "
              "collision, replace the old",
              "      libraries with the new libraries (notice that even on this option there is "
              "a chance of failure",
              "      in case of functions name collision with another library).",
              "HELP",
              "    Prints this help."});
}

void FcallGeneric(CommandContext& ctx, bool read_only) {
  const LuaFunction* fn = ctx.server.functions().FindFunction(ctx.argv[1]);
  if (fn == nullptr) {
    ctx.reply.Error("ERR Function not found");
    return;
  }
  std::span<const std::string_view> keys, args;
  if (!ParseNumkeys(ctx, "ERR Bad number of keys provided", &keys, &args)) return;
  ctx.PreventPropagation();
  ctx.server.functions().CallFunction(ctx, *fn, keys, args, read_only);
}

void Fcall(CommandContext& ctx) { FcallGeneric(ctx, false); }
void FcallRo(CommandContext& ctx) { FcallGeneric(ctx, true); }

}  // namespace

void RegisterFunctionCommands(CommandTable& t) {
  const uint64_t S = kAclScripting;
  auto fcall = [&](std::string_view name, CommandHandler h, uint64_t flags,
                   std::string_view summary, uint32_t key_flags) {
    KeySpec keys = KeySpec::Keynum(2, 0, 1, 1, key_flags);
    keys.notes = (key_flags & kKsRW)
                     ? "We cannot tell how the keys will be used so we assume the worst, RW and "
                       "UPDATE"
                     : "We cannot tell how the keys will be used so we assume the worst, RO and "
                       "ACCESS";
    return CommandSpec{
        .name = name, .handler = h, .arity = -3,
        .flags = kCmdNoscript | kCmdSkipMonitor | kCmdNoMandatoryKeys | kCmdStale | flags,
        .acl = S, .keys = {keys},
        .doc = {summary, "7.0.0", "scripting", "Depends on the function that is executed.",
                "function:string numkeys:integer [key:key...] [arg:string...]"}};
  };
  t.Add(fcall("fcall", Fcall, kCmdMayReplicate, "Invokes a function.",
              kKsRW | kKsAccess | kKsUpdate));
  t.Add(fcall("fcall_ro", FcallRo, kCmdReadonly, "Invokes a read-only function.",
              kKsRO | kKsAccess));
  auto sub = [&](std::string_view name, CommandHandler h, int arity, uint64_t flags,
                 std::string_view summary, std::string_view complexity, std::string_view args,
                 std::string_view tips = "") {
    return CommandSpec{.name = name, .handler = h, .arity = arity, .flags = flags, .acl = S,
                       .tips = tips, .doc = {summary, "7.0.0", "scripting", complexity, args}};
  };
  t.Add({.name = "function",
         .arity = -2,
         .doc = {"A container for function commands.", "7.0.0", "scripting",
                 "Depends on subcommand.", ""},
         .subcommands = {
             sub("load", FunctionLoad, -3, kCmdWrite | kCmdDenyOom | kCmdNoscript,
                 "Creates a library.", "O(1) (considering compilation time is redundant)",
                 "[REPLACE] function-code:string",
                 "request_policy:all_shards response_policy:all_succeeded"),
             sub("delete", FunctionDelete, 3, kCmdWrite | kCmdNoscript, "Deletes a library and its functions.",
                 "O(1)", "library-name:string",
                 "request_policy:all_shards response_policy:all_succeeded"),
             sub("flush", FunctionFlush, -2, kCmdWrite | kCmdNoscript, "Deletes all libraries and functions.",
                 "O(N) where N is the number of functions deleted", "[flush-type=ASYNC|SYNC]",
                 "request_policy:all_shards response_policy:all_succeeded"),
             sub("list", FunctionList, -2, kCmdNoscript,
                 "Returns information about all libraries.",
                 "O(N) where N is the number of functions",
                 "[LIBRARYNAME library-name-pattern:string] [WITHCODE]",
                 "nondeterministic_output_order"),
             sub("dump", FunctionDump, 2, kCmdNoscript,
                 "Dumps all libraries into a serialized binary payload.",
                 "O(N) where N is the number of functions", ""),
             sub("restore", FunctionRestore, -3, kCmdWrite | kCmdDenyOom | kCmdNoscript,
                 "Restores all libraries from a payload.",
                 "O(N) where N is the number of functions on the payload",
                 "serialized-value:string [policy=FLUSH|APPEND|REPLACE]",
                 "request_policy:all_shards response_policy:all_succeeded"),
             sub("stats", FunctionStats, 2, kCmdNoscript | kCmdAllowBusy,
                 "Returns information about a function during execution.", "O(1)", "",
                 "nondeterministic_output request_policy:all_shards "
                 "response_policy:special"),
             sub("kill", FunctionKill, 2, kCmdNoscript | kCmdAllowBusy,
                 "Terminates a function during execution.", "O(1)", "",
                 "request_policy:all_shards response_policy:one_succeeded"),
             CommandSpec{.name = "help", .handler = FunctionHelp, .arity = 2,
                         .flags = kCmdLoading | kCmdStale, .acl = S,
                         .doc = {"Returns helpful text about the different subcommands.",
                                 "7.0.0", "scripting", "O(1)", ""}},
         }});
}

}  // namespace tessera
