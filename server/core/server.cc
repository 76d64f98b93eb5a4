#include "server/core/server.h"

#include <unistd.h>

#include <cstring>

#include <algorithm>

#include <fmt/core.h>

#include "common/hash.h"
#include "common/log.h"
#include "common/strutil.h"
#include "server/commands/families.h"
#include "server/core/aof_log.h"
#include "server/core/context.h"
#include "server/core/errors.h"
#include "server/core/memory_stats.h"
#include "server/core/replication.h"
#include "server/scripting/lua_engine.h"

namespace tessera {

// ---- InstantaneousMetric ----

void InstantaneousMetric::Sample(int64_t now_ms, uint64_t counter) {
  if (!started_) {
    started_ = true;
    last_ms_ = now_ms;
    last_counter_ = counter;
    return;
  }
  int64_t dt = now_ms - last_ms_;
  if (dt <= 0) return;
  samples_[idx_] = static_cast<double>(counter - last_counter_) * 1000.0 / static_cast<double>(dt);
  idx_ = (idx_ + 1) % 16;
  last_ms_ = now_ms;
  last_counter_ = counter;
}

double InstantaneousMetric::Rate() const {
  double sum = 0;
  for (double s : samples_) sum += s;
  return sum / 16;
}

// ---- construction ----

Server::Server() {
  RegisterServerConfig(registry_, config_);
  run_id_ = RandomHexId();
  uint8_t seed[16];
  RandomBytes(seed, sizeof(seed));
  SetKeyHashSeed(seed);
}

Server::~Server() {
  for (auto& [id, c] : clients_) {
    c->conn = nullptr;
  }
}

bool Server::Init(std::string* err) {
  // The used-memory counters maxmemory checks: this thread's and the lazy-free thread's.
  static bool registered = false;
  if (!registered) {
    registered = true;
    RegisterMemoryThread();
    LazyFree::thread_start_hook = RegisterMemoryThread;
  }
  keyspace_ = std::make_unique<Keyspace>(static_cast<int>(config_.databases), 0, this);
  RegisterCommands();
  repl_ = std::make_unique<Replication>(*this);
  lua_ = std::make_unique<LuaEngine>(*this);
  functions_ = std::make_unique<LuaEngine>(*this, LuaEngine::Mode::kFunctions);
  ApplyRuntimeConfig();
  stats_.start_time_ms = clock_.NowMs();
  stats_.start_monotonic_us = Clock::RealMonotonicUs();
  last_save_time_s = stats_.start_time_ms / 1000;
  keyspace_->lru_clock = LruClockAt(clock_.NowMs());
  (void)err;
  return true;
}

void Server::RegisterCommands() {
  RegisterStringCommands(commands_);
  RegisterKeyspaceCommands(commands_);
  RegisterConnectionCommands(commands_);
  RegisterServerCommands(commands_);
  RegisterIntrospectionCommands(commands_);
  RegisterDebugCommand(commands_);
  RegisterHashCommands(commands_);
  RegisterSetCommands(commands_);
  RegisterZsetCommands(commands_);
  RegisterListCommands(commands_);
  RegisterBitmapCommands(commands_);
  RegisterHyperLogLogCommands(commands_);
  RegisterGeoCommands(commands_);
  RegisterSortCommands(commands_);
  RegisterStreamCommands(commands_);
  RegisterTransactionCommands(commands_);
  RegisterPubSubCommands(commands_);
  RegisterScriptingCommands(commands_);
  RegisterFunctionCommands(commands_);
  RegisterMemoryCommands(commands_);
  RegisterDumpCommands(commands_);
  RegisterPersistenceCommands(commands_);
  RegisterReplicationCommands(commands_);
}

void Server::ApplyRuntimeConfig() {
  limits_.max_bulk_len = config_.proto_max_bulk_len;
  for (auto& [id, c] : clients_) AccountClientMemory(*c);
  if (keyspace_) {
    keyspace_->lazyfree_lazy_expire = config_.lazyfree_lazy_expire;
    keyspace_->lazyfree_lazy_server_del = config_.lazyfree_lazy_server_del;
    keyspace_->lfu = IsLfuPolicy(config_.maxmemory_policy);
    keyspace_->lfu_log_factor = config_.lfu_log_factor;
    keyspace_->lfu_decay_time = config_.lfu_decay_time;
  }
  LogSetLevel(static_cast<LogLevel>(config_.loglevel));
  slowlog_.Trim(static_cast<size_t>(config_.slowlog_max_len));
}

bool ApplyRuntime(void* server, std::string* err) {
  (void)err;
  static_cast<Server*>(server)->ApplyRuntimeConfig();
  return true;
}

bool ApplyLogging(void* server, std::string* err) { return ApplyRuntime(server, err); }

bool ApplyListeners(void* server, std::string* err) {
  auto* s = static_cast<Server*>(server);
  if (s->loop() == nullptr) return true;
  return s->loop()->RebindListeners(err);
}

bool ApplyMaxclients(void* server, std::string* err) {
  (void)server;
  (void)err;
  return true;
}

bool ApplyDir(void* server, std::string* err) {
  auto* s = static_cast<Server*>(server);
  if (s->config().dir.empty()) return true;
  if (chdir(s->config().dir.c_str()) != 0) {
    *err = std::string("No such file or directory");
    return false;
  }
  return true;
}

// ---- clients ----

Client* Server::CreateClient(int fd, std::string addr, std::string laddr, bool unix_socket,
                             bool local) {
  auto c = std::make_unique<Client>(next_client_id_++, &limits_);
  c->fd = fd;
  c->addr = std::move(addr);
  c->laddr = std::move(laddr);
  if (unix_socket) c->flags |= kClientUnixSocket;
  if (local) c->flags |= kClientLocal;
  c->db = &keyspace_->db(0);
  c->ctime_ms = c->last_interaction_ms = clock_.NowMs();
  c->reply.set_error_hook(
      [](void* ctx, std::string_view e) { static_cast<Server*>(ctx)->CountError(e); }, this);
  Client* raw = c.get();
  clients_.emplace(raw->id, std::move(c));
  ++stats_.total_connections_received;
  return raw;
}

Client* Server::CreateFakeClient() {
  Client* c = CreateClient(-1, "", "", false, true);
  c->flags |= kClientFake;
  ++fake_clients_;
  --stats_.total_connections_received;
  return c;
}

Client* Server::FindClient(uint64_t id) {
  auto it = clients_.find(id);
  return it == clients_.end() ? nullptr : it->second.get();
}

// ---- blocking commands ----

void Server::BlockClient(Client& c, std::span<const std::string_view> keys,
                         std::span<const std::string_view> argv, int64_t deadline_ms,
                         int type) {
  if (reprocessing_) {
    still_blocked_ = true;  // re-run found nothing: keep the client where it waits
    return;
  }
  auto st = std::make_unique<BlockedState>();
  st->db = c.db_index;
  st->deadline_ms = deadline_ms;
  st->type = type;
  for (std::string_view a : argv) st->argv.emplace_back(a);
  for (std::string_view k : keys) {
    if (std::find(st->keys.begin(), st->keys.end(), k) != st->keys.end()) continue;
    st->keys.emplace_back(k);
    blocking_keys_[{c.db_index, std::string(k)}].push_back(c.id);
  }
  if (deadline_ms > 0) {
    block_deadlines_.emplace(deadline_ms, c.id);
    if (loop_ != nullptr) loop_->WakeAt(deadline_ms);
  }
  c.blocked = std::move(st);
  c.flags |= kClientBlocked;
  ++blocked_count_;
}

void Server::UnregisterBlocked(Client& c) {
  BlockedState* st = c.blocked.get();
  if (st == nullptr) return;
  for (const std::string& k : st->keys) {
    auto it = blocking_keys_.find(std::make_pair(st->db, k));
    if (it == blocking_keys_.end()) continue;
    auto& ids = it->second;
    ids.erase(std::remove(ids.begin(), ids.end(), c.id), ids.end());
    if (ids.empty()) blocking_keys_.erase(it);
  }
  if (st->deadline_ms > 0) {
    auto range = block_deadlines_.equal_range(st->deadline_ms);
    for (auto it = range.first; it != range.second; ++it) {
      if (it->second == c.id) {
        block_deadlines_.erase(it);
        break;
      }
    }
  }
  c.blocked.reset();
  c.flags &= ~kClientBlocked;
  --blocked_count_;
}

void Server::UnblockClient(Client& c, bool timed_out, std::string_view error,
                           bool count_failure) {
  if (!c.blocked) return;
  if (count_failure) {
    std::vector<std::string_view> views(c.blocked->argv.begin(), c.blocked->argv.end());
    bool unknown_sub = false;
    if (const Command* cmd = commands_.Lookup(views, &unknown_sub)) ++cmd->stats.failed;
  }
  int64_t wait_offset = c.blocked->wait_offset;
  UnregisterBlocked(c);
  c.reply.set_resp3(c.resp == 3);
  c.reply.set_muted(c.Has(kClientReplyOff | kClientCloseAsap));
  if (wait_offset >= 0 && error.empty()) {
    c.reply.Integer(repl_->CountAcked(wait_offset));  // WAIT: how many got there
  } else if (timed_out) {
    c.reply.NullArray();  // as Redis for lists, sorted sets and streams
  } else if (!error.empty()) {
    c.reply.Error(error);
  }
  QueueWrite(c);
  unblocked_.push_back(c.id);
}

void Server::KeyModified(int db, std::string_view key) {
  if (!watches_.empty()) watches_.Touch(db, key, keyspace_->db(db).Find(key) != nullptr);
  if (tracking_.active()) {
    tracking_.InvalidateKey(key, current_client_, in_script_ ? nullptr : current_client_);
  }
  if (blocking_keys_.empty()) return;
  auto it = blocking_keys_.find(std::make_pair(db, std::string(key)));
  if (it == blocking_keys_.end()) return;
  for (const auto& rk : ready_keys_) {
    if (rk.first == db && rk.second == key) return;
  }
  ready_keys_.emplace_back(db, std::string(key));
}

void Server::SignalAllBlockedKeys(int db) {
  for (const auto& [k, ids] : blocking_keys_) {
    if (k.first == db) KeyModified(db, k.second);
  }
}

void Server::RerunBlocked(Client& c) {
  // Copy the command: the blocked state goes away if the re-run serves the client.
  std::vector<std::string> argv = c.blocked->argv;
  std::vector<std::string_view> views(argv.begin(), argv.end());
  bool unknown_sub = false;
  const Command* cmd = commands_.Lookup(views, &unknown_sub);
  if (cmd == nullptr || unknown_sub) {
    UnblockClient(c, false, "ERR blocked command vanished");
    return;
  }
  c.db_index = c.blocked->db;
  c.db = &keyspace_->db(c.db_index);
  reprocessing_ = true;
  still_blocked_ = false;
  uint64_t errors_before = stats_.total_error_replies;
  Call(c, *cmd, views);
  reprocessing_ = false;
  if (stats_.total_error_replies > errors_before) ++cmd->stats.failed;  // e.g. WRONGTYPE
  if (!still_blocked_) {
    UnregisterBlocked(c);
    QueueWrite(c);
    unblocked_.push_back(c.id);
  }
}

void Server::ServeReadyKeys() {
  if (handling_blocked_) return;  // re-run commands modify keys too; the loop below sees them
  handling_blocked_ = true;
  while (!ready_keys_.empty()) {
    std::vector<std::pair<int, std::string>> keys;
    keys.swap(ready_keys_);
    for (const auto& [db, key] : keys) {
      auto it = blocking_keys_.find(std::make_pair(db, key));
      if (it == blocking_keys_.end()) continue;
      std::vector<uint64_t> waiters = it->second;  // first come, first served
      for (uint64_t id : waiters) {
        // Only a key of the awaited type serves anyone (a BLPOP stays blocked when the key
        // becomes a string); each re-run may consume or delete it.
        KeyValue* kv = keyspace_->db(db).Find(key);
        if (kv == nullptr) break;
        Client* c = FindClient(id);
        if (c == nullptr || c->blocked == nullptr) continue;
        if (static_cast<int>(kv->type()) != c->blocked->type) continue;
        RerunBlocked(*c);
      }
    }
  }
  handling_blocked_ = false;
}

void Server::HandleBlockedClients() {
  ServeReadyKeys();
  int64_t now = clock_.NowMs();
  while (!block_deadlines_.empty() && block_deadlines_.begin()->first <= now) {
    uint64_t id = block_deadlines_.begin()->second;
    Client* c = FindClient(id);
    if (c != nullptr && c->blocked != nullptr) {
      UnblockClient(*c, true);
    } else {
      block_deadlines_.erase(block_deadlines_.begin());
    }
  }
  if (!block_deadlines_.empty() && loop_ != nullptr) loop_->WakeAt(block_deadlines_.begin()->first);
  // Clients that were served or timed out continue with the input they sent meanwhile.
  std::vector<uint64_t> ids;
  ids.swap(unblocked_);
  for (uint64_t id : ids) {
    Client* c = FindClient(id);
    if (c == nullptr || c->blocked != nullptr || c->qbuf.pending() == 0) continue;
    size_t n = ProcessInput(*c, c->qbuf.begin(), c->qbuf.pending());
    c->qbuf.Consume(n);
    if (!c->out.empty()) QueueWrite(*c);
  }
}

void Server::DestroyClient(Client* c) {
  UnregisterBlocked(*c);
  if ((c->repl || c->Has(kClientMaster)) && repl_) repl_->Remove(c);
  watches_.UnwatchAll(*c);
  tracking_.Disable(*c);
  if (c->subs) {
    UnsubscribeAll(*c, PubSubKind::kChannel, false);
    UnsubscribeAll(*c, PubSubKind::kPattern, false);
    UnsubscribeAll(*c, PubSubKind::kShard, false);
  }
  auto drop = [c](std::vector<Client*>& v) { v.erase(std::remove(v.begin(), v.end(), c), v.end()); };
  drop(pending_writes_);
  drop(to_close_);
  drop(monitors_);
  drop(postponed_);
  if (c->Has(kClientFake)) --fake_clients_;
  clients_mem_total_ -= std::min(clients_mem_total_, c->accounted_mem);
  clients_.erase(c->id);
}

void Server::ScheduleClose(Client* c, bool flush_output) {
  if (c->Has(kClientCloseAsap)) return;
  if (flush_output) {
    c->flags |= kClientCloseAfterReply;
    QueueWrite(*c);
    return;
  }
  c->flags |= kClientCloseAsap;
  c->reply.set_muted(true);
  to_close_.push_back(c);
  if (loop_ != nullptr) loop_->ScheduleBeforeSleep();
}

void Server::KillClient(Client* c) {
  if (c == current_client_ || loop_ == nullptr || c->conn == nullptr) {
    ScheduleClose(c, c == current_client_);
    return;
  }
  loop_->CloseClient(c);
}

std::vector<Client*> Server::TakeClientsToClose() {
  std::vector<Client*> out;
  out.swap(to_close_);
  return out;
}

void Server::QueueWrite(Client& c) {
  if (c.Has(kClientPendingWrite) || c.Has(kClientFake)) return;
  c.flags |= kClientPendingWrite;
  pending_writes_.push_back(&c);
  if (loop_ != nullptr) loop_->ScheduleBeforeSleep();
}

void Server::CheckOutputLimits(Client& c) {
  if (c.Has(kClientFake) || c.Has(kClientCloseAsap)) return;
  int cls = c.Has(kClientPubsub) ? kClassPubsub : c.Has(kClientReplica) ? kClassReplica : kClassNormal;
  const OutputBufferLimit& lim = config_.obuf_limits[cls];
  size_t alloc = c.out.allocated();
  size_t used = alloc > resp::OutputBuffer::kChunkSize ? alloc - resp::OutputBuffer::kChunkSize : 0;
  bool hard = lim.hard > 0 && used >= static_cast<size_t>(lim.hard);
  bool soft = false;
  if (lim.soft > 0 && used >= static_cast<size_t>(lim.soft)) {
    int64_t now = clock_.NowMs();
    if (c.obuf_soft_since_ms == 0) {
      c.obuf_soft_since_ms = now;
    } else if (now - c.obuf_soft_since_ms > lim.soft_seconds * 1000) {
      soft = true;
    }
  } else {
    c.obuf_soft_since_ms = 0;
  }
  if (hard || soft) {
    LogWarning("Client id={} addr={} name={} scheduled to be closed ASAP for overcoming of output "
               "buffer limits.", c.id, c.addr, c.name);
    ++stats_.client_outbuf_limit_disconnections;
    ScheduleClose(&c, false);
  }
}

// ---- input and dispatch ----

size_t Server::ProcessInput(Client& c, const char* data, size_t len) {
  Client* outer = current_client_;
  current_client_ = &c;
  struct Restore {
    Client*& slot;
    Client* value;
    ~Restore() { slot = value; }
  } restore{current_client_, outer};
  size_t off = 0;
  while (off < len) {
    if (c.flags & (kClientCloseAsap | kClientCloseAfterReply | kClientPostponed | kClientBlocked)) {
      break;
    }
    auto r = c.parser.Parse(data + off, len - off, AuthRequired(c));
    if (r == resp::RequestParser::Result::kNeedMore) {
      off += c.parser.consumed();
      break;
    }
    if (r == resp::RequestParser::Result::kError) {
      c.reply.Error("ERR " + c.parser.error());
      LogVerbose("Protocol error ({}) from client: id={} addr={}", c.parser.error(), c.id, c.addr);
      ScheduleClose(&c, true);
      return len;
    }
    size_t used = c.parser.consumed();
    auto args = c.parser.args();
    c.argv_mem = 0;
    for (std::string_view a : args) c.argv_mem += a.size();
    bool more = ExecuteCommand(c, args);
    c.argv_mem = 0;
    if (c.Has(kClientPostponed)) break;  // the command stays in the input, to run later
    if (c.Has(kClientMaster)) repl_->MasterApplied(std::string_view(data + off, used));
    off += used;
    if (!more) break;
  }
  return off;
}

void Server::RejectCommand(Client& c, const Command* cmd, std::string_view error) {
  if (cmd != nullptr) ++cmd->stats.rejected;
  FlagTransaction(c);
  if (cmd != nullptr && cmd->fullname == "exec") {
    // As Redis: a rejected EXEC ends the transaction and says why.
    if (c.Has(kClientMulti)) DiscardTransaction(c);
    std::string_view why = error.substr(0, 4) == "ERR " ? error.substr(4) : error;
    c.reply.Error("EXECABORT Transaction discarded because of: " + std::string(why));
    return;
  }
  c.reply.Error(error);
}

std::string_view Server::BusyError() const {
  if (lua_ && lua_->timed_out()) {
    return "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN "
           "NOSAVE.";
  }
  if (functions_ && functions_->timed_out()) {
    return "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN "
           "NOSAVE.";
  }
  return {};
}

std::string Server::KillScript(bool is_eval) {
  LuaEngine* running = lua_ && lua_->running()                 ? lua_.get()
                       : functions_ && functions_->running() ? functions_.get()
                                                              : nullptr;
  if (running == nullptr) return "NOTBUSY No scripts in execution right now.";
  std::string err = running->Kill(/*check_only=*/true);
  if (!err.empty()) return err;  // UNKILLABLE
  bool is_eval_running = running == lua_.get();
  if (is_eval != is_eval_running) {
    return is_eval_running
               ? "BUSY Redis is busy running a script. You can only call SCRIPT KILL or "
                 "SHUTDOWN NOSAVE."
               : "BUSY Redis is busy running a script. You can only call FUNCTION KILL or "
                 "SHUTDOWN NOSAVE.";
  }
  return running->Kill(false);
}

void Server::ResumeAfterScript() {
  if (loop_ != nullptr) loop_->ScheduleBeforeSleep();
}

namespace {

// What a RESP2 client may run while subscribed.
bool AllowedWhileSubscribed(const Command& cmd) {
  static constexpr std::string_view kAllowed[] = {
      "ping", "subscribe", "ssubscribe", "unsubscribe", "sunsubscribe",
      "psubscribe", "punsubscribe", "quit", "reset"};
  for (std::string_view n : kAllowed) {
    if (cmd.fullname == n) return true;
  }
  return false;
}

// Commands that act on the transaction itself instead of being queued.
bool RunsInsideMulti(const Command& cmd) {
  static constexpr std::string_view kDirect[] = {"exec", "discard", "multi", "watch", "quit",
                                                 "reset"};
  for (std::string_view n : kDirect) {
    if (cmd.fullname == n) return true;
  }
  return false;
}

}  // namespace

bool Server::QueueInMulti(Client& c, const Command& cmd, std::span<const std::string_view> argv) {
  if (RunsInsideMulti(cmd)) return false;
  // A transaction that will fail anyway keeps nothing (as Redis: saves memory on pipelines).
  if (!c.Has(kClientDirtyCas | kClientDirtyExec)) {
    QueuedCommand q;
    q.cmd = &cmd;
    q.argv.assign(argv.begin(), argv.end());
    for (const std::string& a : q.argv) c.multi_mem += a.size() + sizeof(std::string);
    c.multi_queue.push_back(std::move(q));
  }
  c.reply.set_muted(c.Has(kClientReplyOff | kClientReplySkip | kClientCloseAsap));
  c.reply.SimpleString("QUEUED");
  if (c.Has(kClientReplySkip)) c.flags &= ~kClientReplySkip;
  if (c.Has(kClientReplySkipNext)) {
    c.flags &= ~kClientReplySkipNext;
    c.flags |= kClientReplySkip;
  }
  c.reply.set_muted(c.Has(kClientReplyOff | kClientCloseAsap));
  return true;
}

void Server::DiscardTransaction(Client& c) {
  c.multi_queue.clear();
  c.multi_queue.shrink_to_fit();
  c.multi_mem = 0;
  c.flags &= ~(kClientMulti | kClientDirtyCas | kClientDirtyExec);
  watches_.UnwatchAll(c);
}

bool Server::BlockedByPause(const Command& cmd) const {
  if (pause_type_ == PauseType::kNone) return false;
  if (pause_type_ == PauseType::kAll) return true;
  return (cmd.flags & (kCmdWrite | kCmdMayReplicate)) != 0;
}

bool Server::ExecuteCommand(Client& c, std::span<const std::string_view> argv) {
  // The client whose command runs (NOLOOP and invalidation order look at it), and the end of
  // a CLIENT CACHING window: it covers the next command only, even a rejected one (CLIENT
  // commands and an open MULTI keep it).
  struct Scope {
    Server& s;
    Client& c;
    Client* outer;
    bool client_cmd;
    ~Scope() {
      s.current_client_ = outer;
      if (c.tracking && c.tracking->caching && !client_cmd && !c.Has(kClientMulti)) {
        c.tracking->caching = false;
      }
    }
  } scope{*this, c, current_client_, !argv.empty() && EqualsIgnoreCase(argv[0], "client")};
  current_client_ = &c;
  bool unknown_sub = false;
  const Command* cmd = commands_.Lookup(argv, &unknown_sub);
  if (cmd == nullptr) {
    RejectCommand(c, nullptr, err::UnknownCommand(argv[0], argv.data() + 1, argv.size() - 1));
    return true;
  }
  if (unknown_sub) {
    RejectCommand(c, nullptr, err::UnknownSubcommand(argv[1], cmd->spec.name));
    return true;
  }
  if (!cmd->ArityOk(argv.size())) {
    RejectCommand(c, cmd, err::WrongArity(cmd->fullname));
    return true;
  }
  if (cmd->Is(kCmdProtected)) {
    auto mode = static_cast<DebugCommandMode>(config_.enable_debug_command);
    bool allowed = mode == DebugCommandMode::kYes ||
                   (mode == DebugCommandMode::kLocal && c.Has(kClientLocal));
    if (!allowed) {
      RejectCommand(c, cmd, err::kDebugDisabled);
      return true;
    }
  }
  if (AuthRequired(c) && !cmd->Is(kCmdNoAuth)) {
    RejectCommand(c, cmd, err::kNoAuth);
    return true;
  }
  if (c.Has(kClientMulti) && cmd->Is(kCmdNoMulti)) {
    RejectCommand(c, cmd, "ERR Command not allowed inside a transaction");
    return true;
  }
  // ACL permission checks go here (ACL users arrive later; the default user may do anything).
  // Cluster redirection (MOVED/ASK/CROSSSLOT/TRYAGAIN) goes here once cluster mode exists.
  if (c.resp == 2 && c.Has(kClientPubsub) && !AllowedWhileSubscribed(*cmd)) {
    RejectCommand(c, cmd,
                  fmt::format("ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / "
                              "PING / QUIT / RESET are allowed in this context",
                              cmd->fullname));
    return true;
  }
  if (!c.Has(kClientReplica | kClientMaster | kClientFake) && BlockedByPause(*cmd)) {
    c.flags |= kClientPostponed;
    postponed_.push_back(&c);
    return false;
  }
  if (config_.maxmemory > 0 && !in_script_) {
    // Make room first; refuse what may grow memory when that failed. Inside MULTI every queued
    // command counts (queueing itself takes memory), but EXEC and DISCARD always go through.
    bool out_of_memory = PerformEvictions() == EvictResult::kFail;
    pre_command_oom_ = out_of_memory;
    bool denyoom = CommandOrQueueIs(c, *cmd, kCmdDenyOom);
    if (c.Has(kClientMulti) && cmd->fullname != "exec" && cmd->fullname != "discard" &&
        cmd->fullname != "quit" && cmd->fullname != "reset") {
      denyoom = true;
    }
    if (out_of_memory && denyoom) {
      RejectCommand(c, cmd, "OOM command not allowed when used memory > 'maxmemory'.");
      return true;
    }
  } else {
    pre_command_oom_ = false;
  }
  if (loading_ && !cmd->Is(kCmdLoading) && !c.Has(kClientFake)) {  // the AOF loader is fake
    RejectCommand(c, cmd, "LOADING Redis is loading the dataset in memory");
    return true;
  }
  // While a replica loads its master's snapshot beside the data it serves (repl-diskless-load
  // swapdb), only what would disturb the load waits.
  if (async_loading_ && cmd->Is(kCmdNoAsyncLoading) && !c.Has(kClientFake)) {
    RejectCommand(c, cmd, "LOADING Redis is loading the dataset in memory");
    return true;
  }
  // A failed background save stops writes (and PING, as Redis 7.0) while save points are set.
  if (config_.stop_writes_on_bgsave_error && !config_.save.empty() && !rdb_last_bgsave_ok_ &&
      !c.Has(kClientMaster) && (cmd->Is(kCmdWrite) || cmd->fullname == "ping")) {
    RejectCommand(c, cmd, err::kMisconf);
    return true;
  }
  // A master without enough replicas that acknowledged recently refuses writes (fencing an
  // old master cut off from its replicas).
  if (config_.min_replicas_to_write > 0 && config_.min_replicas_max_lag > 0 &&
      !repl_->is_replica() && !c.Has(kClientMaster) && CommandOrQueueIs(c, *cmd, kCmdWrite) &&
      repl_->GoodReplicas() < config_.min_replicas_to_write) {
    RejectCommand(c, cmd, "NOREPLICAS Not enough good replicas to write.");
    return true;
  }
  // Synchronous mode: no write without enough replicas to acknowledge it.
  if (config_.min_sync_replicas > 0 && !c.Has(kClientMaster) &&
      CommandOrQueueIs(c, *cmd, kCmdWrite)) {
    std::string_view why = repl_->SyncWriteRefusal();
    if (!why.empty()) {
      RejectCommand(c, cmd, why);
      return true;
    }
  }
  // A read-only replica takes writes from its master only.
  if (repl_->is_replica() && config_.replica_read_only && !c.Has(kClientMaster) &&
      cmd->Is(kCmdWrite)) {
    RejectCommand(c, cmd, "READONLY You can't write against a read only replica.");
    return true;
  }
  if (repl_->is_replica() && !repl_->LinkStreaming() && !config_.replica_serve_stale_data &&
      !cmd->Is(kCmdStale)) {
    RejectCommand(c, cmd,
                  "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to "
                  "'no'.");
    return true;
  }
  // So does a failed AOF write or fsync, until a write succeeds again.
  if (aof_enabled_ && aof_ && !c.Has(kClientMaster) &&
      (cmd->Is(kCmdWrite) || cmd->fullname == "ping") && !aof_->last_write_ok()) {
    RejectCommand(c, cmd,
                  fmt::format("MISCONF Errors writing to the AOF file: {}",
                              strerror(aof_->last_write_errno())));
    return true;
  }
  if (!cmd->Is(kCmdAllowBusy)) {
    std::string_view busy = BusyError();
    if (!busy.empty()) {
      RejectCommand(c, cmd, busy);
      return true;
    }
  }
  if (c.Has(kClientMulti) && QueueInMulti(c, *cmd, argv)) return true;
  Call(c, *cmd, argv);

  if (!ready_keys_.empty()) ServeReadyKeys();
  return !c.Has(kClientCloseAsap | kClientCloseAfterReply | kClientPostponed | kClientBlocked);
}

bool Server::CommandOrQueueIs(const Client& c, const Command& cmd, uint64_t flag) const {
  if (cmd.Is(flag)) return true;
  if (cmd.fullname != "exec") return false;
  for (const QueuedCommand& q : c.multi_queue) {
    if (q.cmd->Is(flag)) return true;
  }
  return false;
}

void Server::Call(Client& c, const Command& cmd, std::span<const std::string_view> argv) {
  uint64_t dirty_before = dirty;
  int64_t repl_offset_before = repl_->offset();
  uint64_t errors_before = stats_.total_error_replies;
  bool skip_this = c.Has(kClientReplySkip);
  c.reply.set_muted(c.Has(kClientReplyOff | kClientReplySkip | kClientCloseAsap));
  c.reply.set_resp3(c.resp == 3);
  ++call_depth_;
  uint64_t start_ticks = Clock::Ticks();
  int64_t now_ms = clock_.NowMsAt(start_ticks);
  if (!in_exec_) c.last_cmd = &cmd;  // inside EXEC, CLIENT LIST keeps showing exec
  CommandContext ctx(*this, c, cmd, argv, now_ms);
  cmd.spec.handler(ctx);
  int64_t duration_us = Clock::ElapsedUs(start_ticks);
  --call_depth_;

  // CLIENT REPLY SKIP mutes exactly the next command.
  if (skip_this) c.flags &= ~kClientReplySkip;
  if (c.Has(kClientReplySkipNext)) {
    c.flags &= ~kClientReplySkipNext;
    c.flags |= kClientReplySkip;
  }
  c.reply.set_muted(c.Has(kClientReplyOff | kClientCloseAsap));

  // A blocked command served later was counted (and shown to monitors) when it first ran.
  if (!reprocessing_) RecordCall(c, cmd, argv, now_ms, duration_us, errors_before);
  // Client-side caching: remember what a tracking client read (for a script, its caller).
  if (cmd.Is(kCmdReadonly) && tracking_.tracking_clients() > 0 && cmd.fullname != "eval_ro" &&
      cmd.fullname != "evalsha_ro" && cmd.fullname != "fcall_ro") {
    if (c.Has(kClientFake) && in_script_) {
      // A script's reads track the keys the script declared, for the client that ran it.
      CommandContext* outer = ScriptContext();
      if (outer != nullptr && outer->client.Has(kClientTracking)) {
        tracking_.RememberKeys(outer->client, outer->cmd, outer->argv);
      }
    } else if (c.Has(kClientTracking)) {
      tracking_.RememberKeys(c, cmd, argv);
    }
  }
  if (dirty > dirty_before && !ctx.prevent_default_propagation && propagating() &&
      !propagation_suppressed_) {
    Propagate(c.db_index, std::vector<std::string>(argv.begin(), argv.end()));
  }
  if (call_depth_ == 0) {
    FlushPropagation();
    if (repl_->offset() != repl_offset_before) {
      c.woff = repl_->offset();  // for WAIT
      // Synchronous mode: this client hears about its write once replicas have it.
      if (config_.min_sync_replicas > 0 && !repl_->is_replica() &&
          !c.Has(kClientMaster | kClientFake | kClientReplica)) {
        repl_->HoldReplies(c, c.woff);
      }
    }
    tracking_.FlushPendingFor(c);  // invalidations of its own writes follow its reply
  }
  CheckOutputLimits(c);
}

CommandContext* Server::ScriptContext() const {
  if (lua_ && lua_->running()) return lua_->caller_context();
  if (functions_ && functions_->running()) return functions_->caller_context();
  return nullptr;
}

Client* Server::ScriptCaller() const {
  if (lua_ && lua_->running()) return lua_->caller();
  if (functions_ && functions_->running()) return functions_->caller();
  return nullptr;
}

void Server::RecordCall(Client& c, const Command& cmd, std::span<const std::string_view> argv,
                        int64_t now_ms, int64_t duration_us, uint64_t errors_before) {
  CommandStats& st = cmd.stats;
  if (config_.latency_tracking) st.latency.Record(static_cast<uint64_t>(duration_us) * 1000);
  ++st.calls;
  st.usec += static_cast<uint64_t>(duration_us);
  if (stats_.total_error_replies > errors_before) ++st.failed;
  ++stats_.total_commands_processed;
  ++c.commands_processed;

  if (!cmd.Is(kCmdSkipSlowlog) && config_.slowlog_log_slower_than >= 0 &&
      duration_us >= config_.slowlog_log_slower_than) {
    slowlog_.Add(argv, now_ms / 1000, duration_us, c.addr, c.name,
                 static_cast<size_t>(config_.slowlog_max_len));
  }
  if (config_.latency_monitor_threshold > 0) {
    latency_.Add(cmd.Is(kCmdFast) ? "fast-command" : "command", duration_us / 1000,
                 config_.latency_monitor_threshold, now_ms / 1000);
  }
  if (!monitors_.empty() && !cmd.Is(kCmdSkipMonitor | kCmdAdmin)) {
    FeedMonitors(c, argv);
  }
}

void Server::FeedMonitors(const Client& c, std::span<const std::string_view> argv) {
  int64_t us = Clock::RealUs();
  std::string line = fmt::format("{}.{:06d} ", us / 1000000, us % 1000000);
  if (c.Has(kClientUnixSocket)) {
    line += fmt::format("[{} unix:{}] ", c.db_index, config_.unixsocket);
  } else {
    line += fmt::format("[{} {}] ", c.db_index, c.addr);
  }
  bool redact_from = false;
  size_t redact_start = argv.size();
  if (!argv.empty() && EqualsIgnoreCase(argv[0], "auth")) {
    redact_start = 1;
    redact_from = true;
  } else if (!argv.empty() && EqualsIgnoreCase(argv[0], "hello")) {
    for (size_t i = 1; i + 2 < argv.size(); ++i) {
      if (EqualsIgnoreCase(argv[i], "auth")) {
        redact_start = i + 1;
        redact_from = true;
        break;
      }
    }
  }
  for (size_t i = 0; i < argv.size(); ++i) {
    if (i) line.push_back(' ');
    bool redacted = redact_from && i >= redact_start &&
                    (EqualsIgnoreCase(argv[0], "auth") || i < redact_start + 2);
    if (redacted) {
      line += "\"(redacted)\"";
    } else {
      AppendRepr(line, argv[i]);
    }
  }
  for (Client* m : monitors_) {
    if (m == &c) continue;
    m->reply.SimpleString(line);
    QueueWrite(*m);
    CheckOutputLimits(*m);
  }
}

void Server::CountError(std::string_view error) {
  ++stats_.total_error_replies;
  size_t sp = error.find(' ');
  std::string_view code = error.substr(0, sp);
  auto it = stats_.error_codes.find(code);
  if (it != stats_.error_codes.end()) {
    ++it->second;
  } else if (stats_.error_codes.size() < 128) {
    stats_.error_codes.emplace(std::string(code), 1);
  }
}

void Server::ResetStats() {
  stats_.total_connections_received = 0;
  stats_.total_commands_processed = 0;
  stats_.rejected_connections = 0;
  stats_.net_input_bytes = 0;
  stats_.net_output_bytes = 0;
  stats_.total_reads_processed = 0;
  stats_.total_writes_processed = 0;
  stats_.total_error_replies = 0;
  evicted_keys_ = 0;
  stats_.unexpected_error_replies = 0;
  stats_.client_qbuf_limit_disconnections = 0;
  stats_.client_outbuf_limit_disconnections = 0;
  stats_.error_codes.clear();
  stats_.ops_per_sec = InstantaneousMetric();
  stats_.input_kbps = InstantaneousMetric();
  stats_.output_kbps = InstantaneousMetric();
  keyspace_->stats() = KeyspaceStats();
  keyspace_->lazyfree().ResetStats();
  for (const auto& cmd : commands_.all()) {
    cmd->stats = CommandStats();
    for (const auto& sub : cmd->subcommands) sub->stats = CommandStats();
  }
}

// ---- propagation ----

void Server::RemoveSink(PropagationSink* sink) {
  sinks_.erase(std::remove(sinks_.begin(), sinks_.end(), sink), sinks_.end());
}

void Server::Propagate(int dbid, std::vector<std::string> argv) {
  if (sinks_.empty()) return;
  pending_ops_.push_back(PendingOp{dbid, std::move(argv)});
}

void Server::FlushPropagation() {
  if (pending_ops_.empty()) return;
  std::vector<PendingOp> ops;
  ops.swap(pending_ops_);
  bool wrap = ops.size() > 1;
  static const std::vector<std::string> kMulti = {"MULTI"};
  static const std::vector<std::string> kExec = {"EXEC"};
  for (PropagationSink* s : sinks_) {
    if (wrap) s->Feed(ops.front().dbid, kMulti);
    for (const PendingOp& op : ops) s->Feed(op.dbid, op.argv);
    if (wrap) s->Feed(ops.back().dbid, kExec);
  }
}

void Server::OnExpired(Db& db, std::string_view key) {
  if (!watches_.empty()) watches_.Touch(db.id(), key, false);
  if (tracking_.active()) tracking_.InvalidateKey(key, current_client_, current_client_);
  NotifyKeyspaceEvent(kNotifyExpired, "expired", key, db.id());
  if (propagating()) {
    Propagate(db.id(), {keyspace_->lazyfree_lazy_expire ? "UNLINK" : "DEL", std::string(key)});
    if (call_depth_ == 0) FlushPropagation();
  }
}

// ---- pause ----

void Server::Pause(PauseType type, int64_t until_ms) {
  // As Redis 7.0: the latest pause sets the type, the end is the later of the two.
  pause_type_ = type;
  pause_until_ms_ = std::max(pause_until_ms_, until_ms);
  keyspace_->expire_deletes = false;
}

void Server::Unpause() {
  pause_type_ = PauseType::kNone;
  pause_until_ms_ = 0;
  keyspace_->expire_deletes = !repl_->is_replica();
  if (!postponed_.empty() && loop_ != nullptr) loop_->ScheduleBeforeSleep();
}

void Server::ResumePostponed() {
  if (pause_type_ != PauseType::kNone || postponed_.empty()) return;
  // By id: a resumed command (CLIENT KILL) may destroy clients later in the list.
  std::vector<uint64_t> ids;
  for (Client* c : postponed_) ids.push_back(c->id);
  postponed_.clear();
  for (uint64_t id : ids) {
    Client* c = FindClient(id);
    if (c == nullptr) continue;
    c->flags &= ~kClientPostponed;
    // Its input (starting with the postponed command) is in its private buffer.
    if (c->qbuf.pending() > 0) {
      size_t n = ProcessInput(*c, c->qbuf.begin(), c->qbuf.pending());
      c->qbuf.Consume(n);
    }
    if (!c->out.empty()) QueueWrite(*c);
  }
}

// ---- periodic work ----

void Server::Cron() {
  clock_.Resync();
  int64_t now_ms = clock_.NowMs();
  ++cron_loops_;
  keyspace_->lru_clock = LruClockAt(now_ms);
  if (now_ms - last_cron_ms_ >= 100) {
    stats_.ops_per_sec.Sample(now_ms, stats_.total_commands_processed);
    stats_.input_kbps.Sample(now_ms, stats_.net_input_bytes);
    stats_.output_kbps.Sample(now_ms, stats_.net_output_bytes);
    last_cron_ms_ = now_ms;
  }
  if (pause_type_ != PauseType::kNone && now_ms >= pause_until_ms_) {
    Unpause();
  }
  HandleBlockedClients();
  if (eviction_pending_) PerformEvictions();
  ClientsCron(now_ms);
  int64_t hz = std::max<int64_t>(config_.hz, 1);
  // Active expiry may use 25% of a cron period; rehashing gets 1 ms.
  last_expire_timed_out_ = keyspace_->ActiveExpireCycle(now_ms, 1000000 * 25 / 100 / hz);
  keyspace_->CronRehash(1000, config_.activerehashing);
  SavePointsCron();
  repl_->Cron();
  AofCron();
  if (rdb_child_pid_ <= 0 && aof_child_pid_ <= 0) ActiveDefragCycle();  // moving memory now would copy pages in the child
}

void Server::ClientsCron(int64_t now_ms) {
  if (clients_.empty()) return;
  int64_t hz = std::max<int64_t>(config_.hz, 1);
  // Visit every client about once a second: numclients/hz per call, at least 5.
  size_t budget = std::max<size_t>(clients_.size() / static_cast<size_t>(hz), 5);
  auto it = clients_.lower_bound(cron_client_cursor_);
  for (size_t i = 0; i < budget && !clients_.empty(); ++i) {
    if (it == clients_.end()) it = clients_.begin();
    Client* c = it->second.get();
    ++it;
    cron_client_cursor_ = it == clients_.end() ? 0 : it->first;
    if (c->Has(kClientFake | kClientCloseAsap)) continue;
    // Idle timeout (not for monitors, replicas, or clients waiting on a pause).
    if (config_.timeout > 0 && !c->Has(kClientMonitor | kClientReplica | kClientMaster |
                                       kClientPostponed | kClientPubsub | kClientBlocked) &&
        now_ms - c->last_interaction_ms > config_.timeout * 1000) {
      LogVerbose("Closing idle client id={} addr={}", c->id, c->addr);
      ScheduleClose(c, false);
      continue;
    }
    // Release the buffers of clients with nothing pending.
    c->qbuf.ReleaseIfEmpty();
    c->out.Release();
    if (c->out.pending() > 0) CheckOutputLimits(*c);
    AccountClientMemory(*c);
  }
}

void Server::BeforeSleep() {
  if (pause_type_ != PauseType::kNone && clock_.NowMs() >= pause_until_ms_) Unpause();
  ResumePostponed();
  HandleBlockedClients();
  if (eviction_pending_) PerformEvictions();
  if (last_expire_timed_out_) {
    // A fast cycle of at most 1 ms, at most once every 2 ms, while the slow one falls behind.
    int64_t now_us = Clock::RealMonotonicUs();
    if (now_us - last_fast_expire_us_ > 2000) {
      last_fast_expire_us_ = now_us;
      last_expire_timed_out_ = keyspace_->ActiveExpireCycle(clock_.NowMs(), 1000);
    }
  }
  FlushPropagation();
  AofFlush();  // before the loop sends the replies: appendfsync always holds
  repl_->BeforeSleep();
  if (tracking_.active()) {
    tracking_.BroadcastPending();
    tracking_.Limit(static_cast<size_t>(config_.tracking_table_max_keys));
  }
}

bool Server::PrepareShutdown(int flags, std::string* why) {
  LogWarning("User requested shutdown...");
  if (rdb_child_pid_ > 0) {
    LogWarning("There is a child saving an .rdb. Killing it!");
    pid_t child = rdb_child_pid_;
    KillRdbChild();
    unlink(fmt::format("temp-{}.rdb", child).c_str());
  }
  if (aof_child_pid_ > 0) {
    LogWarning("There is a child rewriting the AOF. Killing it!");
    KillAofChild();
  }
  if (aof_enabled_ && aof_) {
    LogNotice("Calling fsync() on the AOF file.");
    AofFlush();
    aof_->Close();
  }
  // Never save a half-loaded dataset over the file it comes from.
  if (!loading_ &&
      ((!config_.save.empty() && !(flags & kShutdownNoSave)) || (flags & kShutdownSave))) {
    LogNotice("Saving the final RDB snapshot before exiting.");
    std::string err;
    if (!RdbSave(&err)) {
      if (flags & kShutdownForce) {
        LogWarning("Error trying to save the DB. Exit anyway.");
      } else {
        LogWarning("Error trying to save the DB, can't exit.");
        *why = err;
        return false;
      }
    }
  }
  if (!config_.pidfile.empty()) unlink(config_.pidfile.c_str());
  if (!config_.unixsocket.empty()) unlink(config_.unixsocket.c_str());
  LogWarning("Tessera is now ready to exit, bye bye...");
  shutdown_requested = true;
  if (loop_ != nullptr) loop_->Stop();
  return true;
}

}  // namespace tessera
