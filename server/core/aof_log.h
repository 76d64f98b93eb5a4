// The server's append-only log: receives every propagated write (as a PropagationSink),
// buffers it as commands, writes the buffer to the current incremental file before the loop
// sends replies, and fsyncs by `appendfsync` (always: before the replies leave; everysec: on a
// background thread once a second; no: never). Holds the manifest of the multi-part AOF
// folder and switches to a new incremental file when a rewrite starts.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <utility>

#include "server/core/server.h"
#include "server/persistence/aof.h"

namespace tessera {

enum class AppendFsync { kAlways = 0, kEverysec = 1, kNo = 2 };

class AofLog : public PropagationSink {
 public:
  AofLog(std::string dir, std::string prefix);
  ~AofLog() override;
  AofLog(const AofLog&) = delete;
  AofLog& operator=(const AofLog&) = delete;

  const std::string& dir() const { return dir_; }
  const std::string& prefix() const { return prefix_; }
  aof::Manifest& manifest() { return manifest_; }
  std::string PathOf(const std::string& name) const { return dir_ + "/" + name; }

  // Writes the manifest atomically (temp file, fsync, rename, fsync of the folder).
  bool WriteManifest(std::string* err);
  // Makes `name` the file appends go to (created or opened for appending); the next command
  // starts with a SELECT.
  bool OpenIncr(const std::string& name, std::string* err);

  void Feed(int dbid, std::span<const std::string> argv) override;
  void set_timestamps(bool on) { timestamps_ = on; }
  // Writes what is buffered and fsyncs per policy; false on a write error (kept buffered).
  bool Flush(AppendFsync policy, int64_t now_ms);
  // Everysec: asks the background thread for an fsync if a second passed since the last one.
  void MaybeBackgroundFsync(int64_t now_ms);
  void Close();

  bool has_pending() const { return !buf_.empty(); }
  // Whether commands were fed since the last call (this loop turn's writes).
  bool TakeFed() { return std::exchange(fed_, false); }
  size_t buffered() const { return buf_.size(); }
  uint64_t current_size() const { return size_; }
  uint64_t base_size() const { return base_size_; }
  void set_base_size(uint64_t n) { base_size_ = n; }
  uint64_t delayed_fsync() const { return delayed_fsync_; }
  // False after a failed write or fsync (also a background one) until one succeeds again;
  // writes are refused meanwhile (MISCONF), as Redis does.
  bool last_write_ok();
  int last_write_errno();
  int fd() const { return fd_; }

 private:
  void FsyncThread();

  std::string dir_, prefix_;
  aof::Manifest manifest_;
  int fd_ = -1;
  std::string buf_;
  int selected_db_ = -1;
  bool timestamps_ = false;
  bool fed_ = false;
  int64_t last_ts_s_ = 0;
  uint64_t size_ = 0;
  uint64_t base_size_ = 0;
  uint64_t delayed_fsync_ = 0;
  bool last_write_ok_ = true;
  int last_write_errno_ = 0;
  int64_t last_fsync_ms_ = 0;

  std::mutex mu_;
  std::condition_variable cv_;
  bool fsync_requested_ = false;
  bool fsync_running_ = false;
  bool stop_ = false;
  int bg_fsync_errno_ = 0;
  std::thread thread_;
};

}  // namespace tessera
