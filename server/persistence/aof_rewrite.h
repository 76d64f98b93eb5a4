// The dataset as commands: the base file of an AOF written with `aof-use-rdb-preamble no`, in
// the shape Redis 7.0's rewrite gives it (SELECT per database, batches of up to 64 elements per
// RPUSH/SADD/ZADD/HMSET, PEXPIREAT for TTLs, streams rebuilt with XADD, XSETID, XGROUP and
// XCLAIM, function libraries with FUNCTION LOAD), so Redis loads it and so do we.
#pragma once

#include <string>
#include <vector>

#include "server/persistence/rdb_file.h"

namespace tessera {

class Keyspace;

namespace aof {

// Hands the commands to `sink` in chunks; false when the sink failed.
// Uses opts.functions and opts.key_save_delay.
bool WriteDatasetCommands(Keyspace& ks, const rdb::SaveOptions& opts, const rdb::Sink& sink);
// Writes them to `path` atomically (temp file, fsync, rename).
bool SaveCommandsFile(const std::string& path, Keyspace& ks, const rdb::SaveOptions& opts,
                      std::string* err);

}  // namespace aof
}  // namespace tessera
