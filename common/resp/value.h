// A parsed RESP2/RESP3 value and an incremental, sans-I/O parser for replies (used by clients,
// tools and tests). Limits on bulk size, aggregate size and nesting depth are set up front.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::resp {

struct Value {
  enum class Type {
    kSimpleString,  // +
    kError,         // - (and RESP3 blob error !)
    kInteger,       // :
    kBulkString,    // $
    kNull,          // $-1, *-1, _
    kArray,         // *
    kMap,           // % (elements hold key, value, key, value ...)
    kSet,           // ~
    kDouble,        // ,
    kBoolean,       // #
    kBigNumber,     // (
    kVerbatim,      // = (str holds "txt:..." with the format prefix)
    kPush,          // >
    kAttribute,     // | (elements as kMap; the value it annotates follows separately)
  };
  Type type = Type::kNull;
  std::string str;       // strings, errors, double/big number text
  int64_t integer = 0;   // integers and booleans (0/1)
  std::vector<Value> elements;

  bool IsAggregate() const {
    return type == Type::kArray || type == Type::kMap || type == Type::kSet ||
           type == Type::kPush || type == Type::kAttribute;
  }
  // A compact, human-readable rendering for tests and the CLI ("OK", "(nil)", "[a, b]",
  // "{k: v}", "(error) ERR x", "(integer) 3" is rendered as "3").
  std::string ToString() const;
};

struct ValueLimits {
  int64_t max_bulk_len = 512LL * 1024 * 1024;
  int64_t max_aggregate_len = INT32_MAX;
  int max_depth = 128;
};

class ValueParser {
 public:
  enum class Result { kNeedMore, kValue, kError };

  explicit ValueParser(ValueLimits limits = {}) : limits_(limits) {}

  // Consumes bytes from data[0, len). On kValue, take() returns the value; consumed() bytes
  // were used. On kNeedMore, consumed() bytes were used (the caller drops them) and the parser
  // keeps the partially built value. On kError, error() says why; the stream is unusable.
  Result Feed(const char* data, size_t len);
  size_t consumed() const { return consumed_; }
  Value take() { return std::move(done_); }
  const std::string& error() const { return error_; }

 private:
  struct Frame {
    Value value;
    int64_t remaining;
  };
  Result Fail(std::string msg);
  // Adds a completed value to the innermost open aggregate, or finishes the top-level value.
  bool Complete(Value v);

  ValueLimits limits_;
  std::vector<Frame> stack_;
  Value done_;
  bool have_done_ = false;
  size_t consumed_ = 0;
  std::string error_;
};

// Appends argv as a RESP multibulk request ("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n").
void AppendCommand(std::string& out, std::span<const std::string> argv);

}  // namespace tessera::resp
