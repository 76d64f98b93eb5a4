// Parses what a sentinel needs from a watched server's INFO reply (Redis's field names, so a
// real redis-server can be watched as well as tessera-server).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sentinel/core/model.h"

namespace tessera::sentinel {

struct InfoReport {
  std::string run_id;
  Role role = Role::kUnknown;
  // A replica's view of its master.
  Addr master;
  bool master_link_up = false;
  int64_t master_link_down_ms = 0;
  int priority = 100;
  int64_t slave_repl_offset = 0;
  bool replica_announced = true;
  // A master's.
  int64_t master_repl_offset = 0;
  struct Replica {
    Addr addr;
    std::string state;
    int64_t offset = 0;
  };
  std::vector<Replica> replicas;
  bool has_keys = false;   // a "dbN:keys=..." line with keys > 0
};

InfoReport ParseInfo(std::string_view text);

}  // namespace tessera::sentinel
