// The command table as data: each family declares its commands (name, arity, flags, key
// specs, ACL categories, docs, handler) and registers them here. Arity checks, key
// extraction for cluster slots, COMMAND INFO/DOCS/COUNT/LIST/GETKEYS and ACL all read this
// table; no handler re-checks what the table says.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "server/core/latency_histogram.h"

namespace tessera {

class CommandContext;
using CommandHandler = void (*)(CommandContext& ctx);

// Command flags, named as COMMAND INFO reports them.
enum CommandFlag : uint64_t {
  kCmdWrite = 1ULL << 0,
  kCmdReadonly = 1ULL << 1,
  kCmdDenyOom = 1ULL << 2,
  kCmdModule = 1ULL << 3,
  kCmdAdmin = 1ULL << 4,
  kCmdPubsub = 1ULL << 5,
  kCmdNoscript = 1ULL << 6,
  kCmdBlocking = 1ULL << 7,
  kCmdLoading = 1ULL << 8,
  kCmdStale = 1ULL << 9,
  kCmdSkipMonitor = 1ULL << 10,
  kCmdSkipSlowlog = 1ULL << 11,
  kCmdAsking = 1ULL << 12,
  kCmdFast = 1ULL << 13,
  kCmdNoAuth = 1ULL << 14,
  kCmdMayReplicate = 1ULL << 15,
  kCmdSentinel = 1ULL << 16,
  kCmdOnlySentinel = 1ULL << 17,
  kCmdNoMandatoryKeys = 1ULL << 18,
  kCmdProtected = 1ULL << 19,
  kCmdNoAsyncLoading = 1ULL << 20,
  kCmdNoMulti = 1ULL << 21,
  kCmdMovableKeys = 1ULL << 22,  // derived from the key specs
  kCmdAllowBusy = 1ULL << 23,
};

// ACL categories (the implicit ones, e.g. @write for write commands, are added by the table).
enum AclCategory : uint64_t {
  kAclKeyspace = 1ULL << 0,
  kAclRead = 1ULL << 1,
  kAclWrite = 1ULL << 2,
  kAclSet = 1ULL << 3,
  kAclSortedSet = 1ULL << 4,
  kAclList = 1ULL << 5,
  kAclHash = 1ULL << 6,
  kAclString = 1ULL << 7,
  kAclBitmap = 1ULL << 8,
  kAclHyperLogLog = 1ULL << 9,
  kAclGeo = 1ULL << 10,
  kAclStream = 1ULL << 11,
  kAclPubsub = 1ULL << 12,
  kAclAdmin = 1ULL << 13,
  kAclFast = 1ULL << 14,
  kAclSlow = 1ULL << 15,
  kAclBlocking = 1ULL << 16,
  kAclDangerous = 1ULL << 17,
  kAclConnection = 1ULL << 18,
  kAclTransaction = 1ULL << 19,
  kAclScripting = 1ULL << 20,
};

// Key spec flags, as COMMAND INFO names them.
enum KeySpecFlag : uint32_t {
  kKsRO = 1 << 0,
  kKsRW = 1 << 1,
  kKsOW = 1 << 2,
  kKsRM = 1 << 3,
  kKsAccess = 1 << 4,
  kKsUpdate = 1 << 5,
  kKsInsert = 1 << 6,
  kKsDelete = 1 << 7,
  kKsNotKey = 1 << 8,
  kKsIncomplete = 1 << 9,
  kKsVariableFlags = 1 << 10,
};

// A key position found in argv, with its key-spec flags.
struct KeyRef {
  int pos;
  uint32_t flags;
};

// Where a command's keys are (Redis 7 key specifications): a begin-search step (an index or a
// keyword) then a find-keys step (a range or a count argument).
struct KeySpec {
  // kUnknown: the keys cannot be found from the spec (the command's get_keys finds them).
  enum class Begin : uint8_t { kIndex, kKeyword, kUnknown };
  enum class Find : uint8_t { kRange, kKeynum, kUnknown };
  uint32_t flags = 0;
  Begin begin = Begin::kIndex;
  int index = 0;                 // kIndex: argv position
  std::string_view keyword;      // kKeyword: the word to look for
  int startfrom = 0;             // kKeyword: where to start looking (negative: from the end)
  Find find = Find::kRange;
  int lastkey = 0;               // kRange: last key relative to the begin (-1: argc-1 ...)
  int keystep = 1;
  int limit = 0;                 // kRange with lastkey -1: at most 1/limit of what is left
  int keynumidx = 0;             // kKeynum: count position relative to the begin
  int firstkey = 0;              // kKeynum: first key relative to the begin
  std::string_view notes;

  static KeySpec Range(int index, int lastkey, int keystep, uint32_t flags, int limit = 0) {
    KeySpec k;
    k.flags = flags;
    k.index = index;
    k.lastkey = lastkey;
    k.keystep = keystep;
    k.limit = limit;
    return k;
  }
  static KeySpec Keynum(int index, int keynumidx, int firstkey, int keystep, uint32_t flags) {
    KeySpec k;
    k.flags = flags;
    k.index = index;
    k.find = Find::kKeynum;
    k.keynumidx = keynumidx;
    k.firstkey = firstkey;
    k.keystep = keystep;
    return k;
  }
  static KeySpec Unknown(uint32_t flags, std::string_view notes) {
    KeySpec k;
    k.flags = flags;
    k.begin = Begin::kUnknown;
    k.find = Find::kUnknown;
    k.notes = notes;
    return k;
  }
  static KeySpec Keyword(std::string_view kw, int startfrom, int lastkey, int keystep,
                         uint32_t flags) {
    KeySpec k;
    k.flags = flags;
    k.begin = Begin::kKeyword;
    k.keyword = kw;
    k.startfrom = startfrom;
    k.lastkey = lastkey;
    k.keystep = keystep;
    return k;
  }
};

// Documentation served by COMMAND DOCS. `args` is a synopsis in a small notation:
//   name:type          an argument (types: key string integer double pattern unix-time ...)
//   TOKEN              a pure token;  TOKEN name:type  a token with its argument
//   [ ... ]            optional;  ( ... )  a group;  a|b  one of;  ...  repeats
//   [label= A | B]     names a one-of group
struct CommandDoc {
  std::string_view summary;
  std::string_view since;
  std::string_view group;
  std::string_view complexity;
  std::string_view args;
};

struct CommandSpec {
  std::string_view name;
  CommandHandler handler = nullptr;
  int arity = 0;  // negative: at least -arity arguments (the name counts)
  uint64_t flags = 0;
  uint64_t acl = 0;
  std::vector<KeySpec> keys;
  std::string_view tips;  // space-separated command tips
  CommandDoc doc;
  std::vector<CommandSpec> subcommands;
  // For specs flagged variable_flags: resolves the flags of the keys of one call (e.g. SET
  // with GET reads the key, without it only overwrites).
  void (*resolve_key_flags)(std::span<const std::string_view> argv,
                            std::vector<KeyRef>* keys) = nullptr;
  // For commands whose key specs cannot find every key (SORT's STORE): finds the keys of a
  // call instead of the specs.
  void (*get_keys)(std::span<const std::string_view> argv, std::vector<KeyRef>* keys) = nullptr;
};

// A documented argument, parsed from CommandDoc::args.
struct DocArg {
  std::string name;
  std::string type;  // key, string, integer, double, pattern, unix-time, pure-token, oneof, block
  std::string token;
  int key_spec_index = -1;
  bool optional = false;
  bool multiple = false;
  std::vector<DocArg> children;
};

struct CommandStats {
  uint64_t calls = 0;
  uint64_t usec = 0;
  uint64_t rejected = 0;
  uint64_t failed = 0;
  LatencyHistogram latency;
};

// A registered command with what the table derives from its spec.
struct Command {
  CommandSpec spec;
  std::string fullname;  // "get", "config|get"
  Command* parent = nullptr;
  std::vector<std::unique_ptr<Command>> subcommands;
  uint64_t flags = 0;  // spec flags plus derived ones (movablekeys)
  uint64_t acl = 0;    // spec categories plus implicit ones
  int first_key = 0, last_key = 0, key_step = 0;  // legacy (first, last, step)
  std::vector<DocArg> doc_args;
  mutable CommandStats stats;

  bool Is(uint64_t f) const { return (flags & f) != 0; }
  const Command* FindSub(std::string_view name) const;
  bool ArityOk(size_t argc) const {
    int a = spec.arity;
    return a > 0 ? static_cast<int>(argc) == a : static_cast<int>(argc) >= -a;
  }
};

class CommandTable {
 public:
  CommandTable();
  ~CommandTable();
  void Add(CommandSpec spec);
  // Case-insensitive lookup of a top-level command (no allocation).
  const Command* Find(std::string_view name) const;
  // The command argv names: a container's subcommand when argv[1] names one.
  // Returns nullptr if unknown; *unknown_sub is set when the container exists but not the sub.
  const Command* Lookup(std::span<const std::string_view> argv, bool* unknown_sub) const;
  size_t size() const { return commands_.size(); }
  const std::vector<std::unique_ptr<Command>>& all() const { return commands_; }

  // Keys of a call, from the key specs. Returns false if the arguments do not make sense for
  // the specs (e.g. a key count past the end).
  static bool GetKeys(const Command& cmd, std::span<const std::string_view> argv,
                      std::vector<KeyRef>* out);

  static std::vector<std::string_view> FlagNames(uint64_t flags);
  static std::vector<std::string_view> AclNames(uint64_t acl);
  static std::vector<std::string_view> KeySpecFlagNames(uint32_t flags);

 private:
  void Rebuild();
  std::vector<std::unique_ptr<Command>> commands_;
  // Open-addressing index over lowercase names.
  std::vector<const Command*> slots_;
};

// Parses the synopsis notation of CommandDoc::args. Key arguments are numbered in order.
std::vector<DocArg> ParseDocArgs(std::string_view synopsis);

}  // namespace tessera
