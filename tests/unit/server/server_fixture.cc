#include "tests/unit/server/server_fixture.h"

namespace tessera::testing {

ServerFixture::ServerFixture() {
  server_.clock().Freeze(kStartUs);
  server_.config().enable_debug_command = 1;
  std::string err;
  EXPECT_TRUE(server_.Init(&err)) << err;
  client_ = server_.CreateFakeClient();
}

ServerFixture::~ServerFixture() = default;

namespace {
std::string TakeOutput(Client* c) {
  std::string s;
  struct iovec iov[64];
  while (!c->out.empty()) {
    int n = c->out.Gather(iov, 64);
    size_t total = 0;
    for (int i = 0; i < n; ++i) {
      s.append(static_cast<char*>(iov[i].iov_base), iov[i].iov_len);
      total += iov[i].iov_len;
    }
    c->out.Consume(total);
  }
  return s;
}

resp::Value ParseOne(const std::string& raw) {
  resp::ValueParser p;
  auto r = p.Feed(raw.data(), raw.size());
  if (r != resp::ValueParser::Result::kValue) {
    resp::Value v;
    v.type = resp::Value::Type::kError;
    v.str = "NO REPLY (" + raw + ")";
    return v;
  }
  return p.take();
}
}  // namespace

std::string ServerFixture::RunOn(Client* c, std::initializer_list<std::string_view> args) {
  std::vector<std::string_view> argv(args.begin(), args.end());
  server_.ExecuteCommand(*c, argv);
  std::string raw = TakeOutput(c);
  if (raw.empty()) return "(no reply)";
  return ParseOne(raw).ToString();
}

std::string ServerFixture::Pending(Client* c) {
  std::string raw = TakeOutput(c);
  if (raw.empty()) return "(no reply)";
  return ParseOne(raw).ToString();
}

std::vector<std::string> ServerFixture::PendingAll(Client* c) {
  std::string raw = TakeOutput(c);
  std::vector<std::string> out;
  resp::ValueParser p;
  size_t off = 0;
  while (off < raw.size()) {
    auto r = p.Feed(raw.data() + off, raw.size() - off);
    if (r != resp::ValueParser::Result::kValue) {
      out.push_back("UNPARSED (" + raw.substr(off) + ")");
      break;
    }
    off += p.consumed();
    out.push_back(p.take().ToString());
  }
  return out;
}

std::string ServerFixture::RunVec(const std::vector<std::string>& args) {
  std::vector<std::string_view> argv(args.begin(), args.end());
  server_.ExecuteCommand(*client_, argv);
  std::string raw = TakeOutput(client_);
  if (raw.empty()) return "(no reply)";
  return ParseOne(raw).ToString();
}

resp::Value ServerFixture::RunValue(std::initializer_list<std::string_view> args) {
  std::vector<std::string_view> argv(args.begin(), args.end());
  server_.ExecuteCommand(*client_, argv);
  return ParseOne(TakeOutput(client_));
}

}  // namespace tessera::testing
