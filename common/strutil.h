// String <-> number conversions and argument splitting with Redis's exact rules.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tessera {

// Parses a signed 64-bit integer the way Redis's string2ll does: optional '-', no '+', no
// spaces, no leading zeros (except "0" itself), no overflow. Returns nullopt otherwise.
std::optional<int64_t> ParseInt64(std::string_view s);

// Like ParseInt64 but for unsigned values (no sign accepted).
std::optional<uint64_t> ParseUint64(std::string_view s);

// Parses a double as Redis's string2d: strtod over the whole string, no leading space,
// NaN refused. "inf"/"-inf" are accepted.
std::optional<double> ParseDouble(std::string_view s);

// Parses a long double as Redis's string2ld (INCRBYFLOAT): as ParseDouble, at most 5k chars.
std::optional<long double> ParseLongDouble(std::string_view s);

// Appends the decimal form of v to out; returns the number of characters written.
size_t AppendInt64(std::string& out, int64_t v);
std::string Int64ToString(int64_t v);
std::string Uint64ToString(uint64_t v);

// Formats a double the way Redis 7.0 replies with it: "%.17g", with "inf"/"-inf"/"nan".
std::string FormatDouble(double d);

// Formats a long double for INCRBYFLOAT results (Redis's ld2string in human mode):
// fixed notation with 17 digits, trailing zeros and a trailing dot removed.
std::string FormatLongDoubleHuman(long double v);

// Splits a line into arguments as Redis's sdssplitargs: whitespace-separated, "double quoted"
// with \n \r \t \b \a \\ \" \xHH escapes, 'single quoted' with \' only. A closing quote must
// be followed by a space or the end. Returns nullopt on unbalanced quotes.
std::optional<std::vector<std::string>> SplitArgs(std::string_view line);

// Calls fn(line) for each line of text, without its "\n" or "\r\n" (a last line without a
// newline counts too).
template <typename Fn>
void ForEachLine(std::string_view text, Fn&& fn) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    fn(line);
    pos = end + 1;
  }
}

// Appends s to out quoted and escaped as Redis's sdscatrepr ("..." with \n, \xHH, ...).
void AppendRepr(std::string& out, std::string_view s);

// ASCII case-insensitive equality, and lowercasing.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
// ASCII case folding (what tolower does in the C locale), without the libc call.
inline char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }
std::string ToLower(std::string_view s);
std::string ToUpper(std::string_view s);

// Parses a memory amount as Redis's memtoull: digits (none means 0) and an optional unit
// b/k/kb/m/mb/g/gb, case-insensitive ("k" is 1000, "kb" 1024). No sign. nullopt otherwise.
std::optional<int64_t> ParseMemory(std::string_view s);

// Formats bytes as Redis's bytesToHuman: "1.00K", "12.34M", "512B".
std::string BytesToHuman(uint64_t n);

}  // namespace tessera
