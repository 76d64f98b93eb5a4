// Configuration and state-file parsing, and what INFO parsing extracts.
#include "sentinel/core/config.h"

#include <gtest/gtest.h>

#include "sentinel/core/info.h"

namespace tessera::sentinel {
namespace {

TEST(SentinelConfig, RedisDirectivesParse) {
  SentinelConfig cfg;
  std::string err;
  ASSERT_TRUE(ParseConfig("port 26380\nbind 127.0.0.1 ::1\n"
                          "sentinel monitor mymaster 127.0.0.1 6379 2\n"
                          "sentinel down-after-milliseconds mymaster 1500\n"
                          "sentinel failover-timeout mymaster 9000\n"
                          "sentinel parallel-syncs mymaster 3\n"
                          "sentinel auth-pass mymaster \"s3 cret\"\n"
                          "sentinel announce-ip 10.1.2.3\nsentinel bus-secret xyz\n"
                          "# a comment\n",
                          "test.conf", &cfg, &err))
      << err;
  EXPECT_EQ(cfg.port, 26380);
  ASSERT_EQ(cfg.bind.size(), 2u);
  ASSERT_EQ(cfg.masters.size(), 1u);
  const MasterSpec& m = cfg.masters[0];
  EXPECT_EQ(m.addr.port, 6379);
  EXPECT_EQ(m.quorum, 2);
  EXPECT_EQ(m.down_after_ms, 1500);
  EXPECT_EQ(m.failover_timeout_ms, 9000);
  EXPECT_EQ(m.parallel_syncs, 3);
  EXPECT_EQ(m.auth_pass, "s3 cret");
  EXPECT_EQ(cfg.announce_ip, "10.1.2.3");
  EXPECT_EQ(cfg.bus_secret, "xyz");
}

TEST(SentinelConfig, ErrorsNameTheLine) {
  SentinelConfig cfg;
  std::string err;
  EXPECT_FALSE(ParseConfig("port 1\nsentinel down-after-milliseconds nosuch 5\n", "a.conf", &cfg,
                           &err));
  EXPECT_NE(err.find("a.conf, line 2"), std::string::npos) << err;
  EXPECT_NE(err.find("No such master"), std::string::npos) << err;
  EXPECT_FALSE(ParseConfig("sentinel monitor m 127.0.0.1 6379 0\n", "a.conf", &cfg, &err));
  EXPECT_NE(err.find("Quorum"), std::string::npos) << err;
  EXPECT_FALSE(ParseConfig("sentinel notification-script m /bin/x\n", "a.conf", &cfg, &err));
  EXPECT_FALSE(ParseConfig("nonsense 1\n", "a.conf", &cfg, &err));
  EXPECT_FALSE(ParseConfig("sentinel myid 123\n", "a.conf", &cfg, &err));
}

TEST(SentinelConfig, ArgumentsBecomeLines) {
  char a0[] = "tessera-sentinel", a1[] = "--port", a2[] = "5", a3[] = "--sentinel",
       a4[] = "announce-ip", a5[] = "a b";
  char* argv[] = {a0, a1, a2, a3, a4, a5};
  SentinelConfig cfg;
  std::string err;
  ASSERT_TRUE(ParseConfig(ArgsToConfigText(6, argv, 1), "args", &cfg, &err)) << err;
  EXPECT_EQ(cfg.port, 5);
  EXPECT_EQ(cfg.announce_ip, "a b");
}

TEST(SentinelConfig, StateFileRoundTripsAndOverridesTheConfig) {
  Identity id;
  id.myid = std::string(40, 'a');
  Sentinel s(id, 7);
  MasterSpec spec;
  spec.name = "m1";
  spec.addr = {"10.0.0.9", 6390};
  spec.quorum = 3;
  spec.down_after_ms = 2500;
  spec.config_epoch = 4;
  spec.auth_pass = "p w";
  spec.known_replicas = {{"10.0.0.8", 6391}};
  Peer p;
  p.runid = std::string(40, 'b');
  p.addr = {"10.0.0.7", 26379};
  p.bus = {"10.0.0.7", 36379};
  spec.known_sentinels = {p};
  ASSERT_EQ(s.Monitor(spec, 1000), "");
  std::string text = s.SerializeState();

  SentinelConfig state;
  std::string err;
  ASSERT_TRUE(ParseConfig(text, "state", &state, &err)) << err << "\n" << text;
  SentinelConfig cfg;
  ASSERT_TRUE(ParseConfig("sentinel monitor m1 10.0.0.1 6379 2\nsentinel monitor gone 10.0.0.2 1 1\n",
                          "main", &cfg, &err));
  state.removed.insert("gone");
  ApplyState(state, &cfg);
  EXPECT_EQ(cfg.myid, id.myid);
  EXPECT_EQ(cfg.current_epoch, 7u);
  ASSERT_EQ(cfg.masters.size(), 1u);
  const MasterSpec& m = cfg.masters[0];
  EXPECT_EQ(m.addr.port, 6390);  // the state's address (after a failover) wins
  EXPECT_EQ(m.quorum, 3);
  EXPECT_EQ(m.down_after_ms, 2500);
  EXPECT_EQ(m.config_epoch, 4u);
  EXPECT_EQ(m.auth_pass, "p w");
  ASSERT_EQ(m.known_replicas.size(), 1u);
  EXPECT_EQ(m.known_replicas[0].port, 6391);
  ASSERT_EQ(m.known_sentinels.size(), 1u);
  EXPECT_EQ(m.known_sentinels[0].bus.port, 36379);
}

TEST(SentinelConfig, RuntimeSettingsPersist) {
  SentinelConfig cfg;
  EXPECT_EQ(SetGlobal(&cfg, "announce-port", "70000"),
            "ERR Invalid value '70000' to SENTINEL CONFIG SET 'announce-port'");
  EXPECT_EQ(SetGlobal(&cfg, "announce-ip", "1.2.3.4"), "");
  EXPECT_EQ(SetGlobal(&cfg, "resolve-hostnames", "yes"), "");
  std::string v;
  ASSERT_TRUE(GetGlobal(cfg, "announce-ip", &v));
  EXPECT_EQ(v, "1.2.3.4");
  SentinelConfig fresh;
  ApplyState(cfg, &fresh);
  EXPECT_EQ(fresh.announce_ip, "1.2.3.4");
  EXPECT_TRUE(fresh.resolve_hostnames);
}

TEST(SentinelInfo, ReplicaAndMasterFields) {
  InfoReport m = ParseInfo(
      "# Server\r\nrun_id:abc\r\n# Replication\r\nrole:master\r\nconnected_slaves:2\r\n"
      "slave0:ip=10.0.0.2,port=6380,state=online,offset=55,lag=0\r\n"
      "slave1:10.0.0.3,6381,online\r\nmaster_repl_offset:99\r\n# Keyspace\r\n"
      "db0:keys=3,expires=0,avg_ttl=0\r\n");
  EXPECT_EQ(m.run_id, "abc");
  EXPECT_EQ(m.role, Role::kMaster);
  ASSERT_EQ(m.replicas.size(), 2u);
  EXPECT_EQ(m.replicas[0].addr.ToString(), "10.0.0.2:6380");
  EXPECT_EQ(m.replicas[0].offset, 55);
  EXPECT_EQ(m.replicas[1].addr.port, 6381);
  EXPECT_EQ(m.master_repl_offset, 99);
  EXPECT_TRUE(m.has_keys);
  InfoReport r = ParseInfo(
      "role:slave\nmaster_host:10.0.0.1\nmaster_port:6379\nmaster_link_status:down\n"
      "master_link_down_since_seconds:7\nslave_repl_offset:42\nslave_priority:0\n"
      "replica_announced:0\ndb0:keys=0,expires=0\n");
  EXPECT_EQ(r.role, Role::kReplica);
  EXPECT_EQ(r.master.ToString(), "10.0.0.1:6379");
  EXPECT_FALSE(r.master_link_up);
  EXPECT_EQ(r.master_link_down_ms, 7000);
  EXPECT_EQ(r.slave_repl_offset, 42);
  EXPECT_EQ(r.priority, 0);
  EXPECT_FALSE(r.replica_announced);
  EXPECT_FALSE(r.has_keys);
  EXPECT_EQ(Addr({"::1", 5}).ToString(), "[::1]:5");
}

}  // namespace
}  // namespace tessera::sentinel
