// Sans-I/O parser of client requests: RESP multibulk ("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n") and
// inline commands ("GET k\r\n"), with Redis's limits and exact protocol error texts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tessera::resp {

struct RequestLimits {
  int64_t max_bulk_len = 512LL * 1024 * 1024;  // proto-max-bulk-len
  int64_t max_multibulk_len = INT32_MAX;       // as Redis 7.0 (INT_MAX)
  size_t max_inline_len = 64 * 1024;           // PROTO_INLINE_MAX_SIZE
  int64_t unauth_max_multibulk = 10;           // before AUTH when a password is set
  int64_t unauth_max_bulk = 16384;
};

class RequestParser {
 public:
  enum class Result { kNeedMore, kCommand, kError };

  explicit RequestParser(const RequestLimits* limits) : limits_(limits) {}

  // Parses the next command from data[0, len). The caller keeps unconsumed bytes at the front:
  // after kCommand or kNeedMore it drops consumed() bytes; after kNeedMore the next call must
  // pass the same remaining bytes followed by newly received ones (partial state is kept).
  // kCommand: args() are views into data (or into parser storage for inline escapes), valid
  // until the next call. kError: error() holds the reply text; the connection must be closed.
  Result Parse(const char* data, size_t len, bool auth_required = false);

  std::span<const std::string_view> args() const { return argv_; }
  size_t consumed() const { return consumed_; }
  const std::string& error() const { return error_; }
  // Bytes the pending bulk argument still needs beyond what was seen (0 if unknown): lets the
  // caller size its buffer once for a large value.
  size_t bytes_wanted() const { return bytes_wanted_; }
  // True while a command has been partially received.
  bool in_progress() const { return mode_ != Mode::kIdle; }
  void Reset();

 private:
  enum class Mode { kIdle, kMultibulk, kInline };
  Result ParseMultibulk(const char* base, size_t avail, bool auth_required);
  Result ParseInline(const char* base, size_t avail);
  Result Fail(std::string msg);
  void Finish(const char* base);

  const RequestLimits* limits_;
  Mode mode_ = Mode::kIdle;
  size_t pos_ = 0;             // offset from the command start of the next unparsed byte
  int64_t mb_remaining_ = 0;   // arguments still to read
  int64_t bulk_len_ = -1;      // length of the argument being read, -1 before its header
  size_t consumed_ = 0;
  size_t bytes_wanted_ = 0;
  std::vector<std::pair<size_t, size_t>> arg_pos_;  // (offset, length) from command start
  std::vector<std::string_view> argv_;
  std::vector<std::string> inline_args_;
  std::string error_;
};

}  // namespace tessera::resp
