#include "cluster-bus/frame.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstring>

namespace tessera::bus {
namespace {

void PutU16(std::string* out, uint16_t v) {
  out->push_back(static_cast<char>(v >> 8));
  out->push_back(static_cast<char>(v & 0xff));
}

void PutU32(std::string* out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>((v >> shift) & 0xff));
}

uint32_t GetU(const char* p, int bytes) {
  uint32_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

void Mac(std::string_view secret, std::string_view data, unsigned char out[kMacSize]) {
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
}

}  // namespace

void AppendFrame(const Envelope& msg, std::string_view secret, std::string* out) {
  size_t start = out->size();
  std::string payload = msg.SerializeAsString();
  out->append(kMagic, sizeof(kMagic));
  PutU16(out, kVersion);
  PutU16(out, secret.empty() ? 0 : kFlagMac);
  PutU32(out, static_cast<uint32_t>(payload.size()));
  out->append(payload);
  if (!secret.empty()) {
    unsigned char mac[kMacSize];
    Mac(secret, std::string_view(*out).substr(start), mac);
    out->append(reinterpret_cast<const char*>(mac), kMacSize);
  }
}

FrameReader::Result FrameReader::Next(Envelope* msg, std::string* err) {
  for (;;) {
    if (buffered() < kHeaderSize) break;
    const char* h = buf_.data() + pos_;
    if (std::memcmp(h, kMagic, sizeof(kMagic)) != 0) {
      *err = "not a bus frame (bad magic)";
      return Result::kFatal;
    }
    uint16_t version = static_cast<uint16_t>(GetU(h + 4, 2));
    if (version != kVersion) {
      *err = "unsupported bus protocol version " + std::to_string(version);
      return Result::kFatal;
    }
    uint16_t flags = static_cast<uint16_t>(GetU(h + 6, 2));
    size_t len = GetU(h + 8, 4);
    if (len > max_frame_) {
      *err = "bus frame of " + std::to_string(len) + " bytes is over the limit";
      return Result::kFatal;
    }
    size_t total = kHeaderSize + len + ((flags & kFlagMac) ? kMacSize : 0);
    if (buffered() < total) break;
    std::string_view frame(buf_.data() + pos_, total);
    pos_ += total;
    if (!secret_.empty()) {
      unsigned char mac[kMacSize];
      Mac(secret_, frame.substr(0, kHeaderSize + len), mac);
      if (!(flags & kFlagMac) ||
          CRYPTO_memcmp(mac, frame.data() + kHeaderSize + len, kMacSize) != 0) {
        ++stats_.bad_mac;
        continue;
      }
    }
    if (!msg->ParseFromArray(frame.data() + kHeaderSize, static_cast<int>(len))) {
      ++stats_.bad_payload;
      continue;
    }
    ++stats_.frames;
    return Result::kMessage;
  }
  // Drop what was consumed once it is most of the buffer (amortized compaction).
  if (pos_ > 0 && pos_ * 2 >= buf_.size()) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  return Result::kNeedMore;
}

}  // namespace tessera::bus
