// Stream commands: XADD XRANGE XREVRANGE XLEN XDEL XTRIM XREAD XREADGROUP XGROUP XACK XPENDING
// XCLAIM XAUTOCLAIM XINFO XSETID, with Redis 7.0's replies, errors, propagation (XREADGROUP
// and XCLAIM travel as XCLAIM/XGROUP SETID, approximate trims as exact ones) and blocking.
#include <fmt/core.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <string>
#include <vector>

#include "server/commands/families.h"
#include "server/commands/helpers.h"
#include "server/core/context.h"
#include "server/keyspace/stream.h"

namespace tessera {

namespace {

constexpr std::string_view kInvalidId = "ERR Invalid stream ID specified as stream command argument";

// ---- IDs ----

// Redis's string2ull: a plain integer, else strtoull (which allows spaces and a sign).
bool ParseU64(const std::string& s, uint64_t* out) {
  auto v = ParseInt64(s);
  if (v) {
    if (*v < 0) return false;
    *out = static_cast<uint64_t>(*v);
    return true;
  }
  errno = 0;
  char* end = nullptr;
  unsigned long long u = strtoull(s.c_str(), &end, 10);
  if (errno == EINVAL || errno == ERANGE || s.empty() || *end != '\0') return false;
  *out = u;
  return true;
}

// streamGenericParseIDOrReply. strict: "-" and "+" are refused. seq_given (XADD): "<ms>-*"
// is accepted and reported by *seq_given = false. Replies the error when `reply`.
bool ParseId(CommandContext* ctx, std::string_view arg, StreamID* id, uint64_t missing_seq,
             bool strict, bool* seq_given = nullptr) {
  auto fail = [&] {
    if (ctx != nullptr) ctx->reply.Error(kInvalidId);
    return false;
  };
  if (arg.size() > 127) return fail();
  std::string buf(arg.substr(0, arg.find('\0')));  // read as a C string
  if (strict && (buf == "-" || buf == "+")) return fail();
  if (seq_given != nullptr) *seq_given = true;
  if (buf == "-") {
    *id = StreamID::Min();
    return true;
  }
  if (buf == "+") {
    *id = StreamID::Max();
    return true;
  }
  size_t dash = buf.find('-');
  uint64_t ms, seq;
  if (!ParseU64(buf.substr(0, dash), &ms)) return fail();
  if (dash != std::string::npos) {
    std::string rest = buf.substr(dash + 1);
    if (seq_given != nullptr && rest == "*") {
      seq = 0;
      *seq_given = false;
    } else if (!ParseU64(rest, &seq)) {
      return fail();
    }
  } else {
    seq = missing_seq;
  }
  *id = StreamID{ms, seq};
  return true;
}

// A range bound: "(" excludes it (and needs a strict ID).
bool ParseIntervalId(CommandContext& ctx, std::string_view arg, StreamID* id, bool* exclude,
                     uint64_t missing_seq) {
  *exclude = arg.size() > 1 && arg[0] == '(';
  if (*exclude) return ParseId(&ctx, arg.substr(1), id, missing_seq, true);
  return ParseId(&ctx, arg, id, missing_seq, false);
}

// ---- replies ----

void ReplyId(CommandContext& ctx, StreamID id) { ctx.reply.Bulk(id.ToString()); }

void ReplyEntry(CommandContext& ctx, const StreamEntry& e) {
  ctx.reply.ArrayHeader(2);
  ReplyId(ctx, e.id);
  ctx.reply.ArrayHeader(e.fields.size() * 2);
  char buf[24];
  for (const auto& [f, v] : e.fields) {
    ctx.reply.Bulk(f.View(buf));
    ctx.reply.Bulk(v.View(buf));
  }
}

// Replies the entry id alone ([id, [fields]]) if it exists; false if it does not.
bool ReplyOneEntry(CommandContext& ctx, const Stream& s, StreamID id) {
  bool found = false;
  s.Range(id, id, false, [&](const StreamEntry& e) {
    ReplyEntry(ctx, e);
    found = true;
    return false;
  });
  return found;
}

KeyValue* LookupStream(CommandContext& ctx, std::string_view key, bool write, bool* wrong) {
  KeyValue* kv = write ? ctx.LookupWrite(key) : ctx.LookupRead(key);
  *wrong = kv != nullptr && kv->type() != ObjType::kStream;
  if (*wrong) ctx.WrongType();
  return *wrong ? nullptr : kv;
}

size_t NodeMaxBytes(CommandContext& ctx) {
  return static_cast<size_t>(ctx.server.config().stream_node_max_bytes);
}
int64_t NodeMaxEntries(CommandContext& ctx) { return ctx.server.config().stream_node_max_entries; }

std::vector<std::string> ArgvCopy(CommandContext& ctx) {
  return std::vector<std::string>(ctx.argv.begin(), ctx.argv.end());
}

// ---- XADD / XTRIM options ----

struct AddTrimArgs {
  StreamTrim trim;
  size_t trim_arg_idx = 0;  // the threshold's position (the "~" is just before it)
  bool nomkstream = false;
  bool id_given = false;
  bool seq_given = true;
  StreamID id;
};

// streamParseAddOrTrimArgsOrReply: returns the ID's position (XADD) or the end, -1 on error.
long ParseAddOrTrim(CommandContext& ctx, AddTrimArgs* a, bool xadd) {
  bool limit_given = false;
  int64_t limit = 0;
  size_t i = 2;
  for (; i < ctx.argc(); ++i) {
    size_t more = ctx.argc() - 1 - i;
    std::string_view o = ctx.argv[i];
    if (xadd && o == "*") break;
    bool maxlen = EqualsIgnoreCase(o, "maxlen"), minid = EqualsIgnoreCase(o, "minid");
    if ((maxlen || minid) && more > 0) {
      if (a->trim.strategy != StreamTrim::Strategy::kNone) {
        ctx.reply.Error(
            "ERR syntax error, MAXLEN and MINID options at the same time are not compatible");
        return -1;
      }
      a->trim.approx = false;
      std::string_view next = ctx.argv[i + 1];
      if (more >= 2 && next == "~") {
        a->trim.approx = true;
        ++i;
      } else if (more >= 2 && next == "=") {
        ++i;
      }
      if (maxlen) {
        auto v = ParseInt64(ctx.argv[i + 1]);
        if (!v) {
          ctx.reply.Error(err::kNotInteger);
          return -1;
        }
        if (*v < 0) {
          ctx.reply.Error("ERR The MAXLEN argument must be >= 0.");
          return -1;
        }
        a->trim.maxlen = static_cast<uint64_t>(*v);
        a->trim.strategy = StreamTrim::Strategy::kMaxLen;
      } else {
        if (!ParseId(&ctx, ctx.argv[i + 1], &a->trim.minid, 0, true)) return -1;
        a->trim.strategy = StreamTrim::Strategy::kMinId;
      }
      ++i;
      a->trim_arg_idx = i;
    } else if (EqualsIgnoreCase(o, "limit") && more > 0) {
      auto v = ParseInt64(ctx.argv[i + 1]);
      if (!v) {
        ctx.reply.Error(err::kNotInteger);
        return -1;
      }
      if (*v < 0) {
        ctx.reply.Error("ERR The LIMIT argument must be >= 0.");
        return -1;
      }
      limit = *v;
      limit_given = true;
      ++i;
    } else if (xadd && EqualsIgnoreCase(o, "nomkstream")) {
      a->nomkstream = true;
    } else if (xadd) {
      if (!ParseId(&ctx, o, &a->id, 0, true, &a->seq_given)) return -1;
      a->id_given = true;
      break;
    } else {
      ctx.Syntax();
      return -1;
    }
  }
  if (limit_given && a->trim.strategy == StreamTrim::Strategy::kNone) {
    ctx.reply.Error(
        "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy");
    return -1;
  }
  if (!xadd && a->trim.strategy == StreamTrim::Strategy::kNone) {
    ctx.reply.Error("ERR syntax error, XTRIM must be called with a trimming strategy");
    return -1;
  }
  if (ctx.client.Has(kClientMaster | kClientFake)) {
    // Replicated or loaded: the threshold was rewritten to an exact one.
    a->trim.limit = 0;
  } else if (limit_given) {
    if (!a->trim.approx) {
      ctx.reply.Error("ERR syntax error, LIMIT cannot be used without the special ~ option");
      return -1;
    }
    a->trim.limit = limit;
  } else if (a->trim.approx) {
    a->trim.limit = 100 * NodeMaxEntries(ctx);
    if (a->trim.limit <= 0) a->trim.limit = 10000;
  }
  return static_cast<long>(i);
}

// After an approximate trim, replicas must trim exactly as far: "~" becomes "=" and the
// threshold what the stream now holds (its length, or its first ID).
void RewriteApproxTrim(std::vector<std::string>* argv, const AddTrimArgs& a, const Stream& s) {
  (*argv)[a.trim_arg_idx - 1] = "=";
  if (a.trim.strategy == StreamTrim::Strategy::kMaxLen) {
    (*argv)[a.trim_arg_idx] = Uint64ToString(s.length);
  } else {
    (*argv)[a.trim_arg_idx] = s.first_id.ToString();
  }
}

void XAdd(CommandContext& ctx) {
  AddTrimArgs a;
  long idpos = ParseAddOrTrim(ctx, &a, true);
  if (idpos < 0) return;
  size_t field_pos = static_cast<size_t>(idpos) + 1;
  if (ctx.argc() < field_pos + 2 || (ctx.argc() - field_pos) % 2 == 1) {
    ctx.reply.Error(err::WrongArity(ctx.cmd.fullname));
    return;
  }
  if (a.id_given && a.seq_given && a.id == StreamID{}) {
    ctx.reply.Error("ERR The ID specified in XADD must be greater than 0-0");
    return;
  }
  std::string_view key = ctx.argv[1];
  bool wrong;
  KeyValue* kv = LookupStream(ctx, key, true, &wrong);
  if (wrong) return;
  if (kv == nullptr) {
    if (a.nomkstream) {
      ctx.reply.Null();
      return;
    }
    kv = streamv::New(key);
    ctx.ks().InitAccess(kv, ctx.now_ms);
    ctx.AddKey(kv);
  }
  Stream* s = streamv::S(kv);
  if (s->last_id == StreamID::Max()) {
    ctx.reply.Error("ERR The stream has exhausted the last possible ID, unable to add more items");
    return;
  }
  StreamID id;
  if (!a.id_given) {
    auto now = static_cast<uint64_t>(ctx.now_ms);
    if (now > s->last_id.ms) {
      id = StreamID{now, 0};
    } else {
      id = s->last_id;
      id.Incr();
    }
  } else if (a.seq_given) {
    id = a.id;
  } else if (a.id.ms == s->last_id.ms) {
    if (s->last_id.seq == UINT64_MAX) {
      ctx.reply.Error("ERR The ID specified in XADD is equal or smaller than the target stream "
                      "top item");
      return;
    }
    id = s->last_id;
    ++id.seq;
  } else {
    id = a.id;
  }
  if (id <= s->last_id) {
    ctx.reply.Error("ERR The ID specified in XADD is equal or smaller than the target stream "
                    "top item");
    return;
  }
  s->Append(id, ctx.argv.subspan(field_pos), NodeMaxBytes(ctx), NodeMaxEntries(ctx));
  ReplyId(ctx, id);
  ctx.Modified(key);
  ctx.Notify(kNotifyStream, "xadd", key);
  ctx.Dirty();
  std::vector<std::string> prop = ArgvCopy(ctx);
  if (a.trim.strategy != StreamTrim::Strategy::kNone) {
    if (s->Trim(a.trim) > 0) ctx.Notify(kNotifyStream, "xtrim", key);
    if (a.trim.approx) RewriteApproxTrim(&prop, a, *s);
  }
  // Replicas get the ID that was generated.
  if (!a.id_given || !a.seq_given) prop[static_cast<size_t>(idpos)] = id.ToString();
  ctx.PropagateAs(std::move(prop));
}

void XTrim(CommandContext& ctx) {
  AddTrimArgs a;
  if (ParseAddOrTrim(ctx, &a, false) < 0) return;
  std::string_view key = ctx.argv[1];
  bool wrong;
  KeyValue* kv = LookupStream(ctx, key, true, &wrong);
  if (wrong) return;
  if (kv == nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  Stream* s = streamv::S(kv);
  int64_t deleted = s->Trim(a.trim);
  if (deleted > 0) {
    ctx.Notify(kNotifyStream, "xtrim", key);
    ctx.Modified(key);
    ctx.Dirty(static_cast<uint64_t>(deleted));
    std::vector<std::string> prop = ArgvCopy(ctx);
    if (a.trim.approx) RewriteApproxTrim(&prop, a, *s);
    ctx.PropagateAs(std::move(prop));
  }
  ctx.reply.Integer(deleted);
}

// ---- reads ----

void XRangeGeneric(CommandContext& ctx, bool rev) {
  std::string_view start_arg = rev ? ctx.argv[3] : ctx.argv[2];
  std::string_view end_arg = rev ? ctx.argv[2] : ctx.argv[3];
  StreamID start, end;
  bool startex, endex;
  if (!ParseIntervalId(ctx, start_arg, &start, &startex, 0)) return;
  if (startex && !start.Incr()) {
    ctx.reply.Error("ERR invalid start ID for the interval");
    return;
  }
  if (!ParseIntervalId(ctx, end_arg, &end, &endex, UINT64_MAX)) return;
  if (endex && !end.Decr()) {
    ctx.reply.Error("ERR invalid end ID for the interval");
    return;
  }
  int64_t count = -1;
  for (size_t j = 4; j < ctx.argc(); ++j) {
    if (EqualsIgnoreCase(ctx.argv[j], "count") && j + 1 < ctx.argc()) {
      auto c = ParseInt64(ctx.argv[++j]);
      if (!c) {
        ctx.reply.Error(err::kNotInteger);
        return;
      }
      count = *c < 0 ? 0 : *c;
    } else {
      ctx.Syntax();
      return;
    }
  }
  bool wrong;
  KeyValue* kv = LookupStream(ctx, ctx.argv[1], false, &wrong);
  if (wrong) return;
  if (kv == nullptr) {
    ctx.reply.EmptyArray();
    return;
  }
  if (count == 0) {
    ctx.reply.NullArray();
    return;
  }
  size_t n = 0;
  void* len = ctx.reply.DeferLen();
  streamv::S(kv)->Range(start, end, rev, [&](const StreamEntry& e) {
    ReplyEntry(ctx, e);
    ++n;
    return count < 0 || static_cast<int64_t>(n) < count;
  });
  ctx.reply.SetDeferredLen(len, resp::ReplyBuilder::Agg::kArray, n);
}

void XRange(CommandContext& ctx) { XRangeGeneric(ctx, false); }
void XRevRange(CommandContext& ctx) { XRangeGeneric(ctx, true); }

void XLen(CommandContext& ctx) {
  bool wrong;
  KeyValue* kv = LookupStream(ctx, ctx.argv[1], false, &wrong);
  if (wrong) return;
  ctx.reply.Integer(kv == nullptr ? 0 : static_cast<int64_t>(streamv::S(kv)->length));
}

void XDel(CommandContext& ctx) {
  std::string_view key = ctx.argv[1];
  bool wrong;
  KeyValue* kv = LookupStream(ctx, key, true, &wrong);
  if (wrong) return;
  if (kv == nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  std::vector<StreamID> ids(ctx.argc() - 2);
  for (size_t j = 2; j < ctx.argc(); ++j) {
    if (!ParseId(&ctx, ctx.argv[j], &ids[j - 2], 0, true)) return;  // all or nothing
  }
  Stream* s = streamv::S(kv);
  int64_t deleted = 0;
  for (StreamID id : ids) {
    if (!s->Delete(id)) continue;
    if (id > s->max_deleted_id) s->max_deleted_id = id;
    ++deleted;
  }
  if (deleted > 0) {
    ctx.Modified(key);
    ctx.Notify(kNotifyStream, "xdel", key);
    ctx.Dirty(static_cast<uint64_t>(deleted));
  }
  ctx.reply.Integer(deleted);
}

// ---- consumer groups: shared pieces ----

inline const StreamNack* NackOf(const StreamNack& n) { return &n; }
inline const StreamNack* NackOf(const StreamNack* n) { return n; }

StreamNack* FindNack(StreamGroup* g, StreamID id) {
  auto it = g->pel.find(id);
  return it == g->pel.end() ? nullptr : &it->second;
}

void RemoveNack(StreamGroup* g, StreamID id) {
  auto it = g->pel.find(id);
  if (it == g->pel.end()) return;
  if (it->second.consumer != nullptr) it->second.consumer->pel.erase(id);
  g->pel.erase(it);
}

// XCLAIM <key> <group> <consumer> 0 <id> TIME <ms> RETRYCOUNT <n> FORCE JUSTID LASTID <id>:
// how a delivery or claim reaches replicas, idempotently.
void PropagateClaim(CommandContext& ctx, std::string_view key, std::string_view group,
                    const StreamGroup& g, StreamID id, const StreamNack& nack) {
  ctx.AlsoPropagate({"XCLAIM", std::string(key), std::string(group), nack.consumer->name, "0",
                     id.ToString(), "TIME", Int64ToString(nack.delivery_time), "RETRYCOUNT",
                     Uint64ToString(nack.delivery_count), "FORCE", "JUSTID", "LASTID",
                     g.last_id.ToString()});
}

void PropagateGroupId(CommandContext& ctx, std::string_view key, std::string_view group,
                      const StreamGroup& g) {
  ctx.AlsoPropagate({"XGROUP", "SETID", std::string(key), std::string(group),
                     g.last_id.ToString(), "ENTRIESREAD", Int64ToString(g.entries_read)});
}

StreamConsumer* LookupConsumer(CommandContext& ctx, StreamGroup* g, std::string_view name,
                               bool refresh = true) {
  StreamConsumer* c = Stream::FindConsumer(g, name);
  if (c != nullptr && refresh) c->seen_time = ctx.now_ms;
  return c;
}

StreamConsumer* CreateConsumer(CommandContext& ctx, StreamGroup* g, std::string_view name,
                               std::string_view key) {
  StreamConsumer* c = Stream::CreateConsumer(g, name, ctx.now_ms);
  if (c != nullptr) {
    ctx.Dirty();
    ctx.Notify(kNotifyStream, "xgroup-createconsumer", key);
  }
  return c;
}

// Serves new entries after `start` to a group consumer (XREADGROUP with ">"): each goes to the
// consumer's PEL (unless noack) and the group's last ID moves on.
size_t ServeGroup(CommandContext& ctx, Stream& s, std::string_view key, std::string_view group,
                  StreamGroup* g, StreamConsumer* consumer, StreamID start, int64_t count,
                  bool noack) {
  size_t n = 0;
  bool propagate_last_id = false;
  void* len = ctx.reply.DeferLen();
  s.Range(start, StreamID::Max(), false, [&](const StreamEntry& e) {
    if (e.id > g->last_id) {
      if (g->entries_read != -1 && !s.RangeHasTombstones(e.id, StreamID::Max())) {
        ++g->entries_read;
      } else if (s.entries_added != 0) {
        g->entries_read = s.EstimateReadCounter(e.id);
      }
      g->last_id = e.id;
      propagate_last_id = true;
    }
    ReplyEntry(ctx, e);
    if (!noack) {
      auto [it, inserted] = g->pel.try_emplace(e.id);
      StreamNack& nack = it->second;
      if (!inserted && nack.consumer != nullptr) nack.consumer->pel.erase(e.id);
      nack.consumer = consumer;
      nack.delivery_time = ctx.now_ms;
      nack.delivery_count = 1;
      consumer->pel[e.id] = &nack;
      PropagateClaim(ctx, key, group, *g, e.id, nack);
    }
    ++n;
    return count == 0 || static_cast<int64_t>(n) < count;
  });
  ctx.reply.SetDeferredLen(len, resp::ReplyBuilder::Agg::kArray, n);
  if (propagate_last_id) PropagateGroupId(ctx, key, group, *g);
  return n;
}

// Serves a consumer's own pending entries after `start` (XREADGROUP with an ID): entries
// deleted since delivery come back as [id, nil].
void ServeHistory(CommandContext& ctx, const Stream& s, StreamConsumer* consumer,
                  StreamID start, int64_t count) {
  size_t n = 0;
  void* len = ctx.reply.DeferLen();
  for (auto it = consumer->pel.lower_bound(start);
       it != consumer->pel.end() && (count == 0 || static_cast<int64_t>(n) < count); ++it) {
    if (!ReplyOneEntry(ctx, s, it->first)) {
      ctx.reply.ArrayHeader(2);
      ReplyId(ctx, it->first);
      ctx.reply.NullArray();
    } else {
      it->second->delivery_time = ctx.now_ms;
      ++it->second->delivery_count;
    }
    ++n;
  }
  ctx.reply.SetDeferredLen(len, resp::ReplyBuilder::Agg::kArray, n);
}

// ---- XREAD / XREADGROUP ----

// Entries from start on, at most count (0: all).
void ServeRange(CommandContext& ctx, const Stream& s, StreamID start, int64_t count) {
  size_t n = 0;
  void* len = ctx.reply.DeferLen();
  s.Range(start, StreamID::Max(), false, [&](const StreamEntry& e) {
    ReplyEntry(ctx, e);
    ++n;
    return count == 0 || static_cast<int64_t>(n) < count;
  });
  ctx.reply.SetDeferredLen(len, resp::ReplyBuilder::Agg::kArray, n);
}

void XReadGeneric(CommandContext& ctx, bool group_read) {
  int64_t deadline = -1;  // -1: no BLOCK
  int64_t count = 0;
  size_t streams_arg = 0, nstreams = 0;
  bool noack = false;
  std::string_view group_name, consumer_name;
  bool has_group = false;
  for (size_t i = 1; i < ctx.argc(); ++i) {
    size_t more = ctx.argc() - i - 1;
    std::string_view o = ctx.argv[i];
    if (EqualsIgnoreCase(o, "block") && more > 0) {
      if (!ParseBlockTimeoutMs(ctx, ctx.argv[++i], &deadline)) return;
    } else if (EqualsIgnoreCase(o, "count") && more > 0) {
      auto c = ParseInt64(ctx.argv[++i]);
      if (!c) {
        ctx.reply.Error(err::kNotInteger);
        return;
      }
      count = *c < 0 ? 0 : *c;
    } else if (EqualsIgnoreCase(o, "streams") && more > 0) {
      streams_arg = i + 1;
      size_t rest = ctx.argc() - streams_arg;
      if (rest % 2 != 0) {
        ctx.reply.Error(fmt::format(
            "ERR Unbalanced {} list of streams: for each stream key an ID or '{}' must be "
            "specified.",
            group_read ? "XREADGROUP" : "XREAD", group_read ? '>' : '$'));
        return;
      }
      nstreams = rest / 2;
      break;
    } else if (EqualsIgnoreCase(o, "group") && more >= 2) {
      if (!group_read) {
        ctx.reply.Error(
            "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.");
        return;
      }
      group_name = ctx.argv[i + 1];
      consumer_name = ctx.argv[i + 2];
      has_group = true;
      i += 2;
    } else if (EqualsIgnoreCase(o, "noack")) {
      if (!group_read) {
        ctx.reply.Error(
            "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.");
        return;
      }
      noack = true;
    } else {
      ctx.Syntax();
      return;
    }
  }
  if (streams_arg == 0) {
    ctx.Syntax();
    return;
  }
  if (group_read && !has_group) {
    ctx.reply.Error("ERR Missing GROUP option for XREADGROUP");
    return;
  }
  if (group_read) ctx.PreventPropagation();  // it travels as XCLAIM / XGROUP SETID
  std::vector<StreamID> ids(nstreams);
  std::vector<StreamGroup*> groups(nstreams, nullptr);
  std::vector<bool> newest(nstreams, false);  // XREADGROUP ">"
  std::vector<std::string> resolved;          // XREAD with "$" resolved, for blocking
  bool has_dollar = false;
  for (size_t k = 0; k < nstreams; ++k) {
    std::string_view key = ctx.argv[streams_arg + k];
    std::string_view arg = ctx.argv[streams_arg + nstreams + k];
    bool wrong;
    KeyValue* kv = LookupStream(ctx, key, false, &wrong);
    if (wrong) return;
    if (group_read) {
      StreamGroup* g = kv == nullptr ? nullptr : streamv::S(kv)->FindGroup(group_name);
      if (g == nullptr) {
        ctx.reply.Error(fmt::format("NOGROUP No such key '{}' or consumer group '{}' in "
                                    "XREADGROUP with GROUP option",
                                    key, group_name));
        return;
      }
      groups[k] = g;
    }
    if (arg == "$") {
      if (group_read) {
        ctx.reply.Error(
            "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the "
            "history of this consumer by specifying a proper ID, or use the > ID to get new "
            "messages. The $ ID would just return an empty result set.");
        return;
      }
      ids[k] = kv == nullptr ? StreamID{} : streamv::S(kv)->last_id;
      has_dollar = true;
      continue;
    }
    if (arg == ">") {
      if (!group_read) {
        ctx.reply.Error("ERR The > ID can be specified only when calling XREADGROUP using the "
                        "GROUP <group> <consumer> option.");
        return;
      }
      newest[k] = true;
      ids[k] = StreamID::Max();
      continue;
    }
    if (!ParseId(&ctx, arg, &ids[k], 0, true)) return;
  }

  // Serve what can be served now.
  size_t served = 0;
  void* outer = nullptr;
  for (size_t k = 0; k < nstreams; ++k) {
    std::string_view key = ctx.argv[streams_arg + k];
    KeyValue* kv = ctx.LookupRead(key);
    if (kv == nullptr) continue;
    Stream* s = streamv::S(kv);
    StreamID gt = ids[k];
    bool serve = false, history = false;
    StreamConsumer* consumer = nullptr;
    if (group_read) {
      if (!newest[k]) {
        serve = history = true;
      } else if (s->length > 0) {
        StreamID maxid;
        s->EdgeId(false, &maxid);
        if (maxid > groups[k]->last_id) {
          serve = true;
          gt = groups[k]->last_id;
        }
      }
    } else if (s->length > 0) {
      StreamID maxid;
      s->EdgeId(false, &maxid);
      serve = maxid > gt;
    }
    if (!serve) continue;
    if (group_read) {
      // Redis 7.0 creates the consumer only when it is served.
      consumer = LookupConsumer(ctx, groups[k], consumer_name);
      if (consumer == nullptr) {
        consumer = CreateConsumer(ctx, groups[k], consumer_name, key);
        ctx.AlsoPropagate({"XGROUP", "CREATECONSUMER", std::string(key),
                           std::string(group_name), std::string(consumer_name)});
      }
    }
    if (++served == 1) outer = ctx.reply.DeferLen();
    StreamID start = gt;
    start.Incr();
    if (!ctx.reply.resp3()) ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk(key);
    if (history) {
      ServeHistory(ctx, *s, consumer, start, count);
    } else {
      if (group_read) {
        ServeGroup(ctx, *s, key, group_name, groups[k], consumer, start, count, noack);
      } else {
        ServeRange(ctx, *s, start, count);
      }
    }
    if (group_read) ctx.Dirty();
  }
  if (served > 0) {
    ctx.reply.SetDeferredLen(outer, ctx.reply.resp3() ? resp::ReplyBuilder::Agg::kMap
                                                      : resp::ReplyBuilder::Agg::kArray,
                             served);
    return;
  }
  if (deadline == -1 || !ctx.CanBlock()) {
    ctx.reply.NullArray();
    return;
  }
  auto keys = ctx.argv.subspan(streams_arg, nstreams);
  if (!has_dollar) {
    ctx.Block(keys, deadline, ObjType::kStream);
    return;
  }
  // Re-runs must wait for entries after the IDs "$" meant now, not when they run.
  std::vector<std::string> argv = ArgvCopy(ctx);
  for (size_t k = 0; k < nstreams; ++k) {
    if (argv[streams_arg + nstreams + k] == "$") argv[streams_arg + nstreams + k] = ids[k].ToString();
  }
  std::vector<std::string_view> views(argv.begin(), argv.end());
  ctx.Block(keys, deadline, ObjType::kStream, views);
}


void XRead(CommandContext& ctx) { XReadGeneric(ctx, false); }
void XReadGroup(CommandContext& ctx) { XReadGeneric(ctx, true); }

// ---- XGROUP ----

void XGroup(CommandContext& ctx) {
  std::string_view sub = ctx.argv[1];
  auto is = [&](std::string_view name) { return EqualsIgnoreCase(sub, name); };
  auto syntax = [&] {
    ctx.reply.Error(fmt::format(
        "ERR unknown subcommand or wrong number of arguments for '{}'. Try XGROUP HELP.", sub));
  };
  bool mkstream = false;
  int64_t entries_read = -1;
  if (is("create")) {
    for (size_t i = 5; i < ctx.argc();) {
      if (EqualsIgnoreCase(ctx.argv[i], "mkstream")) {
        mkstream = true;
        ++i;
      } else if (EqualsIgnoreCase(ctx.argv[i], "entriesread") && i + 1 < ctx.argc()) {
        auto v = ParseInt64(ctx.argv[i + 1]);
        if (!v) {
          ctx.reply.Error(err::kNotInteger);
          return;
        }
        if (*v < 0 && *v != -1) {
          ctx.reply.Error("ERR value for ENTRIESREAD must be positive or -1");
          return;
        }
        entries_read = *v;
        i += 2;
      } else {
        syntax();
        return;
      }
    }
  }
  std::string_view key = ctx.argv[2];
  std::string_view name = ctx.argv[3];
  bool wrong;
  KeyValue* kv = LookupStream(ctx, key, true, &wrong);
  if (wrong) return;
  Stream* s = kv == nullptr ? nullptr : streamv::S(kv);
  if (s == nullptr && !mkstream) {
    ctx.reply.Error("ERR The XGROUP subcommand requires the key to exist. Note that for CREATE "
                    "you may want to use the MKSTREAM option to create an empty stream "
                    "automatically.");
    return;
  }
  StreamGroup* g = s == nullptr ? nullptr : s->FindGroup(name);
  if (g == nullptr && (is("setid") || is("createconsumer") || is("delconsumer"))) {
    ctx.reply.Error(
        fmt::format("NOGROUP No such consumer group '{}' for key name '{}'", name, key));
    return;
  }
  if (is("create") && ctx.argc() >= 5 && ctx.argc() <= 8) {
    StreamID id;
    if (ctx.argv[4] == "$") {
      id = s == nullptr ? StreamID{} : s->last_id;
    } else if (!ParseId(&ctx, ctx.argv[4], &id, 0, true)) {
      return;
    }
    if (s == nullptr) {
      kv = streamv::New(key);
      ctx.ks().InitAccess(kv, ctx.now_ms);
      ctx.AddKey(kv);
      s = streamv::S(kv);
      ctx.Modified(key);
    }
    if (s->CreateGroup(name, id, entries_read) == nullptr) {
      ctx.reply.Error("BUSYGROUP Consumer Group name already exists");
      return;
    }
    ctx.reply.Ok();
    ctx.Dirty();
    ctx.Notify(kNotifyStream, "xgroup-create", key);
  } else if (is("setid") && (ctx.argc() == 5 || ctx.argc() == 7)) {
    StreamID id;
    if (ctx.argv[4] == "$") {
      id = s->last_id;
    } else if (!ParseId(&ctx, ctx.argv[4], &id, 0, false)) {
      return;
    }
    if (ctx.argc() == 7) {
      if (!EqualsIgnoreCase(ctx.argv[5], "entriesread")) {
        syntax();
        return;
      }
      auto v = ParseInt64(ctx.argv[6]);
      if (!v) {
        ctx.reply.Error(err::kNotInteger);
        return;
      }
      if (*v < 0 && *v != -1) {
        ctx.reply.Error("ERR value for ENTRIESREAD must be positive or -1");
        return;
      }
      entries_read = *v;
    }
    g->last_id = id;
    g->entries_read = entries_read;
    ctx.reply.Ok();
    ctx.Dirty();
    ctx.Notify(kNotifyStream, "xgroup-setid", key);
  } else if (is("destroy") && ctx.argc() == 4) {
    if (g == nullptr) {
      ctx.reply.Integer(0);
      return;
    }
    s->groups.erase(s->groups.find(name));
    ctx.reply.Integer(1);
    ctx.Dirty();
    ctx.Notify(kNotifyStream, "xgroup-destroy", key);
    ctx.Modified(key);  // readers blocked on the group get their error
  } else if (is("createconsumer") && ctx.argc() == 5) {
    ctx.reply.Integer(CreateConsumer(ctx, g, ctx.argv[4], key) != nullptr ? 1 : 0);
  } else if (is("delconsumer") && ctx.argc() == 5) {
    int64_t pending = 0;
    if (Stream::FindConsumer(g, ctx.argv[4]) != nullptr) {
      pending = static_cast<int64_t>(Stream::DeleteConsumer(g, ctx.argv[4]));
      ctx.Dirty();
      ctx.Notify(kNotifyStream, "xgroup-delconsumer", key);
    }
    ctx.reply.Integer(pending);
  } else {
    syntax();
  }
}

void XGroupHelp(CommandContext& ctx) {
  ReplyLines(ctx.reply, {
      "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CREATE <key> <groupname> <id|$> [option]",
      "    Create a new consumer group. Options are:",
      "    * MKSTREAM",
      "      Create the empty stream if it does not exist.",
      "    * ENTRIESREAD entries_read",
      "      Set the group's entries_read counter (internal use).",
      "CREATECONSUMER <key> <groupname> <consumer>",
      "    Create a new consumer in the specified group.",
      "DELCONSUMER <key> <groupname> <consumer>",
      "    Remove the specified consumer.",
      "DESTROY <key> <groupname>",
      "    Remove the specified group.",
      "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
      "    Set the current group ID and entries_read counter.",
      "HELP",
      "    Print this help.",
  });
}

// ---- XACK / XPENDING / XCLAIM / XAUTOCLAIM ----

// The stream at key and its group, or nullptr after replying WRONGTYPE / NOGROUP.
StreamGroup* GroupOrError(CommandContext& ctx, std::string_view key, std::string_view group,
                          Stream** s) {
  bool wrong;
  KeyValue* kv = LookupStream(ctx, key, false, &wrong);
  if (wrong) return nullptr;
  StreamGroup* g = kv == nullptr ? nullptr : streamv::S(kv)->FindGroup(group);
  if (g == nullptr) {
    ctx.reply.Error(
        fmt::format("NOGROUP No such key '{}' or consumer group '{}'", key, group));
    return nullptr;
  }
  *s = streamv::S(kv);
  return g;
}

// The consumer a claim goes to, created when new.
StreamConsumer* ClaimingConsumer(CommandContext& ctx, StreamGroup* g, std::string_view name,
                                 std::string_view key) {
  StreamConsumer* c = LookupConsumer(ctx, g, name);
  return c != nullptr ? c : CreateConsumer(ctx, g, name, key);
}

// Moves a pending entry to another consumer's PEL.
void GiveTo(StreamNack* nack, StreamID id, StreamConsumer* consumer) {
  if (nack->consumer == consumer) return;
  if (nack->consumer != nullptr) nack->consumer->pel.erase(id);
  consumer->pel[id] = nack;
  nack->consumer = consumer;
}

void XAck(CommandContext& ctx) {
  bool wrong;
  KeyValue* kv = LookupStream(ctx, ctx.argv[1], false, &wrong);
  if (wrong) return;
  StreamGroup* g = kv == nullptr ? nullptr : streamv::S(kv)->FindGroup(ctx.argv[2]);
  if (g == nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  std::vector<StreamID> ids(ctx.argc() - 3);
  for (size_t j = 3; j < ctx.argc(); ++j) {
    if (!ParseId(&ctx, ctx.argv[j], &ids[j - 3], 0, true)) return;  // all or nothing
  }
  int64_t acked = 0;
  for (StreamID id : ids) {
    if (FindNack(g, id) == nullptr) continue;
    RemoveNack(g, id);
    ++acked;
    ctx.Dirty();
  }
  ctx.reply.Integer(acked);
}

void XPending(CommandContext& ctx) {
  bool summary = ctx.argc() == 3;
  if (ctx.argc() != 3 && (ctx.argc() < 6 || ctx.argc() > 9)) {
    ctx.Syntax();
    return;
  }
  StreamID start, end;
  int64_t count = 0, minidle = 0;
  std::string_view consumer_name;
  bool has_consumer = false;
  if (ctx.argc() >= 6) {
    size_t at = 3;
    if (EqualsIgnoreCase(ctx.argv[3], "idle")) {
      auto v = ParseInt64(ctx.argv[4]);
      if (!v) {
        ctx.reply.Error(err::kNotInteger);
        return;
      }
      minidle = *v;
      if (ctx.argc() < 8) {
        ctx.Syntax();
        return;
      }
      at += 2;
    }
    auto c = ParseInt64(ctx.argv[at + 2]);
    if (!c) {
      ctx.reply.Error(err::kNotInteger);
      return;
    }
    count = *c < 0 ? 0 : *c;
    bool startex, endex;
    if (!ParseIntervalId(ctx, ctx.argv[at], &start, &startex, 0)) return;
    if (startex && !start.Incr()) {
      ctx.reply.Error("ERR invalid start ID for the interval");
      return;
    }
    if (!ParseIntervalId(ctx, ctx.argv[at + 1], &end, &endex, UINT64_MAX)) return;
    if (endex && !end.Decr()) {
      ctx.reply.Error("ERR invalid end ID for the interval");
      return;
    }
    if (at + 3 < ctx.argc()) {
      consumer_name = ctx.argv[at + 3];
      has_consumer = true;
    }
  }
  Stream* s;
  StreamGroup* g = GroupOrError(ctx, ctx.argv[1], ctx.argv[2], &s);
  if (g == nullptr) return;
  if (summary) {
    ctx.reply.ArrayHeader(4);
    ctx.reply.Integer(static_cast<int64_t>(g->pel.size()));
    if (g->pel.empty()) {
      ctx.reply.Null();
      ctx.reply.Null();
      ctx.reply.NullArray();
      return;
    }
    ReplyId(ctx, g->pel.begin()->first);
    ReplyId(ctx, g->pel.rbegin()->first);
    size_t n = 0;
    void* len = ctx.reply.DeferLen();
    for (const auto& [name, c] : g->consumers) {
      if (c->pel.empty()) continue;
      ctx.reply.ArrayHeader(2);
      ctx.reply.Bulk(name);
      ctx.reply.Bulk(Uint64ToString(c->pel.size()));
      ++n;
    }
    ctx.reply.SetDeferredLen(len, resp::ReplyBuilder::Agg::kArray, n);
    return;
  }
  auto emit = [&](const auto& pel) {
    size_t n = 0;
    void* len = ctx.reply.DeferLen();
    for (auto it = pel.lower_bound(start); count > 0 && it != pel.end() && it->first <= end;
         ++it) {
      const StreamNack& nack = *NackOf(it->second);
      if (minidle != 0 && ctx.now_ms - nack.delivery_time < minidle) continue;
      ++n;
      --count;
      ctx.reply.ArrayHeader(4);
      ReplyId(ctx, it->first);
      ctx.reply.Bulk(nack.consumer->name);
      ctx.reply.Integer(std::max<int64_t>(ctx.now_ms - nack.delivery_time, 0));
      ctx.reply.Integer(static_cast<int64_t>(nack.delivery_count));
    }
    ctx.reply.SetDeferredLen(len, resp::ReplyBuilder::Agg::kArray, n);
  };
  if (has_consumer) {
    StreamConsumer* c = LookupConsumer(ctx, g, consumer_name, false);
    if (c == nullptr) {
      ctx.reply.EmptyArray();
      return;
    }
    emit(c->pel);
  } else {
    emit(g->pel);
  }
}

void XClaim(CommandContext& ctx) {
  std::string_view key = ctx.argv[1], group = ctx.argv[2];
  Stream* s;
  StreamGroup* g = GroupOrError(ctx, key, group, &s);
  if (g == nullptr) return;
  auto minidle = ParseInt64(ctx.argv[4]);
  if (!minidle) {
    ctx.reply.Error("ERR Invalid min-idle-time argument for XCLAIM");
    return;
  }
  int64_t min_idle = std::max<int64_t>(*minidle, 0);
  size_t j = 5;
  for (; j < ctx.argc(); ++j) {
    StreamID id;
    if (!ParseId(nullptr, ctx.argv[j], &id, 0, true)) break;
  }
  size_t last_id_arg = j;  // IDs are argv[5, last_id_arg)
  int64_t now = ctx.now_ms;
  int64_t retrycount = -1, delivery_time = -1;
  bool force = false, justid = false;
  StreamID last_id;
  for (; j < ctx.argc(); ++j) {
    size_t more = ctx.argc() - 1 - j;
    std::string_view o = ctx.argv[j];
    auto number = [&](std::string_view what, int64_t* out) {
      auto v = ParseInt64(ctx.argv[++j]);
      if (!v) {
        ctx.reply.Error(fmt::format("ERR Invalid {} option argument for XCLAIM", what));
        return false;
      }
      *out = *v;
      return true;
    };
    if (EqualsIgnoreCase(o, "force")) {
      force = true;
    } else if (EqualsIgnoreCase(o, "justid")) {
      justid = true;
    } else if (EqualsIgnoreCase(o, "idle") && more > 0) {
      if (!number("IDLE", &delivery_time)) return;
      delivery_time = now - delivery_time;
    } else if (EqualsIgnoreCase(o, "time") && more > 0) {
      if (!number("TIME", &delivery_time)) return;
    } else if (EqualsIgnoreCase(o, "retrycount") && more > 0) {
      if (!number("RETRYCOUNT", &retrycount)) return;
    } else if (EqualsIgnoreCase(o, "lastid") && more > 0) {
      if (!ParseId(&ctx, ctx.argv[++j], &last_id, 0, true)) return;
    } else {
      ctx.reply.Error(fmt::format("ERR Unrecognized XCLAIM option '{}'", o));
      return;
    }
  }
  ctx.PreventPropagation();  // each claim travels as its own XCLAIM
  bool propagate_last_id = false;
  if (last_id > g->last_id) {
    g->last_id = last_id;
    propagate_last_id = true;
  }
  if (delivery_time == -1 || delivery_time < 0 || delivery_time > now) delivery_time = now;
  StreamConsumer* consumer = nullptr;
  size_t n = 0;
  void* len = ctx.reply.DeferLen();
  for (size_t a = 5; a < last_id_arg; ++a) {
    StreamID id;
    ParseId(nullptr, ctx.argv[a], &id, 0, true);
    StreamNack* nack = FindNack(g, id);
    if (!s->Exists(id)) {
      if (nack != nullptr) {
        // The entry is gone: drop its NACK (and tell replicas, through the XCLAIM).
        PropagateClaim(ctx, key, group, *g, id, *nack);
        propagate_last_id = false;
        ctx.Dirty();
        RemoveNack(g, id);
      }
      continue;
    }
    if (force && nack == nullptr) {
      nack = &g->pel[id];
      nack->delivery_time = now;
      nack->delivery_count = 1;
      nack->consumer = nullptr;
    }
    if (nack == nullptr) continue;
    if (nack->consumer != nullptr && min_idle != 0 && now - nack->delivery_time < min_idle) {
      continue;
    }
    if (consumer == nullptr) consumer = ClaimingConsumer(ctx, g, ctx.argv[3], key);
    nack->delivery_time = delivery_time;
    if (retrycount >= 0) {
      nack->delivery_count = static_cast<uint64_t>(retrycount);
    } else if (!justid) {
      ++nack->delivery_count;
    }
    GiveTo(nack, id, consumer);
    if (justid) {
      ReplyId(ctx, id);
    } else {
      ReplyOneEntry(ctx, *s, id);
    }
    ++n;
    PropagateClaim(ctx, key, group, *g, id, *nack);
    propagate_last_id = false;
    ctx.Dirty();
  }
  if (propagate_last_id) {
    PropagateGroupId(ctx, key, group, *g);
    ctx.Dirty();
  }
  ctx.reply.SetDeferredLen(len, resp::ReplyBuilder::Agg::kArray, n);
}

void XAutoClaim(CommandContext& ctx) {
  std::string_view key = ctx.argv[1], group = ctx.argv[2];
  auto minidle = ParseInt64(ctx.argv[4]);
  if (!minidle) {
    ctx.reply.Error("ERR Invalid min-idle-time argument for XAUTOCLAIM");
    return;
  }
  int64_t min_idle = std::max<int64_t>(*minidle, 0);
  StreamID start;
  bool startex;
  if (!ParseIntervalId(ctx, ctx.argv[5], &start, &startex, 0)) return;
  if (startex && !start.Incr()) {
    ctx.reply.Error("ERR invalid start ID for the interval");
    return;
  }
  int64_t count = 100;
  bool justid = false;
  const int64_t kAttemptsFactor = 10;
  for (size_t j = 6; j < ctx.argc(); ++j) {
    if (EqualsIgnoreCase(ctx.argv[j], "count") && j + 1 < ctx.argc()) {
      auto v = ParseInt64(ctx.argv[++j]);
      if (!v || *v < 1 || *v > INT64_MAX / 16) {
        ctx.reply.Error("ERR COUNT must be > 0");
        return;
      }
      count = *v;
    } else if (EqualsIgnoreCase(ctx.argv[j], "justid")) {
      justid = true;
    } else {
      ctx.Syntax();
      return;
    }
  }
  Stream* s;
  StreamGroup* g = GroupOrError(ctx, key, group, &s);
  if (g == nullptr) return;
  ctx.PreventPropagation();
  int64_t attempts = count * kAttemptsFactor;
  int64_t now = ctx.now_ms;
  StreamConsumer* consumer = nullptr;
  std::vector<StreamID> deleted;
  ctx.reply.ArrayHeader(3);
  // The cursor comes first in the reply but is known last: build the claimed part aside.
  std::vector<StreamID> claimed;
  // Walk the PEL as Redis's rax iterator does: "next" after a deletion is the next key.
  auto it = g->pel.lower_bound(start);
  bool first = true;
  auto advance = [&]() {
    if (first) {
      first = false;
    } else if (it != g->pel.end()) {
      ++it;
    }
    return it != g->pel.end();
  };
  while (attempts-- > 0 && count > 0 && advance()) {
    StreamID id = it->first;
    StreamNack* nack = &it->second;
    if (!s->Exists(id)) {
      PropagateClaim(ctx, key, group, *g, id, *nack);
      ctx.Dirty();
      if (nack->consumer != nullptr) nack->consumer->pel.erase(id);
      it = g->pel.erase(it);
      first = true;  // the next "next" is the entry now at it
      deleted.push_back(id);
      --count;
      continue;
    }
    if (min_idle != 0 && now - nack->delivery_time < min_idle) continue;
    if (consumer == nullptr) consumer = ClaimingConsumer(ctx, g, ctx.argv[3], key);
    nack->delivery_time = now;
    if (!justid) ++nack->delivery_count;
    GiveTo(nack, id, consumer);
    claimed.push_back(id);
    --count;
    PropagateClaim(ctx, key, group, *g, id, *nack);
    ctx.Dirty();
  }
  // The cursor: the entry after the last one looked at (0-0 at the end).
  advance();
  ReplyId(ctx, it == g->pel.end() ? StreamID{} : it->first);
  ctx.reply.ArrayHeader(claimed.size());
  for (StreamID id : claimed) {
    if (justid) {
      ReplyId(ctx, id);
    } else {
      ReplyOneEntry(ctx, *s, id);
    }
  }
  ctx.reply.ArrayHeader(deleted.size());
  for (StreamID id : deleted) ReplyId(ctx, id);
}

// ---- XINFO / XSETID ----

void ReplyLag(CommandContext& ctx, const Stream& s, const StreamGroup& g) {
  auto lag = s.Lag(g);
  if (lag) {
    ctx.reply.Integer(*lag);
  } else {
    ctx.reply.Null();
  }
}

void ReplyEntriesRead(CommandContext& ctx, const StreamGroup& g) {
  if (g.entries_read != -1) {
    ctx.reply.Integer(g.entries_read);
  } else {
    ctx.reply.Null();
  }
}

KeyValue* XInfoStream(CommandContext& ctx) {
  bool wrong;
  KeyValue* kv = LookupStream(ctx, ctx.argv[2], false, &wrong);
  if (wrong) return nullptr;
  if (kv == nullptr) ctx.reply.Error(err::kNoSuchKey);
  return kv;
}

void XInfoStreamCmd(CommandContext& ctx) {
  bool full = false;
  int64_t count = 10;
  if (ctx.argc() > 3) {
    if (!EqualsIgnoreCase(ctx.argv[3], "full")) {
      ctx.Syntax();
      return;
    }
    full = true;
    if (ctx.argc() > 4) {
      if (ctx.argc() != 6 || !EqualsIgnoreCase(ctx.argv[4], "count")) {
        ctx.Syntax();
        return;
      }
      auto c = ParseInt64(ctx.argv[5]);
      if (!c) {
        ctx.reply.Error(err::kNotInteger);
        return;
      }
      count = *c < 0 ? 0 : *c;
    }
  }
  KeyValue* kv = XInfoStream(ctx);
  if (kv == nullptr) return;
  const Stream& s = *streamv::S(kv);
  ctx.reply.MapHeader(full ? 9 : 10);
  ctx.reply.Bulk("length");
  ctx.reply.Integer(static_cast<int64_t>(s.length));
  // Redis reports its radix tree here; these are the node index's equivalents.
  ctx.reply.Bulk("radix-tree-keys");
  ctx.reply.Integer(static_cast<int64_t>(s.node_count()));
  ctx.reply.Bulk("radix-tree-nodes");
  ctx.reply.Integer(static_cast<int64_t>(s.node_count() + 1));
  ctx.reply.Bulk("last-generated-id");
  ReplyId(ctx, s.last_id);
  ctx.reply.Bulk("max-deleted-entry-id");
  ReplyId(ctx, s.max_deleted_id);
  ctx.reply.Bulk("entries-added");
  ctx.reply.Integer(static_cast<int64_t>(s.entries_added));
  ctx.reply.Bulk("recorded-first-entry-id");
  ReplyId(ctx, s.first_id);
  if (!full) {
    ctx.reply.Bulk("groups");
    ctx.reply.Integer(static_cast<int64_t>(s.groups.size()));
    for (bool last : {false, true}) {
      ctx.reply.Bulk(last ? "last-entry" : "first-entry");
      bool found = false;
      s.Range(StreamID::Min(), StreamID::Max(), last, [&](const StreamEntry& e) {
        ReplyEntry(ctx, e);
        found = true;
        return false;
      });
      if (!found) ctx.reply.Null();
    }
    return;
  }
  ctx.reply.Bulk("entries");
  size_t n = 0;
  void* len = ctx.reply.DeferLen();
  s.Range(StreamID::Min(), StreamID::Max(), false, [&](const StreamEntry& e) {
    ReplyEntry(ctx, e);
    ++n;
    return count == 0 || static_cast<int64_t>(n) < count;
  });
  ctx.reply.SetDeferredLen(len, resp::ReplyBuilder::Agg::kArray, n);
  ctx.reply.Bulk("groups");
  ctx.reply.ArrayHeader(s.groups.size());
  for (const auto& [name, g] : s.groups) {
    ctx.reply.MapHeader(7);
    ctx.reply.Bulk("name");
    ctx.reply.Bulk(name);
    ctx.reply.Bulk("last-delivered-id");
    ReplyId(ctx, g->last_id);
    ctx.reply.Bulk("entries-read");
    ReplyEntriesRead(ctx, *g);
    ctx.reply.Bulk("lag");
    ReplyLag(ctx, s, *g);
    ctx.reply.Bulk("pel-count");
    ctx.reply.Integer(static_cast<int64_t>(g->pel.size()));
    ctx.reply.Bulk("pending");
    size_t shown = 0;
    void* plen = ctx.reply.DeferLen();
    for (auto it = g->pel.begin(); it != g->pel.end() && (count == 0 || static_cast<int64_t>(shown) < count); ++it) {
      ctx.reply.ArrayHeader(4);
      ReplyId(ctx, it->first);
      ctx.reply.Bulk(it->second.consumer->name);
      ctx.reply.Integer(it->second.delivery_time);
      ctx.reply.Integer(static_cast<int64_t>(it->second.delivery_count));
      ++shown;
    }
    ctx.reply.SetDeferredLen(plen, resp::ReplyBuilder::Agg::kArray, shown);
    ctx.reply.Bulk("consumers");
    ctx.reply.ArrayHeader(g->consumers.size());
    for (const auto& [cname, c] : g->consumers) {
      ctx.reply.MapHeader(4);
      ctx.reply.Bulk("name");
      ctx.reply.Bulk(cname);
      ctx.reply.Bulk("seen-time");
      ctx.reply.Integer(c->seen_time);
      ctx.reply.Bulk("pel-count");
      ctx.reply.Integer(static_cast<int64_t>(c->pel.size()));
      ctx.reply.Bulk("pending");
      size_t cshown = 0;
      void* clen = ctx.reply.DeferLen();
      for (auto it = c->pel.begin(); it != c->pel.end() && (count == 0 || static_cast<int64_t>(cshown) < count); ++it) {
        ctx.reply.ArrayHeader(3);
        ReplyId(ctx, it->first);
        ctx.reply.Integer(it->second->delivery_time);
        ctx.reply.Integer(static_cast<int64_t>(it->second->delivery_count));
        ++cshown;
      }
      ctx.reply.SetDeferredLen(clen, resp::ReplyBuilder::Agg::kArray, cshown);
    }
  }
}

void XInfoGroups(CommandContext& ctx) {
  KeyValue* kv = XInfoStream(ctx);
  if (kv == nullptr) return;
  const Stream& s = *streamv::S(kv);
  ctx.reply.ArrayHeader(s.groups.size());
  for (const auto& [name, g] : s.groups) {
    ctx.reply.MapHeader(6);
    ctx.reply.Bulk("name");
    ctx.reply.Bulk(name);
    ctx.reply.Bulk("consumers");
    ctx.reply.Integer(static_cast<int64_t>(g->consumers.size()));
    ctx.reply.Bulk("pending");
    ctx.reply.Integer(static_cast<int64_t>(g->pel.size()));
    ctx.reply.Bulk("last-delivered-id");
    ReplyId(ctx, g->last_id);
    ctx.reply.Bulk("entries-read");
    ReplyEntriesRead(ctx, *g);
    ctx.reply.Bulk("lag");
    ReplyLag(ctx, s, *g);
  }
}

void XInfoConsumers(CommandContext& ctx) {
  KeyValue* kv = XInfoStream(ctx);
  if (kv == nullptr) return;
  StreamGroup* g = streamv::S(kv)->FindGroup(ctx.argv[3]);
  if (g == nullptr) {
    ctx.reply.Error(fmt::format("NOGROUP No such consumer group '{}' for key name '{}'",
                                ctx.argv[3], ctx.argv[2]));
    return;
  }
  ctx.reply.ArrayHeader(g->consumers.size());
  for (const auto& [name, c] : g->consumers) {
    ctx.reply.MapHeader(3);
    ctx.reply.Bulk("name");
    ctx.reply.Bulk(name);
    ctx.reply.Bulk("pending");
    ctx.reply.Integer(static_cast<int64_t>(c->pel.size()));
    ctx.reply.Bulk("idle");
    ctx.reply.Integer(std::max<int64_t>(ctx.now_ms - c->seen_time, 0));
  }
}

void XInfoHelp(CommandContext& ctx) {
  ReplyLines(ctx.reply, {
      "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CONSUMERS <key> <groupname>",
      "    Show consumers of <groupname>.",
      "GROUPS <key>",
      "    Show the stream consumer groups.",
      "STREAM <key> [FULL [COUNT <count>]",
      "    Show information about the stream.",
      "HELP",
      "    Print this help.",
  });
}

void XSetId(CommandContext& ctx) {
  StreamID id, max_deleted;
  if (!ParseId(&ctx, ctx.argv[2], &id, 0, true)) return;
  int64_t entries_added = -1;
  for (size_t i = 3; i < ctx.argc(); i += 2) {
    bool more = i + 1 < ctx.argc();
    if (EqualsIgnoreCase(ctx.argv[i], "entriesadded") && more) {
      auto v = ParseInt64(ctx.argv[i + 1]);
      if (!v) {
        ctx.reply.Error(err::kNotInteger);
        return;
      }
      if (*v < 0) {
        ctx.reply.Error("ERR entries_added must be positive");
        return;
      }
      entries_added = *v;
    } else if (EqualsIgnoreCase(ctx.argv[i], "maxdeletedid") && more) {
      if (!ParseId(&ctx, ctx.argv[i + 1], &max_deleted, 0, true)) return;
      if (id < max_deleted) {
        ctx.reply.Error("ERR The ID specified in XSETID is smaller than the provided "
                        "max_deleted_entry_id");
        return;
      }
    } else {
      ctx.Syntax();
      return;
    }
  }
  std::string_view key = ctx.argv[1];
  bool wrong;
  KeyValue* kv = LookupStream(ctx, key, true, &wrong);
  if (wrong) return;
  if (kv == nullptr) {
    ctx.reply.Error(err::kNoSuchKey);
    return;
  }
  Stream* s = streamv::S(kv);
  if (s->length > 0) {
    StreamID maxid;
    s->EdgeId(false, &maxid);
    if (id < maxid) {
      ctx.reply.Error("ERR The ID specified in XSETID is smaller than the target stream top item");
      return;
    }
    if (entries_added != -1 && s->length > static_cast<uint64_t>(entries_added)) {
      ctx.reply.Error("ERR The entries_added specified in XSETID is smaller than the target "
                      "stream length");
      return;
    }
  }
  if (id < s->max_deleted_id) {
    ctx.reply.Error("ERR The ID specified in XSETID is smaller than current max_deleted_entry_id");
    return;
  }
  s->last_id = id;
  if (entries_added != -1) s->entries_added = static_cast<uint64_t>(entries_added);
  if (!(max_deleted == StreamID{})) s->max_deleted_id = max_deleted;
  ctx.reply.Ok();
  ctx.Modified(key);
  ctx.Notify(kNotifyStream, "xsetid", key);
  ctx.Dirty();
}

}  // namespace

// XREAD/XREADGROUP keys: after STREAMS, the first half of what is left (limit 2).
static KeySpec StreamsKeys(int startfrom, uint32_t flags) {
  KeySpec k = KeySpec::Keyword("STREAMS", startfrom, -1, 1, flags);
  k.limit = 2;
  return k;
}

void RegisterStreamCommands(CommandTable& t) {
  const uint64_t S = kAclStream;
  auto doc = [](std::string_view summary, std::string_view since, std::string_view complexity,
                std::string_view args) {
    return CommandDoc{summary, since, "stream", complexity, args};
  };
  constexpr uint32_t kRO = kKsRO | kKsAccess;
  KeySpec add_key = KeySpec::Range(1, 0, 1, kKsRW | kKsUpdate);
  add_key.notes = "UPDATE instead of INSERT because of the optional trimming feature";
  t.Add({.name = "xadd", .handler = XAdd, .arity = -5, .flags = kCmdWrite | kCmdDenyOom | kCmdFast,
         .acl = S, .keys = {add_key},
         .tips = "nondeterministic_output",
         .doc = doc("Appends a new message to a stream. Creates the key if it doesn't exist.",
                    "5.0.0", "O(1) when adding a new entry, O(N) when trimming where N being the "
                    "number of entries evicted.",
                    "key:key [NOMKSTREAM] [trim=strategy=MAXLEN|MINID [operator==|~] "
                    "threshold:string [LIMIT count:integer]] id-selector=*|id:string "
                    "data=(field:string value:string)...")});
  t.Add({.name = "xtrim", .handler = XTrim, .arity = -4, .flags = kCmdWrite, .acl = S,
         .keys = {KeySpec::Range(1, 0, 1, kKsRW | kKsDelete)}, .tips = "nondeterministic_output",
         .doc = doc("Deletes messages from the beginning of a stream.", "5.0.0",
                    "O(N), with N being the number of evicted entries. Constant times are very "
                    "small however, since entries are organized in macro nodes containing "
                    "multiple entries that can be released with a single deallocation.",
                    "key:key trim=strategy=MAXLEN|MINID [operator==|~] threshold:string "
                    "[LIMIT count:integer]")});
  auto range = [&](std::string_view name, CommandHandler h, std::string_view summary,
                   std::string_view args) {
    return CommandSpec{.name = name, .handler = h, .arity = -4, .flags = kCmdReadonly, .acl = S,
                       .keys = {KeySpec::Range(1, 0, 1, kRO)},
                       .doc = doc(summary, "5.0.0",
                                  "O(N) with N being the number of elements being returned. If "
                                  "N is constant (e.g. always asking for the first 10 elements "
                                  "with COUNT), you can consider it O(1).",
                                  args)};
  };
  t.Add(range("xrange", XRange, "Returns the messages from a stream within a range of IDs.",
              "key:key start:string end:string [COUNT count:integer]"));
  t.Add(range("xrevrange", XRevRange,
              "Returns the messages from a stream within a range of IDs in reverse order.",
              "key:key end:string start:string [COUNT count:integer]"));
  t.Add({.name = "xlen", .handler = XLen, .arity = 2, .flags = kCmdReadonly | kCmdFast, .acl = S,
         .keys = {KeySpec::Range(1, 0, 1, kKsRO)},
         .doc = doc("Return the number of messages in a stream.", "5.0.0", "O(1)", "key:key")});
  t.Add({.name = "xdel", .handler = XDel, .arity = -3, .flags = kCmdWrite | kCmdFast, .acl = S,
         .keys = {KeySpec::Range(1, 0, 1, kKsRW | kKsDelete)},
         .doc = doc("Returns the number of messages after removing them from a stream.",
                    "5.0.0", "O(1) for each single item to delete in the stream, regardless of "
                    "the stream size.",
                    "key:key id:string...")});
  t.Add({.name = "xread", .handler = XRead, .arity = -4, .flags = kCmdReadonly | kCmdBlocking,
         .acl = S | kAclBlocking,
         .keys = {StreamsKeys(1, kRO)},
         .doc = doc("Returns messages from multiple streams with IDs greater than the ones "
                    "requested. Blocks until a message is available otherwise.",
                    "5.0.0", "",
                    "[COUNT count:integer] [BLOCK milliseconds:integer] STREAMS key:key... "
                    "id:string...")});
  t.Add({.name = "xreadgroup", .handler = XReadGroup, .arity = -7,
         .flags = kCmdWrite | kCmdBlocking, .acl = S | kAclBlocking,
         .keys = {StreamsKeys(4, kRO)},
         .doc = doc("Returns new or historical messages from a stream for a consumer in a "
                    "group. Blocks until a message is available otherwise.",
                    "5.0.0", "For each stream mentioned: O(M) with M being the number of "
                    "elements returned. If M is constant (e.g. always asking for the first 10 "
                    "elements with COUNT), you can consider it O(1). On the other side when "
                    "XREADGROUP blocks, XADD will pay the O(N) time in order to serve the N "
                    "clients blocked on the stream getting new data.",
                    "GROUP group:string consumer:string [COUNT count:integer] [BLOCK "
                    "milliseconds:integer] [NOACK] STREAMS key:key... id:string...")});
  auto xsub = [&](std::string_view name, CommandHandler h, int arity, uint64_t flags,
                  std::vector<KeySpec> keys, std::string_view summary, std::string_view since,
                  std::string_view complexity, std::string_view args,
                  std::string_view tips = "") {
    return CommandSpec{.name = name, .handler = h, .arity = arity, .flags = flags, .acl = S,
                       .keys = std::move(keys), .tips = tips,
                       .doc = doc(summary, since, complexity, args)};
  };
  t.Add({.name = "xgroup", .arity = -2,
         .doc = doc("A container for consumer groups commands.", "5.0.0",
                    "Depends on subcommand.", ""),
         .subcommands = {
             xsub("create", XGroup, -5, kCmdWrite | kCmdDenyOom,
                  {KeySpec::Range(2, 0, 1, kKsRW | kKsInsert)},
                  "Creates a consumer group.", "5.0.0", "O(1)",
                  "key:key group:string id-selector=id:string|$ [MKSTREAM] [ENTRIESREAD "
                  "entries-read:integer]"),
             xsub("setid", XGroup, -5, kCmdWrite, {KeySpec::Range(2, 0, 1, kKsRW | kKsUpdate)},
                  "Sets the last-delivered ID of a consumer group.", "5.0.0", "O(1)",
                  "key:key group:string id-selector=id:string|$ [ENTRIESREAD "
                  "entries-read:integer]"),
             xsub("destroy", XGroup, 4, kCmdWrite, {KeySpec::Range(2, 0, 1, kKsRW | kKsDelete)},
                  "Destroys a consumer group.", "5.0.0",
                  "O(N) where N is the number of entries in the group's pending entries list "
                  "(PEL).",
                  "key:key group:string"),
             xsub("createconsumer", XGroup, 5, kCmdWrite | kCmdDenyOom,
                  {KeySpec::Range(2, 0, 1, kKsRW | kKsInsert)},
                  "Creates a consumer in a consumer group.", "6.2.0", "O(1)",
                  "key:key group:string consumer:string"),
             xsub("delconsumer", XGroup, 5, kCmdWrite, {KeySpec::Range(2, 0, 1, kKsRW | kKsDelete)},
                  "Deletes a consumer from a consumer group.", "5.0.0", "O(1)",
                  "key:key group:string consumer:string"),
             xsub("help", XGroupHelp, 2, kCmdLoading | kCmdStale, {},
                  "Returns helpful text about the different subcommands.", "5.0.0", "O(1)", ""),
         }});
  t.Add({.name = "xack", .handler = XAck, .arity = -4, .flags = kCmdWrite | kCmdFast, .acl = S,
         .keys = {KeySpec::Range(1, 0, 1, kKsRW | kKsUpdate)},
         .doc = doc("Returns the number of messages that were successfully acknowledged by the "
                    "consumer group member of a stream.",
                    "5.0.0", "O(1) for each message ID processed.",
                    "key:key group:string id:string...")});
  t.Add({.name = "xpending", .handler = XPending, .arity = -3, .flags = kCmdReadonly, .acl = S,
         .keys = {KeySpec::Range(1, 0, 1, kRO)}, .tips = "nondeterministic_output",
         .doc = doc("Returns the information and entries from a stream consumer group's "
                    "pending entries list.",
                    "5.0.0", "O(N) with N being the number of elements returned, so asking for "
                    "a small fixed number of entries per call is O(1). O(M), where M is the "
                    "total number of entries scanned when used with the IDLE filter. When the "
                    "command returns just the summary and the list of consumers is small, it "
                    "runs in O(1) time; otherwise, an additional O(N) time for iterating every "
                    "consumer.",
                    "key:key group:string [filters=[IDLE min-idle-time:integer] start:string "
                    "end:string count:integer [consumer:string]]")});
  t.Add({.name = "xclaim", .handler = XClaim, .arity = -6, .flags = kCmdWrite | kCmdFast,
         .acl = S, .keys = {KeySpec::Range(1, 0, 1, kKsRW | kKsUpdate)},
         .tips = "nondeterministic_output",
         .doc = doc("Changes, or acquires, ownership of a message in a consumer group, as if "
                    "the message was delivered a consumer group member.",
                    "5.0.0", "O(log N) with N being the number of messages in the PEL of the "
                    "consumer group.",
                    "key:key group:string consumer:string min-idle-time:string id:string... "
                    "[IDLE ms:integer] [TIME unix-time-milliseconds:unix-time] [RETRYCOUNT "
                    "count:integer] [FORCE] [JUSTID] [LASTID lastid:string]")});
  t.Add({.name = "xautoclaim", .handler = XAutoClaim, .arity = -6, .flags = kCmdWrite | kCmdFast,
         .acl = S, .keys = {KeySpec::Range(1, 0, 1, kKsRW | kKsDelete)},
         .tips = "nondeterministic_output",
         .doc = doc("Changes, or acquires, ownership of messages in a consumer group, as if "
                    "the messages were delivered to as consumer group member.",
                    "6.2.0", "O(1) if COUNT is small.",
                    "key:key group:string consumer:string min-idle-time:string start:string "
                    "[COUNT count:integer] [JUSTID]")});
  t.Add({.name = "xinfo", .arity = -2,
         .doc = doc("A container for stream introspection commands.", "5.0.0",
                    "Depends on subcommand.", ""),
         .subcommands = {
             xsub("stream", XInfoStreamCmd, -3, kCmdReadonly, {KeySpec::Range(2, 0, 1, kRO)},
                  "Returns information about a stream.", "5.0.0", "O(1)",
                  "key:key [full-block=FULL [COUNT count:integer]]"),
             xsub("groups", XInfoGroups, 3, kCmdReadonly, {KeySpec::Range(2, 0, 1, kRO)},
                  "Returns a list of the consumer groups of a stream.", "5.0.0", "O(1)",
                  "key:key"),
             xsub("consumers", XInfoConsumers, 4, kCmdReadonly, {KeySpec::Range(2, 0, 1, kRO)},
                  "Returns a list of the consumers in a consumer group.", "5.0.0", "O(1)",
                  "key:key group:string", "nondeterministic_output"),
             xsub("help", XInfoHelp, 2, kCmdLoading | kCmdStale, {},
                  "Returns helpful text about the different subcommands.", "5.0.0", "O(1)", ""),
         }});
  t.Add({.name = "xsetid", .handler = XSetId, .arity = -3, .flags = kCmdWrite | kCmdDenyOom | kCmdFast,
         .acl = S, .keys = {KeySpec::Range(1, 0, 1, kKsRW | kKsUpdate)},
         .doc = doc("An internal command for replicating stream values.", "5.0.0", "O(1)",
                    "key:key last-id:string [ENTRIESADDED entries-added:integer] "
                    "[MAXDELETEDID max-deleted-id:string]")});
}

}  // namespace tessera
