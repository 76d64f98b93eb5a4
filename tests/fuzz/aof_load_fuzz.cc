// Fuzz target: the AOF loader's parsing of whatever bytes a file holds. The command reader
// must end with a command, the end, a truncated tail or corruption, never crash or loop; what
// it reads re-encodes to the same commands; the manifest parser refuses or round-trips.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "server/persistence/aof.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tessera;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  {
    aof::CommandReader reader(in);
    std::vector<std::string> argv;
    std::string again;
    size_t last = 0;
    for (;;) {
      auto r = reader.Next(&argv);
      if (reader.consumed() > size || reader.offset() > size || reader.safe_end() > size) abort();
      if (r != aof::CommandReader::Result::kCommand) break;
      if (argv.empty() || reader.consumed() <= last) abort();  // progress on every command
      last = reader.consumed();
      aof::AppendCommand(again, argv);
    }
    // Re-encoded commands read back as the same commands.
    aof::CommandReader check(again);
    std::vector<std::string> a;
    while (check.Next(&a) == aof::CommandReader::Result::kCommand) {
    }
    if (check.consumed() != again.size()) abort();
  }
  {
    aof::Manifest m;
    std::string err;
    if (aof::Manifest::Parse(in, &m, &err)) {
      aof::Manifest back;
      if (!aof::Manifest::Parse(m.Serialize(), &back, &err)) abort();
      if (back.files.size() != m.files.size()) abort();
      for (size_t i = 0; i < m.files.size(); ++i) {
        if (back.files[i].name != m.files[i].name || back.files[i].seq != m.files[i].seq ||
            back.files[i].type != m.files[i].type) {
          abort();
        }
      }
    }
  }
  return 0;
}
