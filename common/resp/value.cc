#include "common/resp/value.h"

#include <fmt/format.h>

#include <cstring>
#include <iterator>

#include "common/strutil.h"

namespace tessera::resp {

std::string Value::ToString() const {
  switch (type) {
    case Type::kSimpleString:
    case Type::kBulkString:
    case Type::kDouble:
    case Type::kBigNumber:
      return str;
    case Type::kVerbatim:
      return str.size() >= 4 ? str.substr(4) : str;
    case Type::kError:
      return "(error) " + str;
    case Type::kInteger:
      return Int64ToString(integer);
    case Type::kBoolean:
      return integer ? "(true)" : "(false)";
    case Type::kNull:
      return "(nil)";
    case Type::kMap:
    case Type::kAttribute: {
      std::string s = type == Type::kMap ? "{" : "|{";
      for (size_t i = 0; i + 1 < elements.size(); i += 2) {
        if (i) s += ", ";
        s += elements[i].ToString() + ": " + elements[i + 1].ToString();
      }
      return s + "}";
    }
    case Type::kArray:
    case Type::kSet:
    case Type::kPush: {
      std::string s = type == Type::kArray ? "[" : type == Type::kSet ? "~[" : ">[";
      for (size_t i = 0; i < elements.size(); ++i) {
        if (i) s += ", ";
        s += elements[i].ToString();
      }
      return s + "]";
    }
  }
  return "?";
}

ValueParser::Result ValueParser::Fail(std::string msg) {
  error_ = std::move(msg);
  stack_.clear();
  return Result::kError;
}

bool ValueParser::Complete(Value v) {
  while (true) {
    if (stack_.empty()) {
      done_ = std::move(v);
      have_done_ = true;
      return true;
    }
    Frame& top = stack_.back();
    top.value.elements.push_back(std::move(v));
    if (--top.remaining > 0) {
      return false;
    }
    v = std::move(top.value);
    stack_.pop_back();
  }
}

ValueParser::Result ValueParser::Feed(const char* data, size_t len) {
  consumed_ = 0;
  have_done_ = false;
  while (!have_done_) {
    const char* p = data + consumed_;
    size_t avail = len - consumed_;
    const char* cr = static_cast<const char*>(memchr(p, '\r', avail));
    if (cr == nullptr || static_cast<size_t>(cr - p) + 2 > avail) {
      if (avail > 64 * 1024) {
        return Fail("Protocol error: line too long");
      }
      return Result::kNeedMore;
    }
    size_t line_len = static_cast<size_t>(cr - p);
    if (line_len == 0) {
      return Fail("Protocol error: empty type line");
    }
    std::string_view body(p + 1, line_len - 1);
    size_t header = line_len + 2;
    char t = p[0];
    Value v;
    switch (t) {
      case '+':
      case '-':
      case '(':
      case ',':
        v.type = t == '+'   ? Value::Type::kSimpleString
                 : t == '-' ? Value::Type::kError
                 : t == '(' ? Value::Type::kBigNumber
                            : Value::Type::kDouble;
        v.str.assign(body);
        consumed_ += header;
        break;
      case ':': {
        auto n = ParseInt64(body);
        if (!n) return Fail("Protocol error: bad integer");
        v.type = Value::Type::kInteger;
        v.integer = *n;
        consumed_ += header;
        break;
      }
      case '#':
        if (body != "t" && body != "f") return Fail("Protocol error: bad boolean");
        v.type = Value::Type::kBoolean;
        v.integer = body == "t";
        consumed_ += header;
        break;
      case '_':
        v.type = Value::Type::kNull;
        consumed_ += header;
        break;
      case '$':
      case '!':
      case '=': {
        auto n = ParseInt64(body);
        if (!n || *n < -1 || *n > limits_.max_bulk_len) return Fail("Protocol error: bad bulk length");
        if (*n == -1) {
          v.type = Value::Type::kNull;
          consumed_ += header;
          break;
        }
        size_t need = header + static_cast<size_t>(*n) + 2;
        if (avail < need) return Result::kNeedMore;
        v.type = t == '$' ? Value::Type::kBulkString
                 : t == '!' ? Value::Type::kError
                            : Value::Type::kVerbatim;
        v.str.assign(p + header, static_cast<size_t>(*n));
        consumed_ += need;
        break;
      }
      case '*':
      case '%':
      case '~':
      case '>':
      case '|': {
        auto n = ParseInt64(body);
        if (!n || *n < -1 || *n > limits_.max_aggregate_len) {
          return Fail("Protocol error: bad aggregate length");
        }
        consumed_ += header;
        if (*n == -1) {
          v.type = Value::Type::kNull;
          break;
        }
        Value::Type at = t == '*'   ? Value::Type::kArray
                         : t == '%' ? Value::Type::kMap
                         : t == '~' ? Value::Type::kSet
                         : t == '>' ? Value::Type::kPush
                                    : Value::Type::kAttribute;
        int64_t count = (t == '%' || t == '|') ? *n * 2 : *n;
        if (count == 0) {
          v.type = at;
          break;
        }
        if (static_cast<int>(stack_.size()) >= limits_.max_depth) {
          return Fail("Protocol error: nesting too deep");
        }
        Frame f;
        f.value.type = at;
        f.remaining = count;
        stack_.push_back(std::move(f));
        continue;
      }
      default:
        return Fail(std::string("Protocol error: unexpected type byte '") + t + "'");
    }
    Complete(std::move(v));
  }
  return Result::kValue;
}

void AppendCommand(std::string& out, std::span<const std::string> argv) {
  fmt::format_to(std::back_inserter(out), "*{}\r\n", argv.size());
  for (const auto& a : argv) {
    fmt::format_to(std::back_inserter(out), "${}\r\n", a.size());
    out += a;
    out += "\r\n";
  }
}

}  // namespace tessera::resp
