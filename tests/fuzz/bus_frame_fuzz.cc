// Fuzz target: bytes from a bus peer. The frame reader (with and without a shared secret) must
// never crash, and what it accepts goes through the sentinel's message decoding and handling.
#include <cstdint>
#include <string>

#include "cluster-bus/frame.h"
#include "sentinel/core/sentinel.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tessera;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  for (const char* secret : {"", "secret"}) {
    bus::FrameReader r(secret, 1 << 16);
    // Fed in two pieces: frames split across reads.
    r.Feed(bytes.substr(0, size / 2));
    bus::Envelope env;
    std::string err;
    sentinel::Identity id;
    id.myid = std::string(40, 'a');
    sentinel::Sentinel s(id, 0);
    sentinel::MasterSpec spec;
    spec.name = "m";
    spec.addr = {"127.0.0.1", 6379};
    s.Monitor(spec, 1000);
    bool fed_rest = false;
    int64_t now = 1000;
    for (;;) {
      auto res = r.Next(&env, &err);
      if (res == bus::FrameReader::Result::kMessage) {
        if (env.has_app()) s.OnBus(env.sender(), env.app().type(), env.app().payload(), now);
        now += 10;
        s.Tick(now);
        s.TakeOutbox();
        continue;
      }
      if (res == bus::FrameReader::Result::kFatal || fed_rest) break;
      r.Feed(bytes.substr(size / 2));
      fed_rest = true;
    }
  }
  return 0;
}
