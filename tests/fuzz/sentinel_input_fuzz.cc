// Fuzz target: what watched servers and configuration files hand the sentinel. The first byte
// chooses the input: an INFO reply, a hello message, a reply to a PING, or configuration text.
#include <cstdint>
#include <string>

#include "sentinel/core/config.h"
#include "sentinel/core/sentinel.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tessera::sentinel;
  if (size == 0) return 0;
  std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 4 == 3) {
    SentinelConfig cfg;
    std::string err;
    ParseConfig(text, "fuzz", &cfg, &err);
    SentinelConfig merged;
    ApplyState(cfg, &merged);
    return 0;
  }
  Identity id;
  id.myid = std::string(40, 'a');
  Sentinel s(id, 0);
  MasterSpec spec;
  spec.name = "m";
  spec.addr = {"127.0.0.1", 6379};
  spec.known_replicas = {{"127.0.0.1", 6380}};
  s.Monitor(spec, 1000);
  tessera::resp::Value v;
  v.type = tessera::resp::Value::Type::kBulkString;
  v.str = text;
  for (const char* replica : {"", "127.0.0.1:6380"}) {
    InstanceRef ref{"m", replica};
    switch (data[0] % 4) {
      case 0:
        s.OnReply(ref, Cmd::kInfo, v, 2000);
        break;
      case 1:
        s.OnHello(text, 2000);
        break;
      default:
        v.type = tessera::resp::Value::Type::kError;
        s.OnReply(ref, Cmd::kPing, v, 2000);
        break;
    }
    s.Tick(2010);
    s.Tick(5000);
  }
  s.SerializeState();
  s.TakeOutbox();
  return 0;
}
