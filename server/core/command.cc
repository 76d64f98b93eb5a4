#include "server/core/command.h"

#include <algorithm>
#include <cctype>
#include <climits>

#include "common/strutil.h"

namespace tessera {

namespace {

uint64_t NameHash(std::string_view s) {
  uint64_t h = 1469598103934665603ULL;
  for (char c : s) {
    h ^= static_cast<uint8_t>(AsciiLower(c));
    h *= 1099511628211ULL;
  }
  return h;
}

uint64_t ImplicitAcl(uint64_t flags, uint64_t acl) {
  if (flags & kCmdWrite) acl |= kAclWrite;
  if ((flags & kCmdReadonly) && !(acl & kAclScripting)) acl |= kAclRead;
  if (flags & kCmdAdmin) acl |= kAclAdmin | kAclDangerous;
  if (flags & kCmdPubsub) acl |= kAclPubsub;
  if (flags & kCmdFast) acl |= kAclFast;
  if (flags & kCmdBlocking) acl |= kAclBlocking;
  if (!(acl & kAclFast)) acl |= kAclSlow;
  return acl;
}

// Derives the legacy (first, last, step) triple and movablekeys as Redis does.
void DeriveLegacyRange(Command* c) {
  const auto& specs = c->spec.keys;
  if (specs.empty()) return;
  if (specs.size() == 1 && specs[0].begin == KeySpec::Begin::kIndex &&
      specs[0].find == KeySpec::Find::kRange) {
    c->first_key = specs[0].index;
    c->last_key = specs[0].lastkey >= 0 ? specs[0].lastkey + specs[0].index : specs[0].lastkey;
    c->key_step = specs[0].keystep;
    if (specs[0].flags & kKsIncomplete) c->flags |= kCmdMovableKeys;
    return;
  }
  int first = INT_MAX;
  int last = 0;
  int prev_last = 0;
  for (const KeySpec& k : specs) {
    if (k.begin != KeySpec::Begin::kIndex || k.find != KeySpec::Find::kRange) {
      c->flags |= kCmdMovableKeys;
      continue;
    }
    if (k.keystep != 1 || (prev_last && prev_last != k.index - 1)) {
      c->flags |= kCmdMovableKeys;
      continue;
    }
    if (k.flags & kKsIncomplete) c->flags |= kCmdMovableKeys;
    first = std::min(first, k.index);
    int abs_last = k.lastkey >= 0 ? k.lastkey + k.index : k.lastkey;
    last = static_cast<int>(std::max(static_cast<unsigned>(last), static_cast<unsigned>(abs_last)));
    prev_last = last;
  }
  if (first == INT_MAX) return;
  c->first_key = first;
  c->last_key = last;
  c->key_step = 1;
}

std::unique_ptr<Command> Build(CommandSpec spec, Command* parent) {
  auto c = std::make_unique<Command>();
  c->parent = parent;
  c->fullname = parent ? parent->fullname + "|" + ToLower(spec.name) : ToLower(spec.name);
  c->flags = spec.flags;
  c->acl = ImplicitAcl(spec.flags, spec.acl);
  std::vector<CommandSpec> subs = std::move(spec.subcommands);
  spec.subcommands.clear();
  c->spec = std::move(spec);
  DeriveLegacyRange(c.get());
  c->doc_args = ParseDocArgs(c->spec.doc.args);
  for (CommandSpec& s : subs) {
    c->subcommands.push_back(Build(std::move(s), c.get()));
  }
  return c;
}

}  // namespace

const Command* Command::FindSub(std::string_view name) const {
  for (const auto& s : subcommands) {
    if (EqualsIgnoreCase(s->spec.name, name)) return s.get();
  }
  return nullptr;
}

CommandTable::CommandTable() = default;
CommandTable::~CommandTable() = default;

void CommandTable::Add(CommandSpec spec) {
  commands_.push_back(Build(std::move(spec), nullptr));
  Rebuild();
}

void CommandTable::Rebuild() {
  size_t cap = 16;
  while (cap < commands_.size() * 3) cap *= 2;
  slots_.assign(cap, nullptr);
  for (const auto& c : commands_) {
    size_t i = NameHash(c->spec.name) & (cap - 1);
    while (slots_[i] != nullptr) i = (i + 1) & (cap - 1);
    slots_[i] = c.get();
  }
}

const Command* CommandTable::Find(std::string_view name) const {
  if (slots_.empty()) return nullptr;
  size_t mask = slots_.size() - 1;
  for (size_t i = NameHash(name) & mask;; i = (i + 1) & mask) {
    const Command* c = slots_[i];
    if (c == nullptr) return nullptr;
    if (EqualsIgnoreCase(c->spec.name, name)) return c;
  }
}

const Command* CommandTable::Lookup(std::span<const std::string_view> argv,
                                    bool* unknown_sub) const {
  *unknown_sub = false;
  if (argv.empty()) return nullptr;
  const Command* c = Find(argv[0]);
  if (c == nullptr || c->subcommands.empty() || argv.size() < 2) return c;
  const Command* sub = c->FindSub(argv[1]);
  if (sub == nullptr) {
    *unknown_sub = true;
    return c;
  }
  return sub;
}

bool CommandTable::GetKeys(const Command& cmd, std::span<const std::string_view> argv,
                           std::vector<KeyRef>* out) {
  out->clear();
  if (cmd.spec.get_keys != nullptr) {
    cmd.spec.get_keys(argv, out);
    return true;
  }
  int argc = static_cast<int>(argv.size());
  for (const KeySpec& spec : cmd.spec.keys) {
    if (spec.flags & kKsNotKey) continue;
    if (spec.begin == KeySpec::Begin::kUnknown || spec.find == KeySpec::Find::kUnknown) continue;
    int first = 0;
    if (spec.begin == KeySpec::Begin::kIndex) {
      first = spec.index;
    } else {
      int start = spec.startfrom > 0 ? spec.startfrom : argc + spec.startfrom;
      int end = spec.startfrom > 0 ? argc - 1 : 0;
      for (int i = start; i != end; i = start <= end ? i + 1 : i - 1) {
        if (i >= argc || i < 1) break;
        if (EqualsIgnoreCase(argv[i], spec.keyword)) {
          first = i + 1;
          break;
        }
      }
      if (first == 0) continue;
    }
    int last, step;
    if (spec.find == KeySpec::Find::kRange) {
      step = spec.keystep;
      if (spec.lastkey >= 0) {
        last = first + spec.lastkey;
      } else if (spec.limit == 0) {
        last = argc + spec.lastkey;
      } else {
        last = first + ((argc - first) / spec.limit + spec.lastkey);
      }
    } else {
      step = spec.keystep;
      if (spec.keynumidx >= argc - first) return false;
      auto n = ParseInt64(argv[first + spec.keynumidx]);
      if (!n || *n < 0 || *n > argc) return false;
      first += spec.firstkey;
      last = first + static_cast<int>(*n) - 1;
      if (*n == 0) continue;
    }
    if (last >= argc || last < first || first >= argc) return false;
    for (int i = first; i <= last; i += step) {
      out->push_back(KeyRef{i, spec.flags});
    }
  }
  if (cmd.spec.resolve_key_flags != nullptr) cmd.spec.resolve_key_flags(argv, out);
  return true;
}

std::vector<std::string_view> CommandTable::FlagNames(uint64_t flags) {
  static const std::pair<uint64_t, std::string_view> kNames[] = {
      {kCmdWrite, "write"},       {kCmdReadonly, "readonly"},
      {kCmdDenyOom, "denyoom"},   {kCmdModule, "module"},
      {kCmdAdmin, "admin"},       {kCmdPubsub, "pubsub"},
      {kCmdNoscript, "noscript"}, {kCmdBlocking, "blocking"},
      {kCmdLoading, "loading"},   {kCmdStale, "stale"},
      {kCmdSkipMonitor, "skip_monitor"}, {kCmdSkipSlowlog, "skip_slowlog"},
      {kCmdAsking, "asking"},     {kCmdFast, "fast"},
      {kCmdNoAuth, "no_auth"},    {kCmdNoMandatoryKeys, "no_mandatory_keys"},
      {kCmdNoAsyncLoading, "no_async_loading"}, {kCmdNoMulti, "no_multi"},
      {kCmdMovableKeys, "movablekeys"}, {kCmdAllowBusy, "allow_busy"},
  };
  std::vector<std::string_view> out;
  for (const auto& [bit, name] : kNames) {
    if (flags & bit) out.push_back(name);
  }
  return out;
}

std::vector<std::string_view> CommandTable::AclNames(uint64_t acl) {
  static const std::string_view kNames[] = {
      "keyspace", "read", "write", "set", "sortedset", "list", "hash", "string",
      "bitmap", "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow",
      "blocking", "dangerous", "connection", "transaction", "scripting"};
  std::vector<std::string_view> out;
  for (size_t i = 0; i < std::size(kNames); ++i) {
    if (acl & (1ULL << i)) out.push_back(kNames[i]);
  }
  return out;
}

std::vector<std::string_view> CommandTable::KeySpecFlagNames(uint32_t flags) {
  static const std::pair<uint32_t, std::string_view> kNames[] = {
      {kKsRO, "RO"},         {kKsRW, "RW"},         {kKsOW, "OW"},
      {kKsRM, "RM"},         {kKsAccess, "access"}, {kKsUpdate, "update"},
      {kKsInsert, "insert"}, {kKsDelete, "delete"}, {kKsNotKey, "not_key"},
      {kKsIncomplete, "incomplete"}, {kKsVariableFlags, "variable_flags"},
  };
  std::vector<std::string_view> out;
  for (const auto& [bit, name] : kNames) {
    if (flags & bit) out.push_back(name);
  }
  return out;
}

// ---- synopsis parsing ----

namespace {

struct SynNode {
  bool is_group = false;
  std::string word;  // atom: "TOKEN" or "name:type"
  std::string label;
  bool optional = false;
  bool multiple = false;
  std::vector<std::vector<SynNode>> alternatives;  // group
};

class SynParser {
 public:
  explicit SynParser(std::string_view s) : s_(s) {}

  std::vector<SynNode> ParseSeq() {
    std::vector<SynNode> seq;
    while (true) {
      Skip();
      if (pos_ >= s_.size() || s_[pos_] == ']' || s_[pos_] == ')' || s_[pos_] == '|') {
        return seq;
      }
      SynNode n;
      char c = s_[pos_];
      if (c == '[' || c == '(') {
        ++pos_;
        n.is_group = true;
        n.optional = c == '[';
        Skip();
        size_t eq = s_.find('=', pos_);
        size_t stop = s_.find_first_of(" []()|", pos_);
        if (eq != std::string_view::npos && eq < stop) {
          n.label = std::string(s_.substr(pos_, eq - pos_));
          pos_ = eq + 1;
        }
        while (true) {
          n.alternatives.push_back(ParseSeq());
          Skip();
          if (pos_ < s_.size() && s_[pos_] == '|') {
            ++pos_;
            continue;
          }
          break;
        }
        if (pos_ < s_.size()) ++pos_;  // closing bracket
      } else {
        size_t stop = s_.find_first_of(" []()|", pos_);
        if (stop == std::string_view::npos) stop = s_.size();
        n.word = std::string(s_.substr(pos_, stop - pos_));
        pos_ = stop;
      }
      Skip();
      if (s_.substr(pos_, 3) == "...") {
        n.multiple = true;
        pos_ += 3;
      } else if (!n.word.empty() && n.word.size() > 3 &&
                 n.word.compare(n.word.size() - 3, 3, "...") == 0) {
        n.word.resize(n.word.size() - 3);
        n.multiple = true;
      }
      seq.push_back(std::move(n));
    }
  }

 private:
  void Skip() {
    while (pos_ < s_.size() && s_[pos_] == ' ') ++pos_;
  }
  std::string_view s_;
  size_t pos_ = 0;
};

bool IsToken(const std::string& w) {
  if (w.empty() || w.find(':') != std::string::npos) return false;
  for (char c : w) {
    if (islower(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

DocArg AtomArg(const std::string& word) {
  DocArg a;
  size_t colon = word.rfind(':');
  if (colon == std::string::npos) {
    a.name = ToLower(word);
    a.type = "pure-token";
    a.token = word;
  } else {
    a.name = word.substr(0, colon);
    a.type = word.substr(colon + 1);
  }
  return a;
}

std::vector<DocArg> ConvertSeq(const std::vector<SynNode>& seq);

// One alternative (a sequence) as a single argument: itself, a token+value, or a block.
DocArg ConvertAlternative(const std::vector<SynNode>& seq, const std::string& label) {
  std::vector<DocArg> args = ConvertSeq(seq);
  if (args.size() == 1) return args[0];
  DocArg block;
  block.type = "block";
  size_t begin = 0;
  if (!args.empty() && args[0].type == "pure-token" && !seq[0].is_group) {
    block.token = args[0].token;
    begin = 1;
  }
  block.name = !label.empty() ? label
               : !block.token.empty() ? ToLower(block.token)
               : !args.empty() ? args[0].name
                               : "block";
  block.children.assign(args.begin() + static_cast<long>(begin), args.end());
  return block;
}

std::vector<DocArg> ConvertSeq(const std::vector<SynNode>& seq) {
  std::vector<DocArg> out;
  for (size_t i = 0; i < seq.size(); ++i) {
    const SynNode& n = seq[i];
    DocArg a;
    if (!n.is_group) {
      a = AtomArg(n.word);
      // "TOKEN name:type" becomes one argument with a token.
      if (a.type == "pure-token" && i + 1 < seq.size() && !seq[i + 1].is_group &&
          !IsToken(seq[i + 1].word) && seq.size() == 2) {
        DocArg v = AtomArg(seq[i + 1].word);
        v.token = n.word;
        v.multiple = seq[i + 1].multiple;
        out.push_back(v);
        ++i;
        continue;
      }
    } else if (n.alternatives.size() > 1) {
      a.type = "oneof";
      for (const auto& alt : n.alternatives) {
        a.children.push_back(ConvertAlternative(alt, ""));
      }
      a.name = !n.label.empty() ? n.label : a.children.empty() ? "choice" : a.children[0].name;
    } else {
      a = ConvertAlternative(n.alternatives.empty() ? std::vector<SynNode>{} : n.alternatives[0],
                             n.label);
    }
    if (n.optional) a.optional = true;
    if (n.multiple) a.multiple = true;
    out.push_back(a);
  }
  return out;
}

void NumberKeys(std::vector<DocArg>& args, int& next) {
  for (DocArg& a : args) {
    if (a.type == "key") a.key_spec_index = next++;
    NumberKeys(a.children, next);
  }
}

}  // namespace

std::vector<DocArg> ParseDocArgs(std::string_view synopsis) {
  if (synopsis.empty()) return {};
  SynParser p(synopsis);
  std::vector<DocArg> args = ConvertSeq(p.ParseSeq());
  int next = 0;
  NumberKeys(args, next);
  return args;
}

}  // namespace tessera
