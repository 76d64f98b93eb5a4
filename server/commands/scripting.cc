// Scripting: EVAL EVALSHA EVAL_RO EVALSHA_RO and SCRIPT (LOAD EXISTS FLUSH KILL HELP). The
// interpreter, sandbox and conversions live in server/scripting/lua_engine.cc.
#include "common/strutil.h"
#include "server/commands/families.h"
#include "server/commands/helpers.h"
#include "server/core/context.h"
#include "server/scripting/lua_engine.h"

namespace tessera {

namespace {

void EvalGeneric(CommandContext& ctx, bool by_sha, bool read_only) {
  std::span<const std::string_view> keys, args;
  if (!ParseNumkeys(ctx, err::kNotInteger, &keys, &args)) return;
  ctx.PreventPropagation();  // the script's commands propagate themselves
  LuaEngine& lua = ctx.server.lua();
  std::string sha;
  if (by_sha) {
    sha = ToLower(ctx.argv[1]);
    if (sha.size() != 40 || !lua.Exists(sha)) {
      ctx.reply.Error("NOSCRIPT No matching script. Please use EVAL.");
      return;
    }
  } else {
    std::string err;
    if (!lua.Load(ctx.argv[1], &sha, &err)) {
      ctx.reply.Error(err);
      return;
    }
  }
  lua.Run(ctx, sha, keys, args, read_only);
}

void Eval(CommandContext& ctx) { EvalGeneric(ctx, false, false); }
void EvalSha(CommandContext& ctx) { EvalGeneric(ctx, true, false); }
void EvalRo(CommandContext& ctx) { EvalGeneric(ctx, false, true); }
void EvalShaRo(CommandContext& ctx) { EvalGeneric(ctx, true, true); }

void ScriptLoad(CommandContext& ctx) {
  std::string sha, err;
  if (!ctx.server.lua().Load(ctx.argv[2], &sha, &err)) {
    ctx.reply.Error(err);
    return;
  }
  ctx.reply.Bulk(sha);
}

void ScriptExists(CommandContext& ctx) {
  ctx.reply.ArrayHeader(ctx.argc() - 2);
  for (size_t i = 2; i < ctx.argc(); ++i) {
    ctx.reply.Integer(ctx.server.lua().Exists(ToLower(ctx.argv[i])) ? 1 : 0);
  }
}

void ScriptFlush(CommandContext& ctx) {
  if (ctx.argc() > 3 || (ctx.argc() == 3 && !EqualsIgnoreCase(ctx.argv[2], "sync") &&
                         !EqualsIgnoreCase(ctx.argv[2], "async"))) {
    ctx.reply.Error("ERR SCRIPT FLUSH only support SYNC|ASYNC option");
    return;
  }
  ctx.server.lua().Flush();
  ctx.reply.Ok();
}

void ScriptKill(CommandContext& ctx) { ReplyOkOrError(ctx, ctx.server.KillScript(true)); }

void ScriptHelp(CommandContext& ctx) {
  ReplyLines(ctx.reply,
             {"SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
              "DEBUG (YES|SYNC|NO)",
              "    Set the debug mode for subsequent scripts executed.",
              "EXISTS <sha1> [<sha1> ...]",
              "    Return information about the existence of the scripts in the script cache.",
              "FLUSH [ASYNC|SYNC]",
              "    Flush the Lua scripts cache. Very dangerous on replicas.",
              "    When called without the optional mode argument, the behavior is determined by "
              "the",
              "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
              "    * ASYNC: Asynchronously flush the scripts cache.",
              "    * SYNC: Synchronously flush the scripts cache.",
              "KILL",
              "    Kill the currently executing Lua script.",
              "LOAD <script>",
              "    Load a script into the scripts cache without executing it.",
              "HELP",
              "    Prints this help."});
}

void ScriptDebug(CommandContext& ctx) {
  ctx.reply.Error("ERR SCRIPT DEBUG is not supported by this server");
}

}  // namespace

void RegisterScriptingCommands(CommandTable& t) {
  const uint64_t S = kAclScripting;
  const uint32_t kKeys = kKsRW | kKsAccess | kKsUpdate;
  auto eval = [&](std::string_view name, CommandHandler h, uint64_t flags,
                  std::string_view summary, std::string_view since, std::string_view args,
                  uint32_t key_flags) {
    KeySpec keys = KeySpec::Keynum(2, 0, 1, 1, key_flags);
    if (name.find("sha") == std::string_view::npos)  // Redis documents EVAL's specs only
      keys.notes = (key_flags & kKsRW)
                     ? "We cannot tell how the keys will be used so we assume the worst, RW and "
                       "UPDATE"
                     : "We cannot tell how the keys will be used so we assume the worst, RO and "
                       "ACCESS";
    return CommandSpec{
        .name = name, .handler = h, .arity = -3,
        .flags = kCmdNoscript | kCmdSkipMonitor | kCmdNoMandatoryKeys | kCmdStale | flags,
        .acl = S, .keys = {keys},
        .doc = {summary, since, "scripting", "Depends on the script that is executed.", args}};
  };
  t.Add(eval("eval", Eval, kCmdMayReplicate, "Executes a server-side Lua script.", "2.6.0",
             "script:string numkeys:integer [key:key...] [arg:string...]", kKeys));
  t.Add(eval("evalsha", EvalSha, kCmdMayReplicate,
             "Executes a server-side Lua script by SHA1 digest.", "2.6.0",
             "sha1:string numkeys:integer [key:key...] [arg:string...]", kKeys));
  t.Add(eval("eval_ro", EvalRo, kCmdReadonly, "Executes a read-only server-side Lua script.",
             "7.0.0", "script:string numkeys:integer [key:key...] [arg:string...]",
             kKsRO | kKsAccess));
  t.Add(eval("evalsha_ro", EvalShaRo, kCmdReadonly,
             "Executes a read-only server-side Lua script by SHA1 digest.", "7.0.0",
             "sha1:string numkeys:integer [key:key...] [arg:string...]", kKsRO | kKsAccess));
  auto sub = [&](std::string_view name, CommandHandler h, int arity, uint64_t flags,
                 std::string_view summary, std::string_view since, std::string_view complexity,
                 std::string_view args, std::string_view tips = "") {
    return CommandSpec{.name = name, .handler = h, .arity = arity, .flags = flags, .acl = S,
                       .tips = tips, .doc = {summary, since, "scripting", complexity, args}};
  };
  t.Add({.name = "script",
         .arity = -2,
         .doc = {"A container for Lua scripts management commands.", "2.6.0", "scripting",
                 "Depends on subcommand.", ""},
         .subcommands = {
             sub("load", ScriptLoad, 3, kCmdNoscript | kCmdStale,
                 "Loads a server-side Lua script to the script cache.", "2.6.0",
                 "O(N) with N being the length in bytes of the script body.", "script:string",
                 "request_policy:all_nodes response_policy:all_succeeded"),
             sub("exists", ScriptExists, -3, kCmdNoscript,
                 "Determines whether server-side Lua scripts exist in the script cache.", "2.6.0",
                 "O(N) with N being the number of scripts to check (so checking a single script "
                 "is an O(1) operation).",
                 "sha1:string...", "request_policy:all_shards response_policy:agg_logical_and"),
             sub("flush", ScriptFlush, -2, kCmdNoscript,
                 "Removes all server-side Lua scripts from the script cache.", "2.6.0",
                 "O(N) with N being the number of scripts in cache", "[flush-type=ASYNC|SYNC]",
                 "request_policy:all_nodes response_policy:all_succeeded"),
             sub("kill", ScriptKill, 2, kCmdNoscript | kCmdAllowBusy,
                 "Terminates a server-side Lua script during execution.", "2.6.0", "O(1)", "",
                 "request_policy:all_shards response_policy:one_succeeded"),
             sub("debug", ScriptDebug, 3, kCmdNoscript,
                 "Sets the debug mode of server-side Lua scripts.", "3.2.0", "O(1)",
                 "mode=YES|SYNC|NO"),
             CommandSpec{.name = "help", .handler = ScriptHelp, .arity = 2,
                         .flags = kCmdLoading | kCmdStale, .acl = S,
                         .doc = {"Returns helpful text about the different subcommands.",
                                 "5.0.0", "scripting", "O(1)", ""}},
         }});
}

}  // namespace tessera
