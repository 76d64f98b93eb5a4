#include "common/file.h"

#include <cstdio>

namespace tessera {

bool ReadWholeFile(const std::string& path, std::string* out) {
  FILE* f = fopen(path.c_str(), "rb");
  if (f == nullptr) return false;
  out->clear();
  char buf[1 << 16];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), f)) > 0) out->append(buf, n);
  bool ok = ferror(f) == 0;
  fclose(f);
  return ok;
}

}  // namespace tessera
