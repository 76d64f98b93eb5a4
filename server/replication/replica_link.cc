#include "server/replication/replica_link.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <vector>

#include "server/persistence/aof.h"

namespace tessera {

namespace {

constexpr size_t kEofMarkLen = 40;

std::string Command(const std::vector<std::string>& argv) {
  std::string out;
  aof::AppendCommand(out, argv);
  return out;
}

bool ParseInt(std::string_view s, int64_t* out) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

}  // namespace

const char* ReplicaLink::StateName() const {
  switch (state_) {
    case State::kNone:
    case State::kConnect:
      return "connect";
    case State::kConnecting:
      return "connecting";
    case State::kHandshake:
    case State::kPsync:
      return "handshake";
    case State::kTransfer:
      return "sync";
    case State::kConnected:
      return "connected";
  }
  return "connect";
}

bool ReplicaLink::Fail(std::string why) {
  error_ = std::move(why);
  state_ = State::kConnect;
  return false;
}

void ReplicaLink::Connecting(int64_t now_ms) {
  state_ = State::kConnecting;
  last_io_ms_ = now_ms;
}

void ReplicaLink::Connected(const Options& o, const std::string& psync_replid,
                            int64_t psync_offset, int64_t now_ms) {
  state_ = State::kHandshake;
  line_.clear();
  pong_seen_ = false;
  in_payload_ = false;
  psync_replid_ = psync_replid;
  psync_offset_ = psync_offset;
  failover_ = o.failover;
  timeout_ms_ = o.timeout_ms;
  last_io_ms_ = now_ms;
  // PING first; once it is answered the rest of the handshake goes out in one write and
  // the replies come back in order.
  std::string rest;
  pending_replies_ = 0;
  if (!o.masterauth.empty()) {
    rest += o.masteruser.empty() ? Command({"AUTH", o.masterauth})
                                 : Command({"AUTH", o.masteruser, o.masterauth});
    ++pending_replies_;
  }
  auth_sent_ = !o.masterauth.empty();
  rest += Command({"REPLCONF", "listening-port", std::to_string(o.listening_port)});
  ++pending_replies_;
  if (!o.announce_ip.empty()) {
    rest += Command({"REPLCONF", "ip-address", o.announce_ip});
    ++pending_replies_;
  }
  rest += Command({"REPLCONF", "capa", "eof", "capa", "psync2"});
  ++pending_replies_;
  handshake_rest_ = std::move(rest);  // sent once PING is answered
  host_->LinkSend(Command({"PING"}));
}

bool ReplicaLink::OnLine(const std::string& line, int64_t now_ms) {
  (void)now_ms;
  if (state_ == State::kHandshake) {
    if (!pong_seen_) {
      // As Redis: an error about authentication still proves the master is there.
      if (line[0] == '-' && line.rfind("-NOAUTH", 0) != 0 && line.rfind("-NOPERM", 0) != 0 &&
          line.rfind("-ERR operation not permitted", 0) != 0) {
        return Fail("Error reply to PING from master: '" + line + "'");
      }
      pong_seen_ = true;
      host_->LinkSend(handshake_rest_);
      handshake_rest_.clear();
      return true;
    }
    if (auth_sent_) {
      auth_sent_ = false;
      --pending_replies_;
      if (line[0] == '-') return Fail("Unable to AUTH to MASTER: " + line);
    } else {
      --pending_replies_;  // REPLCONF errors are ignored (an old master)
    }
    if (pending_replies_ == 0) {
      state_ = State::kPsync;
      std::string offset = std::to_string(psync_offset_);
      host_->LinkSend(failover_ ? Command({"PSYNC", psync_replid_, offset, "FAILOVER"})
                                : Command({"PSYNC", psync_replid_, offset}));
    }
    return true;
  }
  if (state_ == State::kPsync) {
    if (line.rfind("+FULLRESYNC", 0) == 0) {
      // +FULLRESYNC <replid> <offset>
      size_t a = line.find(' '), b = line.find(' ', a + 1);
      int64_t off = -1;
      if (a == std::string::npos || b == std::string::npos || b - a - 1 != 40 ||
          !ParseInt(std::string_view(line).substr(b + 1), &off)) {
        return Fail("Bad +FULLRESYNC reply from master: '" + line + "'");
      }
      full_replid_ = line.substr(a + 1, 40);
      full_offset_ = off;
      state_ = State::kTransfer;
      in_payload_ = false;
      return true;
    }
    if (line.rfind("+CONTINUE", 0) == 0) {
      std::string id = line.size() > 10 ? line.substr(10) : "";
      if (!id.empty() && id.size() != 40) return Fail("Bad +CONTINUE reply: '" + line + "'");
      state_ = State::kConnected;
      host_->Continued(id);
      return true;
    }
    return Fail("Unexpected reply to PSYNC from master: '" + line + "'");
  }
  if (state_ == State::kTransfer && !in_payload_) {
    // $<size> or $EOF:<40 bytes>
    if (line[0] == '-') return Fail("MASTER aborted replication with an error: " + line);
    if (line[0] != '$') return Fail("Bad protocol from MASTER, the first byte is not '$'");
    if (line.rfind("$EOF:", 0) == 0) {
      if (line.size() != 5 + kEofMarkLen) return Fail("Bad EOF mark from MASTER");
      eof_mark_ = line.substr(5);
      size_ = -1;
    } else if (!ParseInt(std::string_view(line).substr(1), &size_) || size_ < 0) {
      return Fail("Bad payload size from MASTER: '" + line + "'");
    }
    read_ = 0;
    tail_.clear();
    in_payload_ = true;
    if (!host_->TransferBegin(full_replid_, full_offset_, size_)) {
      return Fail("Can't prepare the file for the transfer");
    }
    return true;
  }
  return Fail("Unexpected line from MASTER");
}

size_t ReplicaLink::FeedPayload(const char* data, size_t n, bool* ok) {
  size_t take = n;
  bool done = false;
  std::string_view chunk;
  if (size_ >= 0) {
    take = static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(n), size_ - read_));
    done = read_ + static_cast<int64_t>(take) == size_;
    chunk = std::string_view(data, take);
  } else {
    // EOF-marked: the payload ends with the 40-byte mark, so the last 40 bytes seen are held
    // back until more arrives (a master sends nothing after the mark until our first ACK).
    tail_.append(data, n);
    size_t keep = std::min(tail_.size(), kEofMarkLen);
    done = tail_.size() >= kEofMarkLen &&
           tail_.compare(tail_.size() - kEofMarkLen, kEofMarkLen, eof_mark_) == 0;
    held_.assign(tail_, tail_.size() - keep, keep);
    tail_.resize(tail_.size() - keep);
    chunk = tail_;
  }
  read_ += static_cast<int64_t>(take);
  bool wrote = host_->TransferData(chunk);
  if (size_ < 0) tail_.swap(held_);
  if (!wrote) {
    *ok = Fail("Failed writing the transferred payload");
    return n;
  }
  if (done) {
    in_payload_ = false;
    if (!host_->TransferEnd()) {
      *ok = Fail("Failed loading the transferred payload");
      return n;
    }
    state_ = State::kConnected;
  }
  return take;
}

size_t ReplicaLink::Feed(const char* data, size_t n, int64_t now_ms, bool* ok) {
  *ok = true;
  last_io_ms_ = now_ms;
  size_t used = 0;
  while (used < n && state_ != State::kConnected && state_ != State::kConnect) {
    if (state_ == State::kTransfer && in_payload_) {
      used += FeedPayload(data + used, n - used, ok);
      if (!*ok) return n;
      continue;
    }
    const char* nl = static_cast<const char*>(memchr(data + used, '\n', n - used));
    if (nl == nullptr) {
      line_.append(data + used, n - used);
      if (line_.size() > 4096) {
        *ok = Fail("Reply line from MASTER too long");
        return n;
      }
      return n;
    }
    line_.append(data + used, static_cast<size_t>(nl - (data + used)));
    used = static_cast<size_t>(nl - data) + 1;
    if (!line_.empty() && line_.back() == '\r') line_.pop_back();
    std::string line;
    line.swap(line_);
    if (line.empty()) continue;  // a keepalive newline while the master prepares the RDB
    if (!OnLine(line, now_ms)) {
      *ok = false;
      return n;
    }
  }
  return used;
}

bool ReplicaLink::Tick(int64_t now_ms) const {
  if (state_ != State::kConnecting && state_ != State::kHandshake && state_ != State::kPsync &&
      state_ != State::kTransfer) {
    return true;
  }
  return now_ms - last_io_ms_ <= timeout_ms_;
}

}  // namespace tessera
