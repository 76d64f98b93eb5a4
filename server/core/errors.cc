#include "server/core/errors.h"

#include "common/strutil.h"

namespace tessera::err {

namespace {
// Redis echoes names and arguments with "%.128s": at most 128 bytes, ending at a NUL byte;
// line breaks become spaces.
std::string Clip(std::string_view s) {
  s = s.substr(0, s.find('\0'));
  std::string out(s.substr(0, 128));
  for (char& c : out) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  return out;
}
}  // namespace

std::string UnknownCommand(std::string_view name, const std::string_view* args, size_t nargs) {
  // As Redis: arguments are appended while the quoted list is under 128 bytes, each cut to
  // what is left of that budget.
  std::string list;
  for (size_t i = 0; i < nargs && list.size() < 128; ++i) {
    list += "'" + Clip(args[i].substr(0, 128 - list.size())) + "' ";
  }
  return "ERR unknown command '" + Clip(name) + "', with args beginning with: " + list;
}

std::string WrongArity(std::string_view fullname) {
  return "ERR wrong number of arguments for '" + ToLower(fullname) + "' command";
}

std::string UnknownSubcommand(std::string_view sub, std::string_view container) {
  return "ERR unknown subcommand '" + Clip(sub) + "'. Try " + ToUpper(container) + " HELP.";
}

std::string InvalidExpire(std::string_view cmd) {
  return "ERR invalid expire time in '" + ToLower(cmd) + "' command";
}

}  // namespace tessera::err
