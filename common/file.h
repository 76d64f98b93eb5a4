// Whole-file reads for small files and tools (the server's big files are mapped instead).
#pragma once

#include <string>

namespace tessera {

// Reads all of `path` into *out; false (errno set) when it cannot be opened or read.
bool ReadWholeFile(const std::string& path, std::string* out);

}  // namespace tessera
