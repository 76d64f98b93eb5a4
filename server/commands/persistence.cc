// SAVE, BGSAVE [SCHEDULE], BGREWRITEAOF, LASTSAVE.
#include "common/strutil.h"
#include "server/commands/families.h"
#include "server/core/command.h"
#include "server/core/context.h"
#include "server/core/errors.h"
#include "server/core/server.h"

namespace tessera {

namespace {

void Save(CommandContext& ctx) {
  std::string err;
  if (!ctx.server.RdbSave(&err)) {
    ctx.reply.Error(err);
    return;
  }
  ctx.reply.Ok();
}

void BgSave(CommandContext& ctx) {
  if (ctx.argc() > 2 || (ctx.argc() == 2 && !EqualsIgnoreCase(ctx.argv[1], "schedule"))) {
    ctx.reply.Error(err::kSyntax);
    return;
  }
  bool schedule = ctx.argc() == 2;
  // As Redis 7.0: a running BGSAVE refuses another one, with SCHEDULE too; SCHEDULE waits
  // for the other kind of child (an AOF rewrite) to finish.
  if (ctx.server.rdb_child_pid() > 0) {
    ctx.reply.Error("ERR Background save already in progress");
    return;
  }
  if (ctx.server.aof_child_pid() > 0 || ctx.server.in_exec()) {
    if (!schedule && !ctx.server.in_exec()) {
      ctx.reply.Error("ERR Another child process is active (AOF?): can't BGSAVE right now. Use "
                      "BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.");
      return;
    }
    ctx.server.ScheduleBgsave();
    ctx.reply.SimpleString("Background saving scheduled");
    return;
  }
  std::string err;
  if (!ctx.server.RdbBackgroundSave(&err)) {
    ctx.reply.Error(err);
    return;
  }
  ctx.reply.SimpleString("Background saving started");
}

void BgRewriteAof(CommandContext& ctx) {
  Server& s = ctx.server;
  if (s.aof_child_pid() > 0) {
    ctx.reply.Error("ERR Background append only file rewriting already in progress");
    return;
  }
  if (s.rdb_child_pid() > 0 || s.in_exec()) {
    s.ScheduleAofRewrite();
    ctx.reply.SimpleString("Background append only file rewriting scheduled");
    return;
  }
  std::string err;
  if (!s.AofRewriteBackground(&err)) {
    ctx.reply.Error(err);
    return;
  }
  ctx.reply.SimpleString("Background append only file rewriting started");
}

void LastSave(CommandContext& ctx) { ctx.reply.Integer(ctx.server.last_save_time_s); }

}  // namespace

void RegisterPersistenceCommands(CommandTable& t) {
  constexpr uint64_t kAdmin = kCmdAdmin | kCmdNoscript | kCmdNoAsyncLoading;
  t.Add({.name = "save", .handler = Save, .arity = 1, .flags = kAdmin | kCmdNoMulti,
         .doc = {"Synchronously save the dataset to disk", "1.0.0", "server",
                 "O(N) where N is the total number of keys in all databases", ""}});
  t.Add({.name = "bgsave", .handler = BgSave, .arity = -1, .flags = kAdmin,
         .doc = {"Asynchronously save the dataset to disk", "1.0.0", "server", "O(1)",
                 "[SCHEDULE]"}});
  t.Add({.name = "bgrewriteaof", .handler = BgRewriteAof, .arity = 1, .flags = kAdmin,
         .doc = {"Asynchronously rewrite the append-only file to disk", "1.0.0", "server",
                 "O(1)", ""}});
  t.Add({.name = "lastsave", .handler = LastSave, .arity = 1,
         .flags = kCmdLoading | kCmdStale | kCmdFast, .acl = kAclAdmin | kAclDangerous,
         .tips = "nondeterministic_output",
         .doc = {"Get the UNIX time stamp of the last successful save to disk", "1.0.0",
                 "server", "O(1)", ""}});
}

}  // namespace tessera
