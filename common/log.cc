#include "common/log.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <memory>

namespace tessera {

namespace {

struct LogState {
  LogLevel level = LogLevel::kNotice;
  char role = 'M';
  std::shared_ptr<spdlog::logger> logger;
  LogState() {
    logger = std::make_shared<spdlog::logger>("tessera",
                                              std::make_shared<spdlog::sinks::stdout_sink_mt>());
    logger->set_pattern("%v");
    logger->flush_on(spdlog::level::trace);
  }
};

LogState& State() {
  static LogState state;
  return state;
}

std::string Prefix(LogLevel level) {
  static const char kLevelChar[] = {'.', '-', '*', '#', ' '};
  struct timeval tv;
  gettimeofday(&tv, nullptr);
  struct tm tm;
  time_t secs = tv.tv_sec;
  localtime_r(&secs, &tm);
  char date[64];
  size_t n = strftime(date, sizeof(date), "%d %b %Y %H:%M:%S", &tm);
  char buf[128];
  snprintf(buf, sizeof(buf), "%d:%c %.*s.%03d %c ", static_cast<int>(getpid()), State().role,
           static_cast<int>(n), date, static_cast<int>(tv.tv_usec / 1000),
           kLevelChar[static_cast<int>(level)]);
  return buf;
}

}  // namespace

bool LogSetFile(const std::string& path, std::string* err) {
  try {
    std::shared_ptr<spdlog::sinks::sink> sink;
    if (path.empty()) {
      sink = std::make_shared<spdlog::sinks::stdout_sink_mt>();
    } else {
      sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(path, false);
    }
    auto logger = std::make_shared<spdlog::logger>("tessera", sink);
    logger->set_pattern("%v");
    logger->flush_on(spdlog::level::trace);
    State().logger = logger;
    return true;
  } catch (const spdlog::spdlog_ex& e) {
    if (err != nullptr) {
      *err = e.what();
    }
    return false;
  }
}

void LogSetLevel(LogLevel level) { State().level = level; }
LogLevel LogGetLevel() { return State().level; }
void LogSetRole(char role) { State().role = role; }

void LogWrite(LogLevel level, std::string_view msg) {
  std::string line = Prefix(level);
  line.append(msg);
  State().logger->info(line);
}

void LogFatal(std::string_view msg) {
  std::string line = Prefix(LogLevel::kWarning);
  line.append(msg);
  line.push_back('\n');
  fwrite(line.data(), 1, line.size(), stderr);
  fflush(stderr);
}

}  // namespace tessera
