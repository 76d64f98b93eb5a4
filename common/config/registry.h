// The configuration registry: typed directives with defaults, validation and mutability, a
// redis.conf-style file with `include`, `--name value` overrides, CONFIG GET with glob
// patterns, atomic multi-pair CONFIG SET, and CONFIG REWRITE that keeps comments and order.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::config {

enum OptionFlags : uint32_t {
  kImmutable = 1 << 0,    // only from the file or command line
  kSensitive = 1 << 1,    // value never logged
  kHidden = 1 << 2,       // not listed by CONFIG GET * (but gettable by exact name)
  kProtected = 1 << 3,    // settable at runtime only with enable-protected-configs
  kMultiArg = 1 << 4,     // takes several arguments on one line (bind, save, ...)
  kAppendLines = 1 << 5,  // repeated lines in a file accumulate (save), first one resets
};

struct EnumName {
  std::string_view name;
  int value;
};

// How one directive is stored and converted. Exactly one of the typed targets is used.
struct OptionDef {
  enum class Kind { kBool, kInt, kMemory, kEnum, kString, kCustom };

  std::string_view name;
  std::string_view alias;  // old name accepted everywhere ("" if none)
  Kind kind = Kind::kString;
  uint32_t flags = 0;
  std::string_view default_value;  // text form, parsed at start like any other value
  void* target = nullptr;          // bool*, int64_t*, int*, std::string* or custom
  int64_t min = INT64_MIN;         // for kInt / kMemory
  int64_t max = INT64_MAX;
  std::span<const EnumName> enum_names;
  // kCustom: parse args into *target (false + *err on failure) and format *target back.
  bool (*custom_set)(void* target, std::span<const std::string> args, std::string* err) =
      nullptr;
  std::string (*custom_get)(const void* target) = nullptr;
  // kString: refuses a value (false + *err) before it is stored.
  bool (*check)(std::string_view name, std::string_view value, std::string* err) = nullptr;
  // Called after a runtime change (CONFIG SET); returning false rolls the change back.
  bool (*apply)(void* ctx, std::string* err) = nullptr;
};

class Registry {
 public:
  explicit Registry(void* apply_ctx = nullptr) : apply_ctx_(apply_ctx) {}

  // Registers a directive and sets its default value. Defaults must parse (aborts otherwise).
  void Add(const OptionDef& def);

  // Loads a config file (and what it includes). Errors say the file, line and directive.
  bool LoadFile(const std::string& path, std::string* err);
  // Parses config text (as read from a file, or from `--name value` arguments).
  bool LoadText(std::string_view text, const std::string& origin, std::string* err);
  // Sets one directive from already-split arguments at start-up (file or command line).
  bool SetFromArgs(std::string_view name, std::span<const std::string> args, std::string* err);

  // CONFIG SET: all pairs or none. On failure *err is the full Redis error text.
  bool SetAtomic(std::span<const std::pair<std::string, std::string>> pairs, bool allow_protected,
                 std::string* err);
  // CONFIG GET: (name, value) pairs for every directive or alias matching any pattern.
  std::vector<std::pair<std::string, std::string>> Get(std::span<const std::string> patterns) const;
  // The current value of one directive as text ("" if unknown).
  std::string GetValue(std::string_view name) const;
  bool Has(std::string_view name) const { return Find(name) != nullptr; }
  bool IsDefault(std::string_view name) const;

  // CONFIG REWRITE into the file loaded at start. Keeps comments, order and unknown lines
  // of the old file; changed directives are rewritten in place, new ones appended.
  bool Rewrite(std::string* err) const;
  const std::string& config_file() const { return config_file_; }
  void set_config_file(std::string path) { config_file_ = std::move(path); }

 private:
  struct Option {
    OptionDef def;
    std::string default_text;
  };
  const Option* Find(std::string_view name) const;
  Option* Find(std::string_view name);
  bool Set(Option& opt, std::span<const std::string> args, std::string* err);
  std::string Format(const Option& opt) const;
  bool LoadFileDepth(const std::string& path, int depth, std::string* err);
  bool LoadTextDepth(std::string_view text, const std::string& origin, int depth,
                     std::string* err);

  void* apply_ctx_;
  std::vector<Option> options_;
  std::map<std::string, size_t, std::less<>> index_;  // lowercase name or alias -> option
  std::map<std::string, bool, std::less<>> seen_in_load_;  // for kAppendLines
  std::string config_file_;
};

// Splits a CONFIG SET value for a multi-argument directive on spaces (as Redis does).
std::vector<std::string> SplitValue(std::string_view value);

}  // namespace tessera::config
