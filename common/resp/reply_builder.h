// Builds RESP2 or RESP3 replies into an OutputBuffer. Handlers say what they reply (a map, a
// null, a double) and the builder picks the encoding for the client's protocol version.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/resp/output_buffer.h"

namespace tessera::resp {

class ReplyBuilder {
 public:
  // Called for every error reply (even when replies are muted), for error statistics.
  using ErrorHook = void (*)(void* ctx, std::string_view error);

  explicit ReplyBuilder(OutputBuffer* out) : out_(out) {}

  void set_resp3(bool on) { resp3_ = on; }
  bool resp3() const { return resp3_; }
  // While muted (CLIENT REPLY OFF/SKIP, a client being closed) nothing is written.
  void set_muted(bool on) { muted_ = on; }
  bool muted() const { return muted_; }
  void set_error_hook(ErrorHook hook, void* ctx) {
    error_hook_ = hook;
    error_ctx_ = ctx;
  }
  OutputBuffer* buffer() { return out_; }

  void Ok() { Raw("+OK\r\n"); }
  void SimpleString(std::string_view s);
  // `err` is the full error line without the leading '-' ("ERR syntax error"); CR/LF inside
  // are replaced by spaces as Redis does.
  void Error(std::string_view err);
  void Integer(int64_t v);
  void Bulk(std::string_view s);
  void BulkInt(int64_t v);  // an integer sent as a bulk string
  void Null();              // $-1 / _
  void NullArray();         // *-1 / _
  void ArrayHeader(size_t n);
  void MapHeader(size_t n);  // n pairs; RESP2 gets an array of 2n
  void SetHeader(size_t n);  // RESP2 gets an array
  void PushHeader(size_t n);  // RESP2 gets an array
  void AttributeHeader(size_t n);
  void Double(double d);      // RESP2: bulk string "%.17g"; RESP3: ','
  // A double already formatted (e.g. Redis's "human" long double form); RESP3: ','.
  void DoubleText(std::string_view text);
  void Bool(bool b);          // RESP2: integer 0/1
  void BigNumber(std::string_view digits);  // RESP2: bulk string
  void Verbatim(std::string_view text, std::string_view format = "txt");  // RESP2: bulk
  void EmptyArray() { Raw("*0\r\n"); }
  void Raw(std::string_view s) {
    if (!muted_) out_->Append(s);
  }

  // A header whose count is only known after the elements were written.
  enum class Agg { kArray, kMap, kSet, kPush };
  void* DeferLen() { return muted_ ? nullptr : out_->DeferHeader(); }
  void SetDeferredLen(void* handle, Agg kind, size_t n);

 private:
  void Header(char type, int64_t n);

  OutputBuffer* out_;
  bool resp3_ = false;
  bool muted_ = false;
  ErrorHook error_hook_ = nullptr;
  void* error_ctx_ = nullptr;
};

}  // namespace tessera::resp
