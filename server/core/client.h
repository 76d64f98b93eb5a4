// A client connection's state as the command layer sees it: selected db, protocol version,
// auth, name, flags, input parsing state and the output buffer. The socket itself belongs to
// the network layer (Connection), so this header carries no Asio.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "common/resp/output_buffer.h"
#include "common/resp/reply_builder.h"
#include "common/resp/request_parser.h"

namespace tessera {

class Connection;
class Db;
struct TrackingState;
struct Command;

enum ClientFlag : uint64_t {
  kClientMonitor = 1ULL << 0,
  kClientCloseAfterReply = 1ULL << 1,  // QUIT, protocol errors: close once output is written
  kClientCloseAsap = 1ULL << 2,        // killed or over a limit: close without flushing
  kClientUnixSocket = 1ULL << 3,
  kClientReplyOff = 1ULL << 4,
  kClientReplySkipNext = 1ULL << 5,
  kClientReplySkip = 1ULL << 6,
  kClientNoEvict = 1ULL << 7,
  kClientPendingWrite = 1ULL << 8,  // queued for the before-sleep flush
  kClientPostponed = 1ULL << 9,     // stopped by CLIENT PAUSE until unpaused
  kClientFake = 1ULL << 10,         // no connection (in-process tests, scripts)
  kClientLocal = 1ULL << 11,        // connected over loopback or a unix socket
  kClientPubsub = 1ULL << 12,
  kClientMulti = 1ULL << 13,
  kClientBlocked = 1ULL << 14,
  kClientMaster = 1ULL << 15,
  kClientReplica = 1ULL << 16,
  kClientDirtyCas = 1ULL << 17,   // a WATCHed key was touched: EXEC fails
  kClientDirtyExec = 1ULL << 18,  // a command was rejected while queueing: EXECABORT
  kClientProtected = 1ULL << 19,  // runs a busy script: its input waits until the script ends
  kClientTracking = 1ULL << 20,   // CLIENT TRACKING on (settings in Client::tracking)
};

// A client's private input buffer: holds a partial command (or input left while the client is
// postponed). Grows geometrically without zero-filling; consumed bytes are dropped lazily.
struct InputBuffer {
  char* data = nullptr;
  size_t len = 0;  // bytes stored
  size_t pos = 0;  // bytes already consumed
  size_t cap = 0;

  InputBuffer() = default;
  ~InputBuffer();
  InputBuffer(const InputBuffer&) = delete;
  InputBuffer& operator=(const InputBuffer&) = delete;

  size_t pending() const { return len - pos; }
  const char* begin() const { return data + pos; }
  // Returns room for at least n more bytes (moving unconsumed bytes to the front first).
  char* Reserve(size_t n);
  void Commit(size_t n) { len += n; }
  void Append(const char* p, size_t n);
  void Consume(size_t n) {
    pos += n;
    if (pos == len) pos = len = 0;
  }
  // Frees the memory when nothing is pending.
  void ReleaseIfEmpty();
};

// What a client blocked by BLPOP/BZPOPMIN/... waits for.
struct BlockedState {
  int db = 0;
  std::vector<std::string> keys;
  int64_t deadline_ms = 0;            // 0: wait forever
  std::vector<std::string> argv;      // the command, re-run when a key becomes ready
  int type = 0;                       // the ObjType a ready key must hold to re-run it
  int64_t wait_offset = -1;           // WAIT: the offset replicas must acknowledge
  int wait_replicas = 0;              // WAIT: how many
};

// A command queued between MULTI and EXEC.
struct QueuedCommand {
  const Command* cmd = nullptr;
  std::vector<std::string> argv;
};

// A key this client WATCHes. `expired`: the key was already logically expired when watched
// (its deletion by expiry is then no change).
struct WatchedKey {
  int db = 0;
  std::string key;
  bool expired = false;
};

// Pub/sub subscriptions (allocated on the first subscription).
struct Subscriptions {
  std::unordered_set<std::string> channels;
  std::unordered_set<std::string> patterns;
  std::unordered_set<std::string> shard_channels;
  size_t total() const { return channels.size() + patterns.size() + shard_channels.size(); }
};

// A replica attached to this server (after PSYNC/SYNC).
struct ReplicaInfo {
  // kWaitAck: a diskless transfer ended; online once the replica's first ACK says it loaded.
  enum class State { kWaitBgsaveStart, kWaitBgsaveEnd, kSendBulk, kWaitAck, kOnline };
  State state = State::kWaitBgsaveStart;
  int listening_port = 0;    // REPLCONF listening-port
  std::string announced_ip;  // REPLCONF ip-address
  bool capa_eof = false;
  bool capa_psync2 = false;
  bool old_sync = false;     // SYNC: no +FULLRESYNC line
  bool diskless = false;     // its snapshot goes straight from the child to its socket
  bool acked_load = false;   // it ACKed (so loaded) its diskless snapshot before we saw the child end
  int64_t ack_offset = 0;
  int64_t ack_time_ms = 0;
  int64_t initial_offset = 0;  // the offset its full sync started from
  // Bytes sent before the stream: +FULLRESYNC, keepalive newlines, the RDB.
  std::string preamble;
  size_t preamble_sent = 0;
  // The RDB file of a disk-based sync, shared by every replica it serves; sent after the
  // preamble.
  std::shared_ptr<const std::string> bulk;
  size_t bulk_sent = 0;
  // Catching up: from a full sync's snapshot (or a partial resync's offset) until it has
  // every byte, the replica reads its stream from the shared backlog, which is pinned at
  // `next`, the next byte not yet handed to its output, instead of getting a private copy.
  bool catchup = false;
  int64_t next = 0;
  // Whether a catching-up replica converges: its lag when last measured (and when).
  int64_t lag_checked_ms = 0;
  int64_t lag_at_check = 0;
};

class Client {
 public:
  explicit Client(uint64_t id, const resp::RequestLimits* limits);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool Has(uint64_t f) const { return (flags & f) != 0; }

  uint64_t id;
  uint64_t flags = 0;
  int db_index = 0;
  Db* db = nullptr;
  int resp = 2;
  bool authenticated = false;
  std::string name;
  std::string addr;   // "127.0.0.1:50012", "[::1]:50012" or "/tmp/redis.sock:0"
  std::string laddr;
  int fd = -1;
  int64_t ctime_ms = 0;
  int64_t last_interaction_ms = 0;

  // Output: replies are built into `out` through `reply`.
  resp::OutputBuffer out;
  resp::ReplyBuilder reply{&out};
  int64_t obuf_soft_since_ms = 0;  // when the soft output limit was first exceeded (0: not)

  // Input: the private buffer holds a partial command (or input left while postponed).
  InputBuffer qbuf;
  resp::RequestParser parser;
  size_t argv_mem = 0;  // bytes of the command being executed (CLIENT LIST argv-mem)

  const Command* last_cmd = nullptr;
  uint64_t commands_processed = 0;
  uint64_t net_input_bytes = 0;
  uint64_t net_output_bytes = 0;

  std::unique_ptr<BlockedState> blocked;

  // Set when this client is a replica of this server.
  std::unique_ptr<ReplicaInfo> repl;
  // The replication offset after this client's last propagated write (WAIT).
  int64_t woff = 0;
  // Synchronous replication (min-sync-replicas): replies are held until enough replicas
  // acknowledged this offset (0: nothing held), since sync_hold_since_ms.
  int64_t sync_hold_offset = 0;
  int64_t sync_hold_since_ms = 0;

  // Transactions: the queue between MULTI and EXEC, and the WATCHed keys.
  std::vector<QueuedCommand> multi_queue;
  size_t multi_mem = 0;
  std::vector<WatchedKey> watched;

  std::unique_ptr<Subscriptions> subs;
  std::unique_ptr<TrackingState> tracking;
  size_t SubscriptionCount() const { return subs ? subs->channels.size() + subs->patterns.size() : 0; }
  size_t ShardSubscriptionCount() const { return subs ? subs->shard_channels.size() : 0; }

  Connection* conn = nullptr;  // null for fake clients

  // Bytes this client holds: its struct, input and output buffers, the command being run,
  // queued MULTI commands, watched keys and subscriptions (Redis's getClientMemoryUsage).
  // What CLIENT LIST tot-mem, mem_clients_normal and maxmemory-clients count.
  size_t MemoryUsage() const;
  // The figure last added to the server's total of client memory (maxmemory-clients).
  size_t accounted_mem = 0;
};

}  // namespace tessera
