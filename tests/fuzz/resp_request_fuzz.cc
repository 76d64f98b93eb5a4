// Fuzz target: the request parser must never crash, hang or read out of bounds, and splitting
// the input anywhere must not change what it parses.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "common/resp/request_parser.h"

namespace {

struct Result {
  std::vector<std::vector<std::string>> commands;
  std::string error;
};

Result Run(const std::string& input, size_t cut) {
  tessera::resp::RequestLimits limits;
  limits.max_bulk_len = 1 << 20;
  limits.max_inline_len = 4096;
  tessera::resp::RequestParser p(&limits);
  Result out;
  std::string buf;
  for (int part = 0; part < 2; ++part) {
    buf += part == 0 ? input.substr(0, cut) : input.substr(cut);
    while (true) {
      auto r = p.Parse(buf.data(), buf.size());
      if (r == tessera::resp::RequestParser::Result::kError) {
        out.error = p.error();
        return out;
      }
      if (r == tessera::resp::RequestParser::Result::kCommand) {
        std::vector<std::string> cmd;
        for (auto a : p.args()) cmd.emplace_back(a);
        out.commands.push_back(std::move(cmd));
      }
      if (p.consumed() > buf.size()) abort();
      buf.erase(0, p.consumed());
      if (r == tessera::resp::RequestParser::Result::kNeedMore) break;
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  Result whole = Run(input, size);
  Result split = Run(input, size / 2);
  if (whole.commands != split.commands || whole.error != split.error) abort();
  return 0;
}
