// Whole-file reads for small files and tools (the server's big files are mapped instead).
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

namespace tessera {

// Reads all of `path` into *out; false (errno set) when it cannot be opened or read.
bool ReadWholeFile(const std::string& path, std::string* out);

// Replaces `path` with `data` so that a crash leaves the old or the new contents, never a mix:
// a temp file in the same folder, fsynced, renamed over it, and the folder fsynced. False with
// *err (and the old file untouched) on failure.
bool WriteFileAtomic(const std::string& path, std::string_view data, mode_t mode,
                     std::string* err);

}  // namespace tessera
