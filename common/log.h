// Logging with Redis's line format ("pid:M 21 Nov 2026 19:35:00.123 * message") and levels
// (debug, verbose, notice, warning). spdlog does the writing; only this header is included.
#pragma once

#include <fmt/core.h>

#include <string>
#include <string_view>

namespace tessera {

enum class LogLevel { kDebug = 0, kVerbose = 1, kNotice = 2, kWarning = 3, kNothing = 4 };

// Sends logs to `path`, or to stdout when empty. Returns false (and keeps the old target)
// when the file cannot be opened.
bool LogSetFile(const std::string& path, std::string* err);
void LogSetLevel(LogLevel level);
LogLevel LogGetLevel();
// The role letter in each line: 'M' master, 'S' replica, 'C' child, 'X' sentinel.
void LogSetRole(char role);
void LogWrite(LogLevel level, std::string_view msg);
// Writes straight to stderr in the same format (for fatal start-up errors).
void LogFatal(std::string_view msg);

inline bool LogEnabled(LogLevel level) { return level >= LogGetLevel(); }

template <typename... Args>
void LogAt(LogLevel level, fmt::format_string<Args...> f, Args&&... args) {
  if (LogEnabled(level)) {
    LogWrite(level, fmt::format(f, std::forward<Args>(args)...));
  }
}
template <typename... Args>
void LogDebug(fmt::format_string<Args...> f, Args&&... args) {
  LogAt(LogLevel::kDebug, f, std::forward<Args>(args)...);
}
template <typename... Args>
void LogVerbose(fmt::format_string<Args...> f, Args&&... args) {
  LogAt(LogLevel::kVerbose, f, std::forward<Args>(args)...);
}
template <typename... Args>
void LogNotice(fmt::format_string<Args...> f, Args&&... args) {
  LogAt(LogLevel::kNotice, f, std::forward<Args>(args)...);
}
template <typename... Args>
void LogWarning(fmt::format_string<Args...> f, Args&&... args) {
  LogAt(LogLevel::kWarning, f, std::forward<Args>(args)...);
}

}  // namespace tessera
