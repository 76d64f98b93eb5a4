#include "common/strutil.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace tessera {

std::optional<uint64_t> ParseUint64(std::string_view s) {
  if (s.empty() || s.size() > 20) {
    return std::nullopt;
  }
  if (s.size() == 1 && s[0] == '0') {
    return 0;
  }
  if (s[0] < '1' || s[0] > '9') {
    return std::nullopt;
  }
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) {
      return std::nullopt;
    }
    v = v * 10 + d;
  }
  return v;
}

std::optional<int64_t> ParseInt64(std::string_view s) {
  if (s.empty() || s.size() > 20) {
    return std::nullopt;
  }
  bool negative = s[0] == '-';
  if (negative) {
    s.remove_prefix(1);
    if (s.empty() || s[0] == '0') {  // "-" and "-0..." are refused, as in Redis
      return std::nullopt;
    }
  }
  auto u = ParseUint64(s);
  if (!u) {
    return std::nullopt;
  }
  if (negative) {
    if (*u > static_cast<uint64_t>(INT64_MAX) + 1) {
      return std::nullopt;
    }
    return static_cast<int64_t>(0 - *u);
  }
  if (*u > static_cast<uint64_t>(INT64_MAX)) {
    return std::nullopt;
  }
  return static_cast<int64_t>(*u);
}

std::optional<double> ParseDouble(std::string_view s) {
  if (s.empty() || s.size() > 5 * 1024 || isspace(static_cast<unsigned char>(s[0]))) {
    return std::nullopt;
  }
  std::string buf(s);
  char* end = nullptr;
  errno = 0;
  double v = strtod(buf.c_str(), &end);
  if (end != buf.c_str() + buf.size() || std::isnan(v) ||
      (errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL || v == 0))) {
    return std::nullopt;
  }
  return v;
}

std::optional<long double> ParseLongDouble(std::string_view s) {
  if (s.empty() || s.size() > 5 * 1024 || isspace(static_cast<unsigned char>(s[0]))) {
    return std::nullopt;
  }
  std::string buf(s);
  char* end = nullptr;
  errno = 0;
  long double v = strtold(buf.c_str(), &end);
  if (end != buf.c_str() + buf.size() || std::isnan(v) ||
      (errno == ERANGE && (v == HUGE_VALL || v == -HUGE_VALL || v == 0))) {
    return std::nullopt;
  }
  return v;
}

size_t AppendInt64(std::string& out, int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  size_t n = static_cast<size_t>(r.ptr - buf);
  out.append(buf, n);
  return n;
}

std::string Uint64ToString(uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, static_cast<size_t>(r.ptr - buf));
}

std::string Int64ToString(int64_t v) {
  std::string s;
  AppendInt64(s, v);
  return s;
}

std::string FormatDouble(double d) {
  if (std::isinf(d)) {
    return d > 0 ? "inf" : "-inf";
  }
  if (std::isnan(d)) {
    return "nan";
  }
  char buf[64];
  int n = snprintf(buf, sizeof(buf), "%.17g", d);
  return std::string(buf, static_cast<size_t>(n));
}

std::string FormatLongDoubleHuman(long double v) {
  if (std::isinf(v)) {
    return v > 0 ? "inf" : "-inf";
  }
  char buf[5 * 1024 + 64];
  int n = snprintf(buf, sizeof(buf), "%.17Lf", v);
  if (n <= 0 || static_cast<size_t>(n) >= sizeof(buf)) {
    return "0";
  }
  std::string s(buf, static_cast<size_t>(n));
  if (s.find('.') != std::string::npos) {
    while (!s.empty() && s.back() == '0') {
      s.pop_back();
    }
    if (!s.empty() && s.back() == '.') {
      s.pop_back();
    }
  }
  if (s == "-0") {
    s = "0";
  }
  return s;
}

namespace {
bool IsHexDigit(char c) { return isxdigit(static_cast<unsigned char>(c)) != 0; }
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}
}  // namespace

std::optional<std::vector<std::string>> SplitArgs(std::string_view line) {
  std::vector<std::string> out;
  size_t i = 0, n = line.size();
  auto is_space = [](char c) { return isspace(static_cast<unsigned char>(c)) != 0; };
  while (true) {
    while (i < n && is_space(line[i])) {
      ++i;
    }
    if (i >= n) {
      return out;
    }
    bool in_dq = false, in_sq = false, done = false;
    std::string cur;
    while (!done) {
      if (in_dq) {
        if (i >= n) {
          return std::nullopt;
        }
        if (line[i] == '\\' && i + 3 < n && line[i + 1] == 'x' && IsHexDigit(line[i + 2]) &&
            IsHexDigit(line[i + 3])) {
          cur.push_back(static_cast<char>(HexValue(line[i + 2]) * 16 + HexValue(line[i + 3])));
          i += 3;
        } else if (line[i] == '\\' && i + 1 < n) {
          ++i;
          char c = line[i];
          switch (c) {
            case 'n': c = '\n'; break;
            case 'r': c = '\r'; break;
            case 't': c = '\t'; break;
            case 'b': c = '\b'; break;
            case 'a': c = '\a'; break;
            default: break;
          }
          cur.push_back(c);
        } else if (line[i] == '"') {
          if (i + 1 < n && !is_space(line[i + 1])) {
            return std::nullopt;  // closing quote must be followed by a space
          }
          done = true;
        } else {
          cur.push_back(line[i]);
        }
      } else if (in_sq) {
        if (i >= n) {
          return std::nullopt;
        }
        if (line[i] == '\\' && i + 1 < n && line[i + 1] == '\'') {
          ++i;
          cur.push_back('\'');
        } else if (line[i] == '\'') {
          if (i + 1 < n && !is_space(line[i + 1])) {
            return std::nullopt;
          }
          done = true;
        } else {
          cur.push_back(line[i]);
        }
      } else {
        if (i >= n) {
          done = true;
          break;
        }
        char c = line[i];
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\0') {
          done = true;
        } else if (c == '"') {
          in_dq = true;
        } else if (c == '\'') {
          in_sq = true;
        } else {
          cur.push_back(c);
        }
      }
      if (i < n) {
        ++i;
      }
    }
    out.push_back(std::move(cur));
  }
}

void AppendRepr(std::string& out, std::string_view s) {
  out.push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\a': out += "\\a"; break;
      case '\b': out += "\\b"; break;
      default:
        if (isprint(c)) {
          out.push_back(static_cast<char>(c));
        } else {
          char buf[8];
          snprintf(buf, sizeof(buf), "\\x%02x", c);
          out += buf;
        }
    }
  }
  out.push_back('"');
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) {
      return false;
    }
  }
  return true;
}

std::string ToLower(std::string_view s) {
  std::string r(s);
  for (char& c : r) {
    c = AsciiLower(c);
  }
  return r;
}

std::string ToUpper(std::string_view s) {
  std::string r(s);
  for (char& c : r) {
    c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
  }
  return r;
}

std::optional<int64_t> ParseMemory(std::string_view s) {
  // As Redis's memtoull: digits (possibly none, meaning 0) then an optional unit.
  size_t digits = 0;
  while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9') ++digits;
  std::string unit = ToLower(s.substr(digits));
  int64_t mul;
  if (unit.empty() || unit == "b") mul = 1;
  else if (unit == "k") mul = 1000;
  else if (unit == "kb") mul = 1024;
  else if (unit == "m") mul = 1000 * 1000;
  else if (unit == "mb") mul = 1024 * 1024;
  else if (unit == "g") mul = 1000LL * 1000 * 1000;
  else if (unit == "gb") mul = 1024LL * 1024 * 1024;
  else return std::nullopt;
  uint64_t v = 0;
  for (size_t i = 0; i < digits; ++i) {
    uint64_t d = static_cast<uint64_t>(s[i] - '0');
    if (v > (UINT64_MAX - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  if (v > static_cast<uint64_t>(INT64_MAX) / static_cast<uint64_t>(mul)) return std::nullopt;
  return static_cast<int64_t>(v) * mul;
}

std::string BytesToHuman(uint64_t n) {
  char buf[64];
  double d = static_cast<double>(n);
  if (n < 1024) {
    snprintf(buf, sizeof(buf), "%lluB", static_cast<unsigned long long>(n));
  } else if (n < 1024ULL * 1024) {
    snprintf(buf, sizeof(buf), "%.2fK", d / 1024);
  } else if (n < 1024ULL * 1024 * 1024) {
    snprintf(buf, sizeof(buf), "%.2fM", d / (1024 * 1024));
  } else if (n < 1024ULL * 1024 * 1024 * 1024) {
    snprintf(buf, sizeof(buf), "%.2fG", d / (1024.0 * 1024 * 1024));
  } else if (n < 1024ULL * 1024 * 1024 * 1024 * 1024) {
    snprintf(buf, sizeof(buf), "%.2fT", d / (1024.0 * 1024 * 1024 * 1024));
  } else {
    snprintf(buf, sizeof(buf), "%.2fP", d / (1024.0 * 1024 * 1024 * 1024 * 1024));
  }
  return buf;
}

}  // namespace tessera
