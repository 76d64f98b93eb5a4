// COMMAND and its subcommands (COUNT INFO DOCS LIST GETKEYS GETKEYSANDFLAGS HELP), answered
// entirely from the command table.
#include <fmt/core.h>

#include "common/glob.h"
#include "server/commands/families.h"
#include "server/commands/helpers.h"
#include "server/core/context.h"

namespace tessera {

namespace {

void ReplyStringList(resp::ReplyBuilder& r, const std::vector<std::string_view>& items,
                     std::string_view prefix = "", bool as_set = false) {
  if (as_set) {
    r.SetHeader(items.size());
  } else {
    r.ArrayHeader(items.size());
  }
  for (std::string_view s : items) {
    if (prefix.empty()) {
      r.SimpleString(s);
    } else {
      r.SimpleString(std::string(prefix) + std::string(s));
    }
  }
}

void ReplyKeySpec(resp::ReplyBuilder& r, const KeySpec& k) {
  r.MapHeader(k.notes.empty() ? 3 : 4);
  if (!k.notes.empty()) {
    r.Bulk("notes");
    r.Bulk(k.notes);
  }
  r.Bulk("flags");
  ReplyStringList(r, CommandTable::KeySpecFlagNames(k.flags), "", true);
  r.Bulk("begin_search");
  r.MapHeader(2);
  r.Bulk("type");
  if (k.begin == KeySpec::Begin::kIndex) {
    r.Bulk("index");
    r.Bulk("spec");
    r.MapHeader(1);
    r.Bulk("index");
    r.Integer(k.index);
  } else if (k.begin == KeySpec::Begin::kUnknown) {
    r.Bulk("unknown");
    r.Bulk("spec");
    r.MapHeader(0);
  } else {
    r.Bulk("keyword");
    r.Bulk("spec");
    r.MapHeader(2);
    r.Bulk("keyword");
    r.Bulk(k.keyword);
    r.Bulk("startfrom");
    r.Integer(k.startfrom);
  }
  r.Bulk("find_keys");
  r.MapHeader(2);
  r.Bulk("type");
  if (k.find == KeySpec::Find::kUnknown) {
    r.Bulk("unknown");
    r.Bulk("spec");
    r.MapHeader(0);
  } else if (k.find == KeySpec::Find::kRange) {
    r.Bulk("range");
    r.Bulk("spec");
    r.MapHeader(3);
    r.Bulk("lastkey");
    r.Integer(k.lastkey);
    r.Bulk("keystep");
    r.Integer(k.keystep);
    r.Bulk("limit");
    r.Integer(k.limit);
  } else {
    r.Bulk("keynum");
    r.Bulk("spec");
    r.MapHeader(3);
    r.Bulk("keynumidx");
    r.Integer(k.keynumidx);
    r.Bulk("firstkey");
    r.Integer(k.firstkey);
    r.Bulk("keystep");
    r.Integer(k.keystep);
  }
}

std::vector<std::string_view> SplitTips(std::string_view tips) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < tips.size()) {
    size_t sp = tips.find(' ', i);
    if (sp == std::string_view::npos) sp = tips.size();
    if (sp > i) out.push_back(tips.substr(i, sp - i));
    i = sp + 1;
  }
  return out;
}

// One COMMAND INFO entry, in Redis 7's ten-element layout.
void ReplyCommandInfo(resp::ReplyBuilder& r, const Command& c) {
  r.ArrayHeader(10);
  r.Bulk(c.fullname);
  r.Integer(c.spec.arity);
  ReplyStringList(r, CommandTable::FlagNames(c.flags), "", true);
  r.Integer(c.first_key);
  r.Integer(c.last_key);
  r.Integer(c.key_step);
  ReplyStringList(r, CommandTable::AclNames(c.acl), "@", true);
  auto tips = SplitTips(c.spec.tips);
  r.SetHeader(tips.size());
  for (std::string_view t : tips) r.Bulk(t);
  r.ArrayHeader(c.spec.keys.size());
  for (const KeySpec& k : c.spec.keys) ReplyKeySpec(r, k);
  r.ArrayHeader(c.subcommands.size());
  for (const auto& s : c.subcommands) ReplyCommandInfo(r, *s);
}

void ReplyDocArg(resp::ReplyBuilder& r, const DocArg& a) {
  size_t fields = 2 + (a.key_spec_index >= 0) + !a.token.empty() +
                  (a.optional || a.multiple) + !a.children.empty();
  r.MapHeader(fields);
  r.Bulk("name");
  r.Bulk(a.name);
  r.Bulk("type");
  r.Bulk(a.type);
  if (a.key_spec_index >= 0) {
    r.Bulk("key_spec_index");
    r.Integer(a.key_spec_index);
  }
  if (!a.token.empty()) {
    r.Bulk("token");
    r.Bulk(a.token);
  }
  if (a.optional || a.multiple) {
    r.Bulk("flags");
    std::vector<std::string_view> flags;
    if (a.optional) flags.push_back("optional");
    if (a.multiple) flags.push_back("multiple");
    ReplyStringList(r, flags, "", true);
  }
  if (!a.children.empty()) {
    r.Bulk("arguments");
    r.ArrayHeader(a.children.size());
    for (const DocArg& child : a.children) ReplyDocArg(r, child);
  }
}

void ReplyCommandDocs(resp::ReplyBuilder& r, const Command& c) {
  const CommandDoc& d = c.spec.doc;
  size_t fields = 4 + !c.doc_args.empty() + !c.subcommands.empty();
  r.MapHeader(fields);
  r.Bulk("summary");
  r.Bulk(d.summary);
  r.Bulk("since");
  r.Bulk(d.since);
  r.Bulk("group");
  r.Bulk(d.group);
  r.Bulk("complexity");
  r.Bulk(d.complexity);
  if (!c.doc_args.empty()) {
    r.Bulk("arguments");
    r.ArrayHeader(c.doc_args.size());
    for (const DocArg& a : c.doc_args) ReplyDocArg(r, a);
  }
  if (!c.subcommands.empty()) {
    r.Bulk("subcommands");
    r.MapHeader(c.subcommands.size());
    for (const auto& s : c.subcommands) {
      r.Bulk(s->fullname);
      ReplyCommandDocs(r, *s);
    }
  }
}

// Finds a command by name, accepting "container|sub".
const Command* FindByFullName(CommandTable& t, std::string_view name) {
  size_t bar = name.find('|');
  if (bar == std::string_view::npos) return t.Find(name);
  const Command* parent = t.Find(name.substr(0, bar));
  return parent == nullptr ? nullptr : parent->FindSub(name.substr(bar + 1));
}

void CommandAll(CommandContext& ctx) {
  const auto& all = ctx.server.commands().all();
  ctx.reply.ArrayHeader(all.size());
  for (const auto& c : all) ReplyCommandInfo(ctx.reply, *c);
}

void CommandCount(CommandContext& ctx) {
  ctx.reply.Integer(static_cast<int64_t>(ctx.server.commands().size()));
}

void CommandInfo(CommandContext& ctx) {
  if (ctx.argc() == 2) {
    CommandAll(ctx);
    return;
  }
  ctx.reply.ArrayHeader(ctx.argc() - 2);
  for (size_t i = 2; i < ctx.argc(); ++i) {
    const Command* c = FindByFullName(ctx.server.commands(), ctx.argv[i]);
    if (c == nullptr) {
      ctx.reply.NullArray();
    } else {
      ReplyCommandInfo(ctx.reply, *c);
    }
  }
}

void CommandDocs(CommandContext& ctx) {
  std::vector<const Command*> list;
  if (ctx.argc() == 2) {
    for (const auto& c : ctx.server.commands().all()) list.push_back(c.get());
  } else {
    for (size_t i = 2; i < ctx.argc(); ++i) {
      const Command* c = FindByFullName(ctx.server.commands(), ctx.argv[i]);
      if (c != nullptr) list.push_back(c);
    }
  }
  ctx.reply.MapHeader(list.size());
  for (const Command* c : list) {
    ctx.reply.Bulk(c->fullname);
    ReplyCommandDocs(ctx.reply, *c);
  }
}

void CommandList(CommandContext& ctx) {
  enum class Filter { kNone, kAclCat, kPattern, kModule } filter = Filter::kNone;
  std::string_view arg;
  if (ctx.argc() == 5 && EqualsIgnoreCase(ctx.argv[2], "filterby")) {
    std::string_view kind = ctx.argv[3];
    arg = ctx.argv[4];
    if (EqualsIgnoreCase(kind, "aclcat")) filter = Filter::kAclCat;
    else if (EqualsIgnoreCase(kind, "pattern")) filter = Filter::kPattern;
    else if (EqualsIgnoreCase(kind, "module")) filter = Filter::kModule;
    else {
      ctx.Syntax();
      return;
    }
  } else if (ctx.argc() != 2) {
    ctx.Syntax();
    return;
  }
  std::vector<std::string> names;
  auto consider = [&](const Command& c) {
    bool keep = true;
    switch (filter) {
      case Filter::kNone: break;
      case Filter::kModule: keep = false; break;  // no modules
      case Filter::kPattern: keep = GlobMatch(arg, c.fullname, true); break;
      case Filter::kAclCat: {
        keep = false;
        for (std::string_view n : CommandTable::AclNames(c.acl)) {
          if (EqualsIgnoreCase(n, arg)) keep = true;
        }
        break;
      }
    }
    if (keep) names.push_back(c.fullname);
  };
  for (const auto& c : ctx.server.commands().all()) {
    consider(*c);
    for (const auto& s : c->subcommands) consider(*s);
  }
  ctx.reply.ArrayHeader(names.size());
  for (const std::string& n : names) ctx.reply.Bulk(n);
}

void GetKeysGeneric(CommandContext& ctx, bool with_flags) {
  auto args = ctx.argv.subspan(2);
  bool unknown_sub = false;
  const Command* cmd = ctx.server.commands().Lookup(args, &unknown_sub);
  if (cmd == nullptr || unknown_sub) {
    ctx.reply.Error("ERR Invalid command specified");
    return;
  }
  if (cmd->spec.keys.empty()) {
    ctx.reply.Error("ERR The command has no key arguments");
    return;
  }
  if (!cmd->ArityOk(args.size())) {
    ctx.reply.Error("ERR Invalid number of arguments specified for command");
    return;
  }
  std::vector<KeyRef> keys;
  if (!CommandTable::GetKeys(*cmd, args, &keys)) {
    if (cmd->Is(kCmdNoMandatoryKeys)) {
      ctx.reply.ArrayHeader(0);
    } else {
      ctx.reply.Error("ERR Invalid arguments specified for command");
    }
    return;
  }
  ctx.reply.ArrayHeader(keys.size());
  for (const KeyRef& k : keys) {
    if (with_flags) {
      ctx.reply.ArrayHeader(2);
      ctx.reply.Bulk(args[static_cast<size_t>(k.pos)]);
      ReplyStringList(ctx.reply, CommandTable::KeySpecFlagNames(k.flags), "", true);
    } else {
      ctx.reply.Bulk(args[static_cast<size_t>(k.pos)]);
    }
  }
}

void CommandGetKeys(CommandContext& ctx) { GetKeysGeneric(ctx, false); }
void CommandGetKeysAndFlags(CommandContext& ctx) { GetKeysGeneric(ctx, true); }

void CommandHelp(CommandContext& ctx) {
  const std::string_view lines[] = {
      "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "(no subcommand)",
      "    Return details about every command.",
      "COUNT",
      "    Return the number of commands.",
      "DOCS [<command-name> ...]",
      "    Return documentation for the given commands, or for all of them.",
      "GETKEYS <full-command>",
      "    Return the keys a full command line would access.",
      "GETKEYSANDFLAGS <full-command>",
      "    Return the keys and their access flags for a full command line.",
      "INFO [<command-name> ...]",
      "    Return details about the given commands, or about all of them.",
      "LIST [FILTERBY (MODULE <module-name>|ACLCAT <category>|PATTERN <pattern>)]",
      "    Return the names of the commands, optionally filtered.",
      "HELP",
      "    Print this help.",
  };
  ReplyLines(ctx.reply, lines);
}

}  // namespace

void RegisterIntrospectionCommands(CommandTable& t) {
  const uint64_t F = kCmdLoading | kCmdStale;
  auto sub = [&](std::string_view name, CommandHandler h, int arity, std::string_view summary,
                 std::string_view complexity, std::string_view args, std::string_view tips = "") {
    return CommandSpec{.name = name, .handler = h, .arity = arity, .flags = F,
                       .acl = kAclConnection, .tips = tips,
                       .doc = {summary, "7.0.0", "server", complexity, args}};
  };
  t.Add({.name = "command",
         .handler = CommandAll,
         .arity = -1,
         .flags = F,
         .acl = kAclConnection,
         .tips = "nondeterministic_output_order",
         .doc = {"Returns detailed information about all commands.", "2.8.13", "server",
                 "O(N) where N is the total number of Redis commands", ""},
         .subcommands = {
             sub("count", CommandCount, 2, "Returns a count of commands.", "O(1)", ""),
             sub("docs", CommandDocs, -2, "Returns documentary information about a command.",
                 "O(N) where N is the number of commands to look up", "[command-name:string...]",
                 "nondeterministic_output_order"),
             sub("getkeys", CommandGetKeys, -4,
                 "Extracts the key names from an arbitrary command.",
                 "O(N) where N is the number of arguments to the command",
                 "command:string [arg:string...]"),
             sub("getkeysandflags", CommandGetKeysAndFlags, -4,
                 "Extracts the key names and access flags for an arbitrary command.",
                 "O(N) where N is the number of arguments to the command",
                 "command:string [arg:string...]"),
             sub("help", CommandHelp, 2, "Returns helpful text about the different subcommands.",
                 "O(1)", ""),
             sub("info", CommandInfo, -2, "Returns information about one, multiple or all commands.",
                 "O(N) where N is the number of commands to look up", "[command-name:string...]",
                 "nondeterministic_output_order"),
             sub("list", CommandList, -2, "Returns a list of command names.",
                 "O(N) where N is the total number of Redis commands",
                 "[FILTERBY filterby=(MODULE module-name:string|ACLCAT category:string|PATTERN "
                 "pattern:pattern)]",
                 "nondeterministic_output_order"),
         }});
}

}  // namespace tessera
