#include "server/persistence/rdb_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>

#include <fmt/core.h>

#include "common/clock.h"
#include "common/hash.h"
#include "server/keyspace/db.h"
#include "server/keyspace/keyspace.h"
#include "server/keyspace/kv.h"

namespace tessera::rdb {

namespace {

enum Opcode : uint8_t {
  kOpFunction2 = 245,
  kOpFunctionPreGa = 246,
  kOpModuleAux = 247,
  kOpIdle = 248,
  kOpFreq = 249,
  kOpAux = 250,
  kOpResizeDb = 251,
  kOpExpireMs = 252,
  kOpExpireSec = 253,
  kOpSelectDb = 254,
  kOpEof = 255,
};

constexpr size_t kFlushAt = 1 << 16;

// Builds the image in a buffer handed to `sink` every 64 KB, keeping the running CRC64.
class Writer {
 public:
  explicit Writer(std::function<bool(std::string_view)> sink) : sink_(std::move(sink)) {}
  std::string& buf() { return buf_; }
  bool MaybeFlush() { return buf_.size() < kFlushAt || Flush(); }
  bool Flush() {
    crc_ = Crc64(crc_, buf_.data(), buf_.size());
    bool ok = sink_(buf_);
    buf_.clear();
    return ok;
  }
  uint64_t crc() const { return crc_; }

 private:
  std::function<bool(std::string_view)> sink_;
  std::string buf_;
  uint64_t crc_ = 0;
};

bool WriteAll(Keyspace& ks, const SaveOptions& o, Writer& w) {
  std::string& out = w.buf();
  out += "REDIS";
  out += fmt::format("{:04}", kVersion);
  for (const auto& [k, v] : o.aux) {
    out.push_back(static_cast<char>(kOpAux));
    AppendString(out, k, o.compress);
    AppendString(out, v, o.compress);
  }
  for (const auto& code : o.functions) {
    out.push_back(static_cast<char>(kOpFunction2));
    AppendString(out, code, o.compress);
  }
  bool ok = true;
  for (int i = 0; i < ks.dbnum() && ok; ++i) {
    Db& db = ks.db(i);
    if (db.size() == 0) continue;
    out.push_back(static_cast<char>(kOpSelectDb));
    AppendLen(out, static_cast<uint64_t>(i));
    out.push_back(static_cast<char>(kOpResizeDb));
    AppendLen(out, db.size());
    AppendLen(out, db.expires_size());
    db.keys().ForEach([&](KeyValue* kv) {
      if (!ok) return;
      if (kv->has_expire()) {
        out.push_back(static_cast<char>(kOpExpireMs));
        auto when = static_cast<uint64_t>(kv->expire_ms());
        for (int b = 0; b < 8; ++b) out.push_back(static_cast<char>((when >> (8 * b)) & 0xff));
      }
      if (o.access == Access::kLru) {
        out.push_back(static_cast<char>(kOpIdle));
        AppendLen(out, LruIdleMs(ks.lru_clock, kv->lru()) / 1000);
      } else if (o.access == Access::kLfu) {
        out.push_back(static_cast<char>(kOpFreq));
        out.push_back(static_cast<char>(ks.LfuCounter(kv, o.now_ms)));
      }
      std::string_view key = kv->key();
      AppendObject(out, kv, o.compress, &key);
      ok = w.MaybeFlush();
      KeyDelay(o.key_save_delay);
    });
  }
  if (!ok) return false;
  out.push_back(static_cast<char>(kOpEof));
  if (!w.Flush()) return false;
  uint64_t crc = o.checksum ? w.crc() : 0;
  for (int b = 0; b < 8; ++b) out.push_back(static_cast<char>((crc >> (8 * b)) & 0xff));
  return w.Flush();
}

bool ReadU8(std::string_view& in, uint8_t* v) {
  if (in.empty()) return false;
  *v = static_cast<uint8_t>(in[0]);
  in.remove_prefix(1);
  return true;
}

bool ReadLe(std::string_view& in, size_t n, uint64_t* v) {
  if (in.size() < n) return false;
  *v = 0;
  for (size_t i = 0; i < n; ++i) *v |= static_cast<uint64_t>(static_cast<uint8_t>(in[i])) << (8 * i);
  in.remove_prefix(n);
  return true;
}

bool IsObjectType(uint8_t t) { return t <= kZset2 || (t >= kHashZipmap && t <= kStreamListpacks2); }

}  // namespace

void KeyDelay(int64_t delay) {
  if (delay > 0) {
    usleep(static_cast<useconds_t>(delay));
  } else if (delay < 0) {
    int64_t until = Clock::RealMonotonicUs() * 1000 - delay;
    while (Clock::RealMonotonicUs() * 1000 < until) {
    }
  }
}

bool Stream(Keyspace& ks, const SaveOptions& opts, const Sink& sink) {
  Writer w(sink);
  return WriteAll(ks, opts, w);
}

std::string Serialize(Keyspace& ks, const SaveOptions& opts) {
  std::string image;
  Writer w([&](std::string_view chunk) {
    image.append(chunk);
    return true;
  });
  WriteAll(ks, opts, w);
  return image;
}

bool WriteFileAtomically(const std::string& path, const std::function<bool(const Sink&)>& produce,
                         std::string* err) {
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
  std::string tmp = (slash == std::string::npos ? "" : path.substr(0, slash + 1)) +
                    fmt::format("temp-{}.rdb", getpid());
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    *err = fmt::format("Failed opening the temp file {} (in server root dir {}) for saving: {}",
                       tmp, dir, strerror(errno));
    return false;
  }
  int write_errno = 0;
  Sink sink = [&](std::string_view chunk) {
    while (!chunk.empty()) {
      ssize_t n = write(fd, chunk.data(), chunk.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        write_errno = errno;
        return false;
      }
      chunk.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  };
  bool ok = produce(sink);
  if (ok && fsync(fd) != 0) {
    write_errno = errno;
    ok = false;
  }
  if (close(fd) != 0 && ok) {
    write_errno = errno;
    ok = false;
  }
  if (!ok) {
    *err = fmt::format("Write error saving DB on disk: {}", strerror(write_errno));
    unlink(tmp.c_str());
    return false;
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    *err = fmt::format("Error moving temp DB file {} on the final destination {} (in server root "
                       "dir {}): {}", tmp, path, dir, strerror(errno));
    unlink(tmp.c_str());
    return false;
  }
  // Make the rename itself durable.
  int dfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
  return true;
}

bool SaveFile(const std::string& path, Keyspace& ks, const SaveOptions& opts, std::string* err) {
  return WriteFileAtomically(
      path,
      [&](const Sink& sink) {
        Writer w(sink);
        return WriteAll(ks, opts, w);
      },
      err);
}

bool Load(std::string_view data, Keyspace& ks, const LoadOptions& o, LoadResult* out,
          std::string* err) {
  std::string_view in = data;
  auto offset = [&]() { return data.size() - in.size(); };
  auto fail = [&](std::string why) {
    *err = fmt::format("{} (at byte offset {})", why, offset());
    ks.FlushAll(false);
    return false;
  };
  if (in.size() < 9 || in.substr(0, 5) != "REDIS") {
    *err = "Wrong signature trying to load DB from file";
    return false;
  }
  int version = 0;
  for (char c : in.substr(5, 4)) {
    if (c < '0' || c > '9') {
      *err = "Wrong signature trying to load DB from file";
      return false;
    }
    version = version * 10 + (c - '0');
  }
  if (version < 1 || version > kVersion) {
    *err = fmt::format("Can't handle RDB format version {}", version);
    return false;
  }
  out->version = version;
  in.remove_prefix(9);
  Db* db = &ks.db(0);
  int64_t expire = -1, idle = -1, freq = -1;
  std::string key;
  size_t next_progress = 0;
  for (;;) {
    if (o.progress && offset() >= next_progress) {
      if (!o.progress(offset(), data.size())) return fail("Loading aborted");
      next_progress = offset() + std::max<size_t>(o.progress_every, 1);
    }
    uint8_t type;
    if (!ReadU8(in, &type)) return fail("Short read or unexpected end of the RDB data");
    if (type == kOpExpireMs || type == kOpExpireSec) {
      uint64_t v;
      if (!ReadLe(in, type == kOpExpireMs ? 8 : 4, &v)) return fail("Short read of an expire time");
      expire = type == kOpExpireMs ? static_cast<int64_t>(v) : static_cast<int64_t>(v) * 1000;
      continue;
    }
    if (type == kOpIdle) {
      uint64_t v;
      if (!ReadLen(in, &v)) return fail("Short read of an idle time");
      idle = static_cast<int64_t>(v);
      continue;
    }
    if (type == kOpFreq) {
      uint8_t v;
      if (!ReadU8(in, &v)) return fail("Short read of a frequency");
      freq = v;
      continue;
    }
    if (type == kOpEof) break;
    if (type == kOpSelectDb) {
      uint64_t id;
      if (!ReadLen(in, &id)) return fail("Short read of a database number");
      if (id >= static_cast<uint64_t>(ks.dbnum())) {
        return fail(fmt::format("Data file was created with a server configured to handle "
                                "more than {} databases", ks.dbnum()));
      }
      db = &ks.db(static_cast<int>(id));
      continue;
    }
    if (type == kOpResizeDb) {
      uint64_t a, b;
      if (!ReadLen(in, &a) || !ReadLen(in, &b)) return fail("Short read of RESIZEDB sizes");
      // Hints only: a damaged file must not make us allocate a huge table.
      if (db != nullptr && a <= (uint64_t{1} << 32) && b <= a && a <= in.size()) {
        db->Reserve(static_cast<size_t>(a), static_cast<size_t>(b));
      }
      continue;
    }
    if (type == kOpAux) {
      std::string k, v;
      if (!ReadString(in, &k) || !ReadString(in, &v)) return fail("Short read of an AUX field");
      out->aux.emplace_back(std::move(k), std::move(v));
      continue;
    }
    if (type == kOpFunction2) {
      std::string code;
      if (!ReadString(in, &code)) return fail("Short read of a function library");
      out->functions.push_back(std::move(code));
      continue;
    }
    if (type == kOpModuleAux) return fail("Module data in the RDB file: modules are not supported");
    if (type == kOpFunctionPreGa) {
      return fail("Pre-release function format in the RDB file: not supported");
    }
    if (!IsObjectType(type)) return fail(fmt::format("Unknown RDB encoding type {}", type));
    if (!ReadString(in, &key)) return fail("Short read of a key");
    uint64_t hash = db->PrefetchKey(key);  // the bucket arrives while the value is parsed
    size_t at = offset();
    KeyValue* kv = ReadObject(type, in, key, o.limits);
    if (kv == nullptr) {
      in = data.substr(at);
      return fail(fmt::format("Bad data format for key '{}' of RDB type {}", key, type));
    }
    if (expire >= 0 && o.drop_expired && expire < o.now_ms) {
      KeyValue::Free(kv);
      ++out->keys_expired;
    } else {
      if (expire >= 0) {
        KeyValue* timed = KeyValue::Rebuild(kv, kv->key(), expire);
        KeyValue::FreeShell(kv);
        kv = timed;
      }
      ks.InitAccess(kv, o.now_ms);
      if (o.access == Access::kLfu && freq >= 0) {
        kv->set_lru((LfuMinutes(o.now_ms) << 8) | static_cast<uint32_t>(freq));
      } else if (o.access == Access::kLru && idle >= 0) {
        int64_t clock = ks.lru_clock;  // the keyspace's LRU clock, as the server keeps it
        int64_t abs = clock - idle;
        if (abs < 0) abs = (clock + kLruClockMax / 2) % kLruClockMax;
        kv->set_lru(static_cast<uint32_t>(abs));
      }
      if (!db->AddUnique(kv, hash)) {
        KeyValue::Free(kv);
        return fail(fmt::format("RDB has duplicated key '{}' in DB {}", key, db->id()));
      }
      ++out->keys_loaded;
    }
    expire = idle = freq = -1;
    KeyDelay(o.key_load_delay);
  }
  if (version >= 5) {
    size_t before_crc = offset();
    uint64_t stored;
    if (!ReadLe(in, 8, &stored)) return fail("Short read of the RDB checksum");
    if (stored != 0) {
      uint64_t computed = Crc64(0, data.data(), before_crc);
      if (computed != stored) {
        return fail(fmt::format("Wrong RDB checksum expected: ({:x}) got: ({:x})", computed,
                                stored));
      }
    }
  }
  return true;
}

bool ChecksumHolds(std::string_view image) {
  if (image.size() < 9 + 8) return true;  // "REDIS0010" and the trailer
  std::string_view trailer = image.substr(image.size() - 8);
  uint64_t stored;
  ReadLe(trailer, 8, &stored);
  return stored == 0 || Crc64(0, image.data(), image.size() - 8) == stored;
}

bool LoadFile(const std::string& path, Keyspace& ks, const LoadOptions& opts, LoadResult* out,
              bool* missing, std::string* err) {
  *missing = false;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) {
      *missing = true;
      return true;
    }
    *err = fmt::format("Fatal error loading the DB: {}", strerror(errno));
    return false;
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    *err = fmt::format("Fatal error loading the DB: {}", strerror(errno));
    close(fd);
    return false;
  }
  auto size = static_cast<size_t>(st.st_size);
  if (size == 0) {
    close(fd);
    *err = "Short read or OOM loading DB. Unrecoverable error, aborting now.";
    return false;
  }
  void* map = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (map == MAP_FAILED) {
    *err = fmt::format("Fatal error loading the DB: {}", strerror(errno));
    return false;
  }
  madvise(map, size, MADV_SEQUENTIAL);
  bool ok = Load(std::string_view(static_cast<const char*>(map), size), ks, opts, out, err);
  munmap(map, size);
  return ok;
}

}  // namespace tessera::rdb
