#include "sentinel/core/info.h"

#include "common/strutil.h"

namespace tessera::sentinel {
namespace {

int64_t ToInt(std::string_view s, int64_t fallback = 0) {
  auto v = ParseInt64(s);
  return v ? *v : fallback;
}

// The value of `key=` inside "a=1,b=2" ("" if absent).
std::string_view Field(std::string_view list, std::string_view key) {
  size_t pos = 0;
  while (pos <= list.size()) {
    size_t end = list.find(',', pos);
    if (end == std::string_view::npos) end = list.size();
    std::string_view item = list.substr(pos, end - pos);
    if (item.size() > key.size() && item.substr(0, key.size()) == key &&
        item[key.size()] == '=') {
      return item.substr(key.size() + 1);
    }
    pos = end + 1;
  }
  return {};
}

// "slaveN:ip=...,port=...,state=...,offset=...", or the pre-2.8 "slaveN:<ip>,<port>,<state>".
bool ParseReplicaLine(std::string_view value, InfoReport::Replica* out) {
  if (value.find('=') != std::string_view::npos) {
    out->addr.host = std::string(Field(value, "ip"));
    out->addr.port = static_cast<int>(ToInt(Field(value, "port")));
    out->state = std::string(Field(value, "state"));
    out->offset = ToInt(Field(value, "offset"));
  } else {
    size_t c1 = value.find(',');
    if (c1 == std::string_view::npos) return false;
    size_t c2 = value.find(',', c1 + 1);
    out->addr.host = std::string(value.substr(0, c1));
    out->addr.port = static_cast<int>(ToInt(value.substr(c1 + 1, c2 - c1 - 1)));
    if (c2 != std::string_view::npos) out->state = std::string(value.substr(c2 + 1));
  }
  return !out->addr.host.empty() && out->addr.port > 0;
}

}  // namespace

InfoReport ParseInfo(std::string_view text) {
  InfoReport r;
  ForEachLine(text, [&r](std::string_view line) {
    size_t colon = line.find(':');
    if (line.empty() || line[0] == '#' || colon == std::string_view::npos) return;
    std::string_view key = line.substr(0, colon), value = line.substr(colon + 1);
    if (key == "run_id") {
      r.run_id = std::string(value);
    } else if (key == "role") {
      r.role = value == "master" ? Role::kMaster : value == "slave" ? Role::kReplica : Role::kUnknown;
    } else if (key == "master_host") {
      r.master.host = std::string(value);
    } else if (key == "master_port") {
      r.master.port = static_cast<int>(ToInt(value));
    } else if (key == "master_link_status") {
      r.master_link_up = value == "up";
    } else if (key == "master_link_down_since_seconds") {
      r.master_link_down_ms = ToInt(value) * 1000;
    } else if (key == "slave_priority" || key == "replica_priority") {
      r.priority = static_cast<int>(ToInt(value, 100));
    } else if (key == "slave_repl_offset") {
      r.slave_repl_offset = ToInt(value);
    } else if (key == "replica_announced") {
      r.replica_announced = value != "0";
    } else if (key == "master_repl_offset") {
      r.master_repl_offset = ToInt(value);
    } else if (key.size() > 5 && key.substr(0, 5) == "slave" &&
               ParseInt64(key.substr(5)).has_value()) {
      InfoReport::Replica rep;
      if (ParseReplicaLine(value, &rep)) r.replicas.push_back(std::move(rep));
    } else if (key.size() > 2 && key.substr(0, 2) == "db" && ParseInt64(key.substr(2))) {
      if (ToInt(Field(value, "keys")) > 0) r.has_keys = true;
    }
  });
  return r;
}

}  // namespace tessera::sentinel
