#include "server/core/aof_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/core.h>

#include "common/clock.h"
#include "common/log.h"

namespace tessera {

AofLog::AofLog(std::string dir, std::string prefix)
    : dir_(std::move(dir)), prefix_(std::move(prefix)), thread_([this] { FsyncThread(); }) {}

AofLog::~AofLog() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
  if (fd_ >= 0) close(fd_);
}

void AofLog::FsyncThread() {
  std::unique_lock<std::mutex> lk(mu_);
  for (;;) {
    cv_.wait(lk, [this] { return stop_ || fsync_requested_; });
    if (stop_) return;
    fsync_requested_ = false;
    fsync_running_ = true;
    int fd = fd_;
    lk.unlock();
    int rc = fd >= 0 ? fdatasync(fd) : 0;
    int why = rc == 0 ? 0 : errno;
    lk.lock();
    fsync_running_ = false;
    if (why != 0 && bg_fsync_errno_ == 0) {
      LogWarning("Can't persist the AOF with a background fsync: {}", strerror(why));
    }
    bg_fsync_errno_ = why;
  }
}

bool AofLog::WriteManifest(std::string* err) {
  std::string path = PathOf(aof::ManifestName(prefix_));
  std::string tmp = PathOf("temp-" + aof::ManifestName(prefix_));
  std::string text = manifest_.Serialize();
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    *err = fmt::format("Can't open the AOF manifest file {}: {}", tmp, strerror(errno));
    return false;
  }
  bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
            fsync(fd) == 0;
  int saved = errno;
  close(fd);
  if (!ok || rename(tmp.c_str(), path.c_str()) != 0) {
    *err = fmt::format("Can't write the AOF manifest file {}: {}", path,
                       strerror(ok ? errno : saved));
    unlink(tmp.c_str());
    return false;
  }
  int dfd = open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
  return true;
}

bool AofLog::OpenIncr(const std::string& name, std::string* err) {
  std::string path = PathOf(name);
  int fd = open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    *err = fmt::format("Can't open the append-only file {}: {}", path, strerror(errno));
    return false;
  }
  struct stat st;
  fstat(fd, &st);
  {
    std::lock_guard<std::mutex> lk(mu_);
    if (fd_ >= 0) {
      fdatasync(fd_);  // what the old file holds is durable before appends move on
      close(fd_);
    }
    fd_ = fd;
  }
  size_ = static_cast<uint64_t>(st.st_size);
  selected_db_ = -1;
  return true;
}

void AofLog::Feed(int dbid, std::span<const std::string> argv) {
  fed_ = true;
  if (timestamps_) {
    int64_t now_s = Clock::RealUs() / 1000000;
    if (now_s > last_ts_s_) {
      buf_ += fmt::format("#TS:{}\r\n", now_s);
      last_ts_s_ = now_s;
    }
  }
  aof::AppendCommandInDb(buf_, dbid, &selected_db_, argv);
}

bool AofLog::Flush(AppendFsync policy, int64_t now_ms) {
  if (fd_ < 0) return true;
  while (!buf_.empty()) {
    ssize_t n = write(fd_, buf_.data(), buf_.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      if (last_write_ok_ || errno != last_write_errno_) {
        LogWarning("Error writing to the AOF file: {}", strerror(errno));
      }
      last_write_errno_ = errno;
      last_write_ok_ = false;
      return false;
    }
    size_ += static_cast<uint64_t>(n);
    buf_.erase(0, static_cast<size_t>(n));
  }
  if (!last_write_ok_) LogWarning("AOF write error looks solved, writes are accepted again.");
  last_write_ok_ = true;
  if (policy == AppendFsync::kAlways) {
    if (fdatasync(fd_) != 0) {
      LogWarning("Can't persist the AOF with fsync: {}", strerror(errno));
      last_write_errno_ = errno;
      last_write_ok_ = false;
      return false;
    }
    last_fsync_ms_ = now_ms;
  } else if (policy == AppendFsync::kEverysec) {
    MaybeBackgroundFsync(now_ms);
  }
  return true;
}

bool AofLog::last_write_ok() {
  std::lock_guard<std::mutex> lk(mu_);
  return last_write_ok_ && bg_fsync_errno_ == 0;
}

int AofLog::last_write_errno() {
  std::lock_guard<std::mutex> lk(mu_);
  return last_write_ok_ ? bg_fsync_errno_ : last_write_errno_;
}

void AofLog::MaybeBackgroundFsync(int64_t now_ms) {
  if (now_ms - last_fsync_ms_ < 1000) return;
  {
    std::lock_guard<std::mutex> lk(mu_);
    if (fsync_running_ || fsync_requested_) {
      ++delayed_fsync_;  // the disk is slower than a second per fsync
      return;
    }
    fsync_requested_ = true;
  }
  cv_.notify_one();
  last_fsync_ms_ = now_ms;
}

void AofLog::Close() {
  std::lock_guard<std::mutex> lk(mu_);
  if (fd_ >= 0) {
    fdatasync(fd_);
    close(fd_);
    fd_ = -1;
  }
}

}  // namespace tessera
