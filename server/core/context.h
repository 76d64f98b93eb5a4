// What a command handler works with: the call's arguments, the client, its database, the
// reply builder, the command's time snapshot, and the hooks for effects (dirty counter,
// modified keys, notifications, propagation). Also the typed argument parser.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/strutil.h"
#include "server/core/client.h"
#include "server/core/command.h"
#include "server/core/errors.h"
#include "server/core/server.h"
#include "server/keyspace/keyspace.h"

namespace tessera {

// Keyspace notification classes (notify-keyspace-events letters), used by handlers to say
// what they did; delivery arrives with pub/sub.
enum NotifyClass : uint32_t {
  kNotifyGeneric = 1 << 2,   // g
  kNotifyString = 1 << 3,    // $
  kNotifyList = 1 << 4,      // l
  kNotifySet = 1 << 5,       // s
  kNotifyHash = 1 << 6,      // h
  kNotifyZset = 1 << 7,      // z
  kNotifyExpired = 1 << 8,   // x
  kNotifyEvicted = 1 << 9,   // e
  kNotifyStream = 1 << 10,   // t
  kNotifyKeyMiss = 1 << 11,  // m
  kNotifyLoaded = 1 << 12,
  kNotifyModule = 1 << 13,   // d
  kNotifyNew = 1 << 14,      // n
};

class CommandContext {
 public:
  CommandContext(Server& s, Client& c, const Command& command,
                 std::span<const std::string_view> args, int64_t now)
      : server(s), client(c), cmd(command), argv(args), reply(c.reply), now_ms(now) {}

  Server& server;
  Client& client;
  const Command& cmd;
  std::span<const std::string_view> argv;
  resp::ReplyBuilder& reply;
  const int64_t now_ms;

  Db& db() { return *client.db; }
  Keyspace& ks() { return server.keyspace(); }
  size_t argc() const { return argv.size(); }

  KeyValue* LookupRead(std::string_view key, uint32_t flags = kLookupRead) {
    KeyValue* kv = server.keyspace().Lookup(*client.db, key, now_ms, flags);
    if (kv == nullptr && (flags & kLookupWrite) == 0) Notify(kNotifyKeyMiss, "keymiss", key);
    return kv;
  }
  KeyValue* LookupWrite(std::string_view key) {
    return server.keyspace().Lookup(*client.db, key, now_ms, kLookupWrite);
  }

  // Effects of write commands.
  void Dirty(uint64_t n = 1) { server.dirty += n; }
  // A write changed key: wakes clients blocked on it (and later WATCH and client tracking).
  void Modified(std::string_view key) { server.KeyModified(client.db_index, key); }
  void ModifiedIn(int db, std::string_view key) { server.KeyModified(db, key); }
  // Blocks the client on keys until deadline_ms (0: forever); the command runs again when one
  // of them changes and holds `type`. On timeout the client gets a null array.
  // rerun_argv: the command to run again instead of this one (XREAD with "$" resolved).
  void Block(std::span<const std::string_view> keys, int64_t deadline_ms, ObjType type,
             std::span<const std::string_view> rerun_argv = {}) {
    server.BlockClient(client, keys, rerun_argv.empty() ? argv : rerun_argv, deadline_ms,
                       static_cast<int>(type));
  }
  // Links a new key into the current db (or `in`) and emits the "new" event.
  void AddKey(KeyValue* kv, Db* in = nullptr) {
    Db& target = in != nullptr ? *in : *client.db;
    target.Add(kv);
    server.NotifyKeyspaceEvent(kNotifyNew, "new", kv->key(), target.id());
  }
  // Whether this command may block (not inside MULTI, EXEC or a script).
  bool CanBlock() const {
    return !client.Has(kClientMulti) && !server.in_exec() && !server.in_script();
  }
  // Emits a keyspace notification (if notify-keyspace-events enables its class).
  void Notify(uint32_t cls, std::string_view event, std::string_view key) {
    server.NotifyKeyspaceEvent(cls, event, key, client.db_index);
  }
  void NotifyIn(int db, uint32_t cls, std::string_view event, std::string_view key) {
    server.NotifyKeyspaceEvent(cls, event, key, db);
  }
  // Propagates argv rewritten (e.g. relative TTLs made absolute) instead of the call as sent.
  void PropagateAs(std::vector<std::string> args) {
    prevent_default_propagation = true;
    if (server.propagating()) server.Propagate(client.db_index, std::move(args));
  }
  // Propagates an extra command (e.g. a DEL for an expired key).
  void AlsoPropagate(std::vector<std::string> args) {
    if (server.propagating()) server.Propagate(client.db_index, std::move(args));
  }
  void PreventPropagation() { prevent_default_propagation = true; }
  bool prevent_default_propagation = false;

  // Common replies.
  void WrongType() { reply.Error(err::kWrongType); }
  void Syntax() { reply.Error(err::kSyntax); }
};

// Pulls typed arguments in order and records the first error. Typical use:
//   ArgParser p(ctx.argv, 2);
//   while (p.HasNext()) { if (p.Flag("NX")) ...; else if (p.Flag("EX")) ex = p.Next<int64_t>(); }
//   if (p.error()) return ctx.reply.Error(*p.error());
class ArgParser {
 public:
  ArgParser(std::span<const std::string_view> argv, size_t start) : argv_(argv), pos_(start) {}

  bool HasNext() const { return pos_ < argv_.size() && !error_; }
  size_t remaining() const { return pos_ < argv_.size() ? argv_.size() - pos_ : 0; }
  size_t pos() const { return pos_; }
  std::string_view Peek() const { return pos_ < argv_.size() ? argv_[pos_] : std::string_view(); }

  // Consumes the next argument if it equals `word` (case-insensitive).
  bool Flag(std::string_view word) {
    if (error_ || pos_ >= argv_.size() || !EqualsIgnoreCase(argv_[pos_], word)) return false;
    ++pos_;
    return true;
  }

  std::string_view Next() {
    if (error_) return {};
    if (pos_ >= argv_.size()) {
      error_ = err::kSyntax;
      return {};
    }
    return argv_[pos_++];
  }

  template <typename T>
  T Next();

  // Fails with `e` unless an error was already recorded.
  void Fail(std::string_view e) {
    if (!error_) error_ = std::string(e);
  }
  const std::optional<std::string>& error() const { return error_; }

 private:
  std::span<const std::string_view> argv_;
  size_t pos_;
  std::optional<std::string> error_;
};

template <>
inline int64_t ArgParser::Next<int64_t>() {
  std::string_view s = Next();
  if (error_) return 0;
  auto v = ParseInt64(s);
  if (!v) {
    Fail(err::kNotInteger);
    return 0;
  }
  return *v;
}

template <>
inline double ArgParser::Next<double>() {
  std::string_view s = Next();
  if (error_) return 0;
  auto v = ParseDouble(s);
  if (!v) {
    Fail(err::kNotFloat);
    return 0;
  }
  return *v;
}

template <>
inline std::string_view ArgParser::Next<std::string_view>() {
  return Next();
}

}  // namespace tessera
