// Framing on a bus link: every message is
//
//   magic "TBUS" | version (u16, big-endian) | flags (u16) | length (u32) | Envelope | [MAC]
//
// where the Envelope is protobuf-encoded and, when the cluster has a shared secret, MAC is
// HMAC-SHA256 over header and payload (flag kFlagMac). A reader that knows a secret drops,
// and counts, every frame whose MAC is missing or wrong; the link goes on, since the length
// still tells where the next frame starts. A wrong magic or version, or a length over the
// limit, means the other end is not a bus peer (or is corrupt): the link must be closed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "proto/bus.pb.h"

namespace tessera::bus {

inline constexpr char kMagic[4] = {'T', 'B', 'U', 'S'};
inline constexpr uint16_t kVersion = 1;
inline constexpr uint16_t kFlagMac = 1;
inline constexpr size_t kHeaderSize = 12;
inline constexpr size_t kMacSize = 32;
inline constexpr size_t kDefaultMaxFrame = 8 << 20;

// Appends the frame of `msg` to *out (with a MAC when `secret` is not empty).
void AppendFrame(const Envelope& msg, std::string_view secret, std::string* out);

struct FrameStats {
  uint64_t frames = 0;         // accepted
  uint64_t bad_mac = 0;        // dropped: MAC missing or wrong
  uint64_t bad_payload = 0;    // dropped: not a valid Envelope
};

// Reassembles frames from a byte stream (sans-I/O: the link feeds what it read).
class FrameReader {
 public:
  explicit FrameReader(std::string secret = {}, size_t max_frame = kDefaultMaxFrame)
      : secret_(std::move(secret)), max_frame_(max_frame) {}

  enum class Result { kNeedMore, kMessage, kFatal };

  void Feed(std::string_view bytes) { buf_.append(bytes); }
  // The next message into *msg (kMessage), or kNeedMore, or kFatal with *err (close the link).
  // Dropped frames are skipped and counted in stats().
  Result Next(Envelope* msg, std::string* err);

  const FrameStats& stats() const { return stats_; }
  size_t buffered() const { return buf_.size() - pos_; }

 private:
  std::string secret_;
  size_t max_frame_;
  std::string buf_;
  size_t pos_ = 0;
  FrameStats stats_;
};

}  // namespace tessera::bus
