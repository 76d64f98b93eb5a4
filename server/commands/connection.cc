// Connection commands: PING ECHO QUIT RESET HELLO AUTH and CLIENT (ID SETNAME GETNAME LIST
// INFO KILL PAUSE UNPAUSE REPLY NO-EVICT HELP).
#include <fmt/core.h>

#include <algorithm>

#include "server/commands/families.h"
#include "server/commands/helpers.h"
#include "server/core/context.h"
#include "server/core/tracking.h"

namespace tessera {

namespace {

void Ping(CommandContext& ctx) {
  if (ctx.argc() > 2) {
    ctx.reply.Error(err::WrongArity(ctx.cmd.fullname));
    return;
  }
  if (ctx.client.Has(kClientPubsub) && ctx.client.resp == 2) {
    // A RESP2 subscriber gets PING's answer in the shape of a message.
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk("pong");
    ctx.reply.Bulk(ctx.argc() == 2 ? ctx.argv[1] : std::string_view());
  } else if (ctx.argc() == 2) {
    ctx.reply.Bulk(ctx.argv[1]);
  } else {
    ctx.reply.SimpleString("PONG");
  }
}

void Echo(CommandContext& ctx) { ctx.reply.Bulk(ctx.argv[1]); }

void Quit(CommandContext& ctx) {
  ctx.reply.Ok();
  ctx.server.ScheduleClose(&ctx.client, true);
}

// Checks a username/password pair against the default user (the only user until ACLs):
// with no requirepass it accepts any password, as Redis's "nopass" default user does.
bool CheckCredentials(CommandContext& ctx, std::string_view user, std::string_view pass) {
  if (!EqualsIgnoreCase(user, "default") && user != "default") return false;
  const std::string& required = ctx.server.config().requirepass;
  return required.empty() || pass == required;
}

void Auth(CommandContext& ctx) {
  if (ctx.argc() > 3) {
    ctx.Syntax();
    return;
  }
  std::string_view user = "default";
  std::string_view pass;
  if (ctx.argc() == 2) {
    if (ctx.server.config().requirepass.empty()) {
      ctx.reply.Error(err::kAuthNoPassword);
      return;
    }
    pass = ctx.argv[1];
  } else {
    user = ctx.argv[1];
    pass = ctx.argv[2];
  }
  if (user != "default" || !CheckCredentials(ctx, user, pass)) {
    ctx.reply.Error(err::kWrongPass);
    return;
  }
  ctx.client.authenticated = true;
  ctx.reply.Ok();
}

bool ValidClientName(std::string_view name) {
  for (char c : name) {
    if (c < '!' || c > '~') return false;
  }
  return true;
}

void ReplyHello(CommandContext& ctx) {
  ctx.reply.MapHeader(7);
  ctx.reply.Bulk("server");
  ctx.reply.Bulk("redis");
  ctx.reply.Bulk("version");
  ctx.reply.Bulk(kRedisVersion);
  ctx.reply.Bulk("proto");
  ctx.reply.Integer(ctx.client.resp);
  ctx.reply.Bulk("id");
  ctx.reply.Integer(static_cast<int64_t>(ctx.client.id));
  ctx.reply.Bulk("mode");
  ctx.reply.Bulk("standalone");
  ctx.reply.Bulk("role");
  ctx.reply.Bulk("master");
  ctx.reply.Bulk("modules");
  ctx.reply.ArrayHeader(0);
}

void Hello(CommandContext& ctx) {
  int64_t ver = 0;
  size_t next = 1;
  if (ctx.argc() >= 2) {
    auto v = ParseInt64(ctx.argv[next++]);
    if (!v) {
      ctx.reply.Error("ERR Protocol version is not an integer or out of range");
      return;
    }
    ver = *v;
    if (ver < 2 || ver > 3) {
      ctx.reply.Error(err::kNoProto);
      return;
    }
  }
  std::string_view user, pass, name;
  bool has_auth = false, has_name = false;
  for (size_t j = next; j < ctx.argc(); ++j) {
    size_t more = ctx.argc() - 1 - j;
    if (EqualsIgnoreCase(ctx.argv[j], "auth") && more >= 2) {
      user = ctx.argv[j + 1];
      pass = ctx.argv[j + 2];
      has_auth = true;
      j += 2;
    } else if (EqualsIgnoreCase(ctx.argv[j], "setname") && more >= 1) {
      name = ctx.argv[j + 1];
      if (!ValidClientName(name)) {
        ctx.reply.Error(err::kClientNameChars);
        return;
      }
      has_name = true;
      ++j;
    } else {
      ctx.reply.Error(fmt::format("ERR Syntax error in HELLO option '{}'", ctx.argv[j]));
      return;
    }
  }
  if (has_auth) {
    if (!CheckCredentials(ctx, user, pass) || user != "default") {
      ctx.reply.Error(err::kWrongPass);
      return;
    }
    ctx.client.authenticated = true;
  }
  if (ctx.server.AuthRequired(ctx.client)) {
    ctx.reply.Error(
        "NOAUTH HELLO must be called with the client already authenticated, otherwise the "
        "HELLO AUTH <user> <pass> option can be used to authenticate the client and select "
        "the RESP protocol version at the same time");
    return;
  }
  if (has_name) ctx.client.name = std::string(name);
  if (ver != 0) {
    ctx.client.resp = static_cast<int>(ver);
    ctx.reply.set_resp3(ver == 3);
  }
  ReplyHello(ctx);
}

void Reset(CommandContext& ctx) {
  Client& c = ctx.client;
  if (c.Has(kClientMulti)) ctx.server.DiscardTransaction(c);
  ctx.server.watches().UnwatchAll(c);
  c.flags &= ~kClientDirtyCas;
  ctx.server.tracking().Disable(c);
  if (c.subs) {
    ctx.server.UnsubscribeAll(c, PubSubKind::kChannel, false);
    ctx.server.UnsubscribeAll(c, PubSubKind::kPattern, false);
    ctx.server.UnsubscribeAll(c, PubSubKind::kShard, false);
  }
  auto& mons = ctx.server.monitors();
  mons.erase(std::remove(mons.begin(), mons.end(), &c), mons.end());
  c.db_index = 0;
  c.db = &ctx.ks().db(0);
  c.resp = 2;
  ctx.reply.set_resp3(false);
  c.authenticated = ctx.server.config().requirepass.empty();
  c.name.clear();
  // As Redis 7.0, NO-EVICT survives RESET.
  c.flags &= ~(kClientMonitor | kClientReplyOff | kClientReplySkip | kClientReplySkipNext |
               kClientPubsub);
  ctx.reply.set_muted(false);
  ctx.reply.SimpleString("RESET");
}

// ---- CLIENT ----

std::string FlagString(const Client& c) {
  // Redis's order of the letters.
  std::string f;
  if (c.Has(kClientMonitor)) {
    f += 'O';
  } else if (c.Has(kClientReplica)) {
    f += 'S';
  }
  if (c.Has(kClientMaster)) f += 'M';
  if (c.Has(kClientPubsub)) f += 'P';
  if (c.Has(kClientMulti)) f += 'x';
  if (c.Has(kClientBlocked) || c.Has(kClientPostponed)) f += 'b';
  if (c.Has(kClientTracking)) f += 't';
  if (c.tracking && c.tracking->broken_redirect) f += 'R';
  if (c.tracking && c.tracking->bcast) f += 'B';
  if (c.Has(kClientDirtyCas)) f += 'd';
  if (c.Has(kClientCloseAfterReply)) f += 'c';
  if (c.Has(kClientCloseAsap)) f += 'A';
  if (c.Has(kClientUnixSocket)) f += 'U';
  if (c.Has(kClientNoEvict)) f += 'e';
  if (f.empty()) f = "N";
  return f;
}

// One CLIENT LIST line with Redis's fields, filled from this server's real figures.
std::string ClientLine(const Client& c, int64_t now_ms) {
  size_t qbuf = c.qbuf.pending();
  size_t qbuf_free = c.qbuf.cap - c.qbuf.len;
  size_t first = c.out.chunk_count() > 0 ? resp::OutputBuffer::kChunkSize : 0;
  size_t omem = c.out.allocated() > first ? c.out.allocated() - first : 0;
  size_t oll = c.out.chunk_count() > 1 ? c.out.chunk_count() - 1 : 0;
  size_t obl = std::min(c.out.pending(), first);
  size_t tot = c.MemoryUsage();
  std::string events = c.Has(kClientFake) ? "" : "r";
  if (c.out.pending() > 0) events += "w";
  return fmt::format(
      "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub={} psub={} ssub={} "
      "multi={} qbuf={} qbuf-free={} argv-mem={} multi-mem={} rbs={} rbp={} obl={} oll={} "
      "omem={} tot-mem={} events={} cmd={} user=default redir={} resp={}",
      c.id, c.addr, c.laddr, c.fd, c.name, (now_ms - c.ctime_ms) / 1000,
      (now_ms - c.last_interaction_ms) / 1000, FlagString(c), c.db_index,
      c.subs ? c.subs->channels.size() : 0, c.subs ? c.subs->patterns.size() : 0,
      c.ShardSubscriptionCount(),
      c.Has(kClientMulti) ? static_cast<int64_t>(c.multi_queue.size()) : -1, qbuf, qbuf_free,
      c.argv_mem, c.multi_mem, first, first, obl, oll, omem, tot, events,
      c.last_cmd ? c.last_cmd->fullname : "NULL",
      c.tracking ? static_cast<int64_t>(c.tracking->redirect) : -1, c.resp);
}

enum class ClientType { kAny, kNormal, kMaster, kReplica, kPubsub };

bool ParseClientType(std::string_view s, ClientType* out) {
  if (EqualsIgnoreCase(s, "normal")) *out = ClientType::kNormal;
  else if (EqualsIgnoreCase(s, "master")) *out = ClientType::kMaster;
  else if (EqualsIgnoreCase(s, "replica") || EqualsIgnoreCase(s, "slave")) *out = ClientType::kReplica;
  else if (EqualsIgnoreCase(s, "pubsub")) *out = ClientType::kPubsub;
  else return false;
  return true;
}

bool TypeMatches(const Client& c, ClientType t) {
  switch (t) {
    case ClientType::kAny: return true;
    case ClientType::kMaster: return c.Has(kClientMaster);
    case ClientType::kReplica: return c.Has(kClientReplica) && !c.Has(kClientMonitor);
    case ClientType::kPubsub: return c.Has(kClientPubsub);
    case ClientType::kNormal:
      return !c.Has(kClientMaster) && !(c.Has(kClientReplica) && !c.Has(kClientMonitor)) &&
             !c.Has(kClientPubsub);
  }
  return false;
}

void ClientId(CommandContext& ctx) { ctx.reply.Integer(static_cast<int64_t>(ctx.client.id)); }

void ClientSetName(CommandContext& ctx) {
  if (!ValidClientName(ctx.argv[2])) {
    ctx.reply.Error(err::kClientNameChars);
    return;
  }
  ctx.client.name = std::string(ctx.argv[2]);
  ctx.reply.Ok();
}

void ClientGetName(CommandContext& ctx) {
  if (ctx.client.name.empty()) {
    ctx.reply.Null();
  } else {
    ctx.reply.Bulk(ctx.client.name);
  }
}

void ClientInfo(CommandContext& ctx) {
  ctx.reply.Verbatim(ClientLine(ctx.client, ctx.now_ms) + "\n");
}

void ClientList(CommandContext& ctx) {
  ClientType type = ClientType::kAny;
  std::vector<uint64_t> ids;
  bool by_id = false;
  if (ctx.argc() == 4 && EqualsIgnoreCase(ctx.argv[2], "type")) {
    if (!ParseClientType(ctx.argv[3], &type)) {
      ctx.reply.Error(fmt::format("ERR Unknown client type '{}'", ctx.argv[3]));
      return;
    }
  } else if (ctx.argc() > 3 && EqualsIgnoreCase(ctx.argv[2], "id")) {
    by_id = true;
    for (size_t j = 3; j < ctx.argc(); ++j) {
      auto v = ParseInt64(ctx.argv[j]);
      if (!v) {
        ctx.reply.Error("ERR Invalid client ID");
        return;
      }
      if (*v > 0) ids.push_back(static_cast<uint64_t>(*v));  // ids <= 0 match nothing
    }
  } else if (ctx.argc() != 2) {
    ctx.Syntax();
    return;
  }
  std::string out;
  for (const auto& [id, c] : ctx.server.clients()) {
    if (c->Has(kClientFake) && c.get() != &ctx.client) continue;
    if (by_id && std::find(ids.begin(), ids.end(), id) == ids.end()) continue;
    if (!TypeMatches(*c, type)) continue;
    out += ClientLine(*c, ctx.now_ms);
    out += '\n';
  }
  ctx.reply.Verbatim(out);
}

void ClientKill(CommandContext& ctx) {
  Client& self = ctx.client;
  if (ctx.argc() == 3) {
    // Old form: CLIENT KILL addr:port.
    for (const auto& [id, c] : ctx.server.clients()) {
      if (c->addr == ctx.argv[2] && !c->Has(kClientFake)) {
        ctx.server.KillClient(c.get());
        ctx.reply.Ok();
        return;
      }
    }
    ctx.reply.Error(err::kNoSuchClient);
    return;
  }
  if ((ctx.argc() - 2) % 2 != 0) {
    ctx.Syntax();
    return;
  }
  uint64_t want_id = 0;
  ClientType type = ClientType::kAny;
  std::string_view addr, laddr, user;
  bool skipme = true;
  for (size_t i = 2; i + 1 < ctx.argc(); i += 2) {
    std::string_view opt = ctx.argv[i], val = ctx.argv[i + 1];
    if (EqualsIgnoreCase(opt, "id")) {
      auto v = ParseInt64(val);
      if (!v || *v <= 0) {
        ctx.reply.Error("ERR client-id should be greater than 0");
        return;
      }
      want_id = static_cast<uint64_t>(*v);
    } else if (EqualsIgnoreCase(opt, "type")) {
      if (!ParseClientType(val, &type)) {
        ctx.reply.Error(fmt::format("ERR Unknown client type '{}'", val));
        return;
      }
    } else if (EqualsIgnoreCase(opt, "addr")) {
      addr = val;
    } else if (EqualsIgnoreCase(opt, "laddr")) {
      laddr = val;
    } else if (EqualsIgnoreCase(opt, "user")) {
      if (val != "default") {
        ctx.reply.Error(fmt::format("ERR No such user '{}'", val));
        return;
      }
      user = val;
    } else if (EqualsIgnoreCase(opt, "skipme")) {
      if (EqualsIgnoreCase(val, "yes")) skipme = true;
      else if (EqualsIgnoreCase(val, "no")) skipme = false;
      else {
        ctx.Syntax();
        return;
      }
    } else {
      ctx.Syntax();
      return;
    }
  }
  std::vector<Client*> victims;
  for (const auto& [id, c] : ctx.server.clients()) {
    if (c->Has(kClientFake)) continue;
    if (want_id != 0 && id != want_id) continue;
    if (!TypeMatches(*c, type)) continue;
    if (!addr.empty() && c->addr != addr) continue;
    if (!laddr.empty() && c->laddr != laddr) continue;
    if (c.get() == &self && skipme) continue;
    victims.push_back(c.get());
  }
  for (Client* v : victims) ctx.server.KillClient(v);
  ctx.reply.Integer(static_cast<int64_t>(victims.size()));
}

void ClientPause(CommandContext& ctx) {
  auto v = ParseInt64(ctx.argv[2]);
  if (!v) {
    ctx.reply.Error("ERR timeout is not an integer or out of range");
    return;
  }
  if (*v < 0) {
    ctx.reply.Error(err::kTimeoutNegative);
    return;
  }
  PauseType type = PauseType::kAll;
  if (ctx.argc() == 4) {
    if (EqualsIgnoreCase(ctx.argv[3], "write")) type = PauseType::kWrite;
    else if (EqualsIgnoreCase(ctx.argv[3], "all")) type = PauseType::kAll;
    else {
      ctx.reply.Error("ERR CLIENT PAUSE mode must be WRITE or ALL");
      return;
    }
  } else if (ctx.argc() > 4) {
    ctx.reply.Error(fmt::format(
        "ERR unknown subcommand or wrong number of arguments for '{}'. Try CLIENT HELP.",
        ctx.argv[1]));
    return;
  }
  int64_t until = *v > INT64_MAX - ctx.now_ms ? INT64_MAX : ctx.now_ms + *v;
  ctx.server.Pause(type, until);
  ctx.reply.Ok();
}

void ClientUnpause(CommandContext& ctx) {
  ctx.server.Unpause();
  ctx.reply.Ok();
}

void ClientReply(CommandContext& ctx) {
  std::string_view mode = ctx.argv[2];
  Client& c = ctx.client;
  if (EqualsIgnoreCase(mode, "on")) {
    c.flags &= ~(kClientReplySkip | kClientReplyOff);
    ctx.reply.set_muted(false);
    ctx.reply.Ok();
  } else if (EqualsIgnoreCase(mode, "off")) {
    c.flags |= kClientReplyOff;
  } else if (EqualsIgnoreCase(mode, "skip")) {
    if (!c.Has(kClientReplyOff)) c.flags |= kClientReplySkipNext;
  } else {
    ctx.Syntax();
  }
}

void ClientNoEvict(CommandContext& ctx) {
  if (EqualsIgnoreCase(ctx.argv[2], "on")) {
    ctx.client.flags |= kClientNoEvict;
  } else if (EqualsIgnoreCase(ctx.argv[2], "off")) {
    ctx.client.flags &= ~kClientNoEvict;
  } else {
    ctx.Syntax();
    return;
  }
  ctx.reply.Ok();
}

// CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX p]... [BCAST] [OPTIN] [OPTOUT] [NOLOOP]
void ClientTracking(CommandContext& ctx) {
  Client& c = ctx.client;
  TrackingState want;
  std::vector<std::string> prefixes;
  bool redirect_given = false;
  for (size_t j = 3; j < ctx.argc(); ++j) {
    bool more = j + 1 < ctx.argc();
    std::string_view a = ctx.argv[j];
    if (EqualsIgnoreCase(a, "redirect") && more) {
      ++j;
      if (redirect_given) {
        ctx.reply.Error("ERR A client can only redirect to a single other client");
        return;
      }
      auto id = ParseInt64(ctx.argv[j]);
      if (!id) {
        ctx.reply.Error(err::kNotInteger);
        return;
      }
      if (ctx.server.FindClient(static_cast<uint64_t>(*id)) == nullptr) {
        ctx.reply.Error("ERR The client ID you want redirect to does not exist");
        return;
      }
      want.redirect = static_cast<uint64_t>(*id);
      redirect_given = true;
    } else if (EqualsIgnoreCase(a, "bcast")) {
      want.bcast = true;
    } else if (EqualsIgnoreCase(a, "optin")) {
      want.optin = true;
    } else if (EqualsIgnoreCase(a, "optout")) {
      want.optout = true;
    } else if (EqualsIgnoreCase(a, "noloop")) {
      want.noloop = true;
    } else if (EqualsIgnoreCase(a, "prefix") && more) {
      prefixes.emplace_back(ctx.argv[++j]);
    } else {
      ctx.Syntax();
      return;
    }
  }
  if (EqualsIgnoreCase(ctx.argv[2], "on")) {
    if (!want.bcast && !prefixes.empty()) {
      ctx.reply.Error("ERR PREFIX option requires BCAST mode to be enabled");
      return;
    }
    if (c.Has(kClientTracking) && c.tracking->bcast != want.bcast) {
      ctx.reply.Error("ERR You can't switch BCAST mode on/off before disabling tracking for "
                      "this client, and then re-enabling it with a different mode.");
      return;
    }
    if (want.bcast && (want.optin || want.optout)) {
      ctx.reply.Error("ERR OPTIN and OPTOUT are not compatible with BCAST");
      return;
    }
    if (want.optin && want.optout) {
      ctx.reply.Error("ERR You can't specify both OPTIN mode and OPTOUT mode");
      return;
    }
    if (c.Has(kClientTracking) && ((want.optin && c.tracking->optout) ||
                                   (want.optout && c.tracking->optin))) {
      ctx.reply.Error("ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for "
                      "this client, and then re-enabling it with a different mode.");
      return;
    }
    if (want.bcast) {
      std::string err = TrackingTable::CheckPrefixes(c, prefixes);
      if (!err.empty()) {
        ctx.reply.Error(err);
        return;
      }
    }
    want.prefixes = std::move(prefixes);
    ctx.server.tracking().Enable(c, want);
  } else if (EqualsIgnoreCase(ctx.argv[2], "off")) {
    ctx.server.tracking().Disable(c);
  } else {
    ctx.Syntax();
    return;
  }
  ctx.reply.Ok();
}

void ClientCaching(CommandContext& ctx) {
  Client& c = ctx.client;
  if (!c.Has(kClientTracking)) {
    ctx.reply.Error("ERR CLIENT CACHING can be called only when the client is in tracking mode "
                    "with OPTIN or OPTOUT mode enabled");
    return;
  }
  if (EqualsIgnoreCase(ctx.argv[2], "yes")) {
    if (!c.tracking->optin) {
      ctx.reply.Error("ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN "
                      "mode.");
      return;
    }
  } else if (EqualsIgnoreCase(ctx.argv[2], "no")) {
    if (!c.tracking->optout) {
      ctx.reply.Error("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT "
                      "mode.");
      return;
    }
  } else {
    ctx.Syntax();
    return;
  }
  c.tracking->caching = true;
  ctx.reply.Ok();
}

void ClientGetRedir(CommandContext& ctx) {
  const Client& c = ctx.client;
  ctx.reply.Integer(c.tracking ? static_cast<int64_t>(c.tracking->redirect) : -1);
}

void ClientTrackingInfo(CommandContext& ctx) {
  const Client& c = ctx.client;
  const TrackingState* t = c.tracking.get();
  std::vector<std::string_view> flags;
  flags.push_back(t ? "on" : "off");
  if (t) {
    if (t->bcast) flags.push_back("bcast");
    if (t->optin) {
      flags.push_back("optin");
      if (t->caching) flags.push_back("caching-yes");
    }
    if (t->optout) {
      flags.push_back("optout");
      if (t->caching) flags.push_back("caching-no");
    }
    if (t->noloop) flags.push_back("noloop");
    if (t->broken_redirect) flags.push_back("broken_redirect");
  }
  ctx.reply.MapHeader(3);
  ctx.reply.Bulk("flags");
  ctx.reply.SetHeader(flags.size());
  for (std::string_view f : flags) ctx.reply.Bulk(f);
  ctx.reply.Bulk("redirect");
  ctx.reply.Integer(t ? static_cast<int64_t>(t->redirect) : -1);
  ctx.reply.Bulk("prefixes");
  std::vector<std::string> prefixes = t ? t->prefixes : std::vector<std::string>();
  std::sort(prefixes.begin(), prefixes.end());
  ctx.reply.ArrayHeader(prefixes.size());
  for (const std::string& p : prefixes) ctx.reply.Bulk(p);
}

void ClientUnblock(CommandContext& ctx) {
  if (ctx.argc() > 4) {
    ctx.reply.Error(fmt::format(
        "ERR unknown subcommand or wrong number of arguments for '{}'. Try CLIENT HELP.",
        ctx.argv[1]));
    return;
  }
  auto id = ParseInt64(ctx.argv[2]);
  if (!id) {
    ctx.reply.Error(err::kNotInteger);
    return;
  }
  bool error = false;
  if (ctx.argc() == 4) {
    if (EqualsIgnoreCase(ctx.argv[3], "error")) {
      error = true;
    } else if (!EqualsIgnoreCase(ctx.argv[3], "timeout")) {
      ctx.reply.Error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
      return;
    }
  }
  // Only clients waiting in a blocking command; those held by CLIENT PAUSE stay.
  Client* target = ctx.server.FindClient(static_cast<uint64_t>(*id));
  if (target == nullptr || target->blocked == nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  // Redis 7.0 counts the blocked command as failed either way.
  if (error) {
    ctx.server.UnblockClient(*target, false, "UNBLOCKED client unblocked via CLIENT UNBLOCK",
                             true);
  } else {
    ctx.server.UnblockClient(*target, true, {}, true);
  }
  ctx.reply.Integer(1);
}

void ClientHelp(CommandContext& ctx) {
  const std::string_view lines[] = {
      "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "GETNAME",
      "    Return the name of this connection.",
      "ID",
      "    Return the id of this connection.",
      "INFO",
      "    Return information about this connection, in CLIENT LIST format.",
      "KILL <ip:port>",
      "    Close the connection with that address.",
      "KILL <option> <value> [<option> <value> [...]]",
      "    Close every connection matching all the filters: ID <id>, TYPE",
      "    (NORMAL|MASTER|REPLICA|PUBSUB), USER <username>, ADDR <ip:port>,",
      "    LADDR <ip:port>, SKIPME (YES|NO). Replies with the number closed.",
      "LIST [options ...]",
      "    Return the connections, one per line. Options: TYPE <type>, ID <id> [...].",
      "NO-EVICT (ON|OFF)",
      "    Protect this connection from client eviction (or stop protecting it).",
      "PAUSE <timeout> [WRITE|ALL]",
      "    Hold commands from normal clients for <timeout> milliseconds: all of them, or",
      "    only those that may write.",
      "REPLY (ON|OFF|SKIP)",
      "    Turn replies to this connection on, off, or off for the next command only.",
      "SETNAME <name>",
      "    Name this connection.",
      "UNBLOCK <clientid> [TIMEOUT|ERROR]",
      "    End the wait of a client blocked by BLPOP, BZPOPMIN and the like: as if it timed",
      "    out (the default), or with an UNBLOCKED error.",
      "UNPAUSE",
      "    Stop a pause started with CLIENT PAUSE.",
      "HELP",
      "    Print this help.",
  };
  ReplyLines(ctx.reply, lines);
}

}  // namespace

void RegisterConnectionCommands(CommandTable& t) {
  const uint64_t C = kAclConnection;
  t.Add({.name = "ping", .handler = Ping, .arity = -1, .flags = kCmdFast | kCmdSentinel, .acl = C,
         .tips = "request_policy:all_shards response_policy:all_succeeded",
         .doc = {"Returns the server's liveliness response.", "1.0.0", "connection", "O(1)",
                 "[message:string]"}});
  t.Add({.name = "echo", .handler = Echo, .arity = 2,
         .flags = kCmdLoading | kCmdStale | kCmdFast, .acl = C,
         .doc = {"Returns the given string.", "1.0.0", "connection", "O(1)", "message:string"}});
  t.Add({.name = "quit", .handler = Quit, .arity = -1,
         .flags = kCmdAllowBusy | kCmdNoAuth | kCmdNoscript | kCmdLoading | kCmdStale | kCmdFast,
         .acl = C,
         .doc = {"Closes the connection.", "1.0.0", "connection", "O(1)", ""}});
  t.Add({.name = "reset", .handler = Reset, .arity = 1,
         .flags = kCmdNoscript | kCmdLoading | kCmdStale | kCmdNoAuth | kCmdFast | kCmdAllowBusy,
         .acl = C,
         .doc = {"Resets the connection.", "6.2.0", "connection", "O(1)", ""}});
  t.Add({.name = "hello", .handler = Hello, .arity = -1,
         .flags = kCmdNoscript | kCmdLoading | kCmdStale | kCmdNoAuth | kCmdFast | kCmdSentinel |
                  kCmdAllowBusy,
         .acl = C,
         .doc = {"Handshakes with the Redis server.", "6.0.0", "connection", "O(1)",
                 "[arguments=protover:integer [AUTH username:string password:string] [SETNAME "
                 "clientname:string]]"}});
  t.Add({.name = "auth", .handler = Auth, .arity = -2,
         .flags = kCmdNoscript | kCmdLoading | kCmdStale | kCmdFast | kCmdNoAuth | kCmdSentinel |
                  kCmdAllowBusy,
         .acl = C,
         .doc = {"Authenticates the connection.", "1.0.0", "connection",
                 "O(N) where N is the number of passwords defined for the user",
                 "[username:string] password:string"}});
  const uint64_t kClientFlags = kCmdNoscript | kCmdLoading | kCmdStale;
  auto sub = [&](std::string_view name, CommandHandler h, int arity, uint64_t flags,
                 std::string_view summary, std::string_view since, std::string_view args,
                 uint64_t acl = kAclConnection, std::string_view tips = "") {
    return CommandSpec{.name = name, .handler = h, .arity = arity, .flags = flags, .acl = acl,
                       .tips = tips,
                       .doc = {summary, since, "connection", "O(1)", args}};
  };
  t.Add({.name = "client",
         .arity = -2,
         .flags = kCmdSentinel,
         .doc = {"A container for client connection commands.", "2.4.0", "connection",
                 "Depends on subcommand.", ""},
         .subcommands = {
             sub("id", ClientId, 2, kClientFlags, "Returns the unique client ID of the connection.",
                 "5.0.0", ""),
             sub("setname", ClientSetName, 3, kClientFlags, "Sets the connection name.", "2.6.9",
                 "connection-name:string"),
             sub("getname", ClientGetName, 2, kClientFlags, "Returns the name of the connection.",
                 "2.6.9", ""),
             sub("info", ClientInfo, 2, kClientFlags,
                 "Returns information about the connection.", "6.2.0", "", kAclConnection,
                 "nondeterministic_output"),
             sub("list", ClientList, -2, kCmdAdmin | kClientFlags,
                 "Lists open connections.", "2.4.0",
                 "[TYPE client-type=NORMAL|MASTER|REPLICA|PUBSUB] [ID client-id:integer...]",
                 kAclConnection, "nondeterministic_output"),
             sub("kill", ClientKill, -3, kCmdAdmin | kClientFlags,
                 "Terminates open connections.", "2.4.0",
                 "filter=(old-format=ip:port:string|(new-format=[ID client-id:integer] [TYPE "
                 "NORMAL|MASTER|SLAVE|REPLICA|PUBSUB] [USER username:string] [ADDR ip:port:string] "
                 "[LADDR ip:port:string] [SKIPME YES|NO])...)"),
             sub("pause", ClientPause, -3, kCmdAdmin | kClientFlags,
                 "Suspends commands processing.", "3.0.0",
                 "timeout:integer [mode=WRITE|ALL]"),
             sub("unblock", ClientUnblock, -3, kCmdAdmin | kClientFlags,
                 "Unblocks a client blocked by a blocking command from a different connection.",
                 "5.0.0", "client-id:integer [unblock-type=TIMEOUT|ERROR]"),
             sub("unpause", ClientUnpause, 2, kCmdAdmin | kClientFlags,
                 "Resumes processing commands from paused clients.", "6.2.0", ""),
             sub("reply", ClientReply, 3, kClientFlags,
                 "Instructs the server whether to reply to commands.", "3.2.0",
                 "action=ON|OFF|SKIP"),
             sub("tracking", ClientTracking, -3, kClientFlags,
                 "Controls server-assisted client-side caching for the connection.", "6.0.0",
                 "[status=ON|OFF] [REDIRECT client-id:integer] [PREFIX prefix:string...] [BCAST] "
                 "[OPTIN] [OPTOUT] [NOLOOP]"),
             sub("caching", ClientCaching, 3, kClientFlags,
                 "Instructs the server whether to track the keys in the next request.", "6.0.0",
                 "mode=YES|NO"),
             sub("getredir", ClientGetRedir, 2, kClientFlags,
                 "Returns the client ID to which the connection's tracking notifications are "
                 "redirected.",
                 "6.0.0", ""),
             sub("trackinginfo", ClientTrackingInfo, 2, kClientFlags,
                 "Returns information about server-assisted client-side caching for the "
                 "connection.",
                 "6.2.0", ""),
             sub("no-evict", ClientNoEvict, 3, kCmdAdmin | kClientFlags,
                 "Sets the client eviction mode of the connection.", "7.0.0", "enabled=ON|OFF"),
             sub("help", ClientHelp, 2, kCmdLoading | kCmdStale,
                 "Returns helpful text about the different subcommands.", "5.0.0", ""),
         }});
}

}  // namespace tessera
