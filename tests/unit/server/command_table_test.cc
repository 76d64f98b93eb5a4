#include <gtest/gtest.h>

#include "server/core/command.h"
#include "tests/unit/server/server_fixture.h"

namespace tessera::testing {
namespace {

class CommandTableTest : public ServerFixture {};

TEST_F(CommandTableTest, LookupIsCaseInsensitiveAndFindsSubcommands) {
  CommandTable& t = server_.commands();
  ASSERT_NE(t.Find("GeT"), nullptr);
  EXPECT_EQ(t.Find("GeT")->fullname, "get");
  std::vector<std::string_view> argv = {"config", "GET", "x"};
  bool unknown = false;
  const Command* c = t.Lookup(argv, &unknown);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->fullname, "config|get");
  std::vector<std::string_view> bad = {"config", "nope"};
  c = t.Lookup(bad, &unknown);
  EXPECT_TRUE(unknown);
}

TEST_F(CommandTableTest, LegacyRangeAndMovableKeysDerivedFromSpecs) {
  const Command* mset = server_.commands().Find("mset");
  EXPECT_EQ(mset->first_key, 1);
  EXPECT_EQ(mset->last_key, -1);
  EXPECT_EQ(mset->key_step, 2);
  const Command* rename = server_.commands().Find("rename");
  EXPECT_EQ(rename->first_key, 1);
  EXPECT_EQ(rename->last_key, 2);
  EXPECT_FALSE(rename->Is(kCmdMovableKeys));
  // Implicit ACL categories: write -> @write, not fast -> @slow.
  EXPECT_TRUE(rename->acl & kAclWrite);
  EXPECT_TRUE(rename->acl & kAclSlow);
  EXPECT_TRUE(server_.commands().Find("get")->acl & kAclFast);
}

TEST_F(CommandTableTest, GetKeysFromSpecs) {
  std::vector<KeyRef> keys;
  std::vector<std::string_view> argv = {"MSET", "a", "1", "b", "2"};
  ASSERT_TRUE(CommandTable::GetKeys(*server_.commands().Find("mset"), argv, &keys));
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0].pos, 1);
  EXPECT_EQ(keys[1].pos, 3);
  KeySpec kw = KeySpec::Keyword("STREAMS", 1, -1, 1, kKsRO);
  kw.limit = 2;  // as XREAD: half of what follows STREAMS are keys
  CommandSpec spec{.name = "fake", .arity = -2, .keys = {kw}};
  CommandTable t;
  t.Add(spec);
  std::vector<std::string_view> xs = {"FAKE", "COUNT", "2", "STREAMS", "s1", "s2", "0", "0"};
  ASSERT_TRUE(CommandTable::GetKeys(*t.Find("fake"), xs, &keys));
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0].pos, 4);
  EXPECT_EQ(keys[1].pos, 5);
  KeySpec kn = KeySpec::Keynum(1, 0, 1, 1, kKsRW);
  CommandTable t2;
  t2.Add(CommandSpec{.name = "knum", .arity = -3, .keys = {kn}});
  std::vector<std::string_view> ks = {"KNUM", "2", "x", "y", "arg"};
  ASSERT_TRUE(CommandTable::GetKeys(*t2.Find("knum"), ks, &keys));
  EXPECT_EQ(keys.size(), 2u);
  std::vector<std::string_view> bad = {"KNUM", "5", "x"};
  EXPECT_FALSE(CommandTable::GetKeys(*t2.Find("knum"), bad, &keys));
}

TEST_F(CommandTableTest, DocSynopsisParses) {
  auto args = ParseDocArgs(
      "key:key value:string [condition=NX|XX] [GET] [EX seconds:integer|KEEPTTL] "
      "[LIMIT offset:integer count:integer] (data=field:string value:string)...");
  ASSERT_EQ(args.size(), 7u);
  EXPECT_EQ(args[0].type, "key");
  EXPECT_EQ(args[0].key_spec_index, 0);
  EXPECT_EQ(args[2].type, "oneof");
  EXPECT_EQ(args[2].name, "condition");
  EXPECT_TRUE(args[2].optional);
  EXPECT_EQ(args[2].children.size(), 2u);
  EXPECT_EQ(args[3].type, "pure-token");
  EXPECT_EQ(args[4].children[0].token, "EX");
  EXPECT_EQ(args[4].children[0].type, "integer");
  EXPECT_EQ(args[5].type, "block");
  EXPECT_EQ(args[5].token, "LIMIT");
  EXPECT_EQ(args[5].children.size(), 2u);
  EXPECT_TRUE(args[6].multiple);
  EXPECT_EQ(args[6].name, "data");
}

TEST_F(CommandTableTest, DispatcherErrors) {
  EXPECT_EQ(Run({"NOSUCH", "a", "b"}),
            "(error) ERR unknown command 'NOSUCH', with args beginning with: 'a' 'b' ");
  EXPECT_EQ(Run({"GET"}), "(error) ERR wrong number of arguments for 'get' command");
  EXPECT_EQ(Run({"CONFIG", "GET"}),
            "(error) ERR wrong number of arguments for 'config|get' command");
  EXPECT_EQ(Run({"CONFIG", "nope"}), "(error) ERR unknown subcommand 'nope'. Try CONFIG HELP.");
  const Command* get = server_.commands().Find("get");
  EXPECT_EQ(get->stats.rejected, 1u);
  EXPECT_EQ(server_.stats().error_codes.at("ERR"), 4u);
}

TEST_F(CommandTableTest, ClientReplyModes) {
  EXPECT_EQ(Run({"CLIENT", "REPLY", "OFF"}), "(no reply)");
  EXPECT_EQ(Run({"PING"}), "(no reply)");
  EXPECT_EQ(Run({"CLIENT", "REPLY", "ON"}), "OK");
  EXPECT_EQ(Run({"CLIENT", "REPLY", "SKIP"}), "(no reply)");
  EXPECT_EQ(Run({"PING"}), "(no reply)");
  EXPECT_EQ(Run({"PING"}), "PONG");
}

TEST_F(CommandTableTest, AuthGate) {
  server_.config().requirepass = "secret";
  Client* c = server_.CreateFakeClient();
  EXPECT_EQ(RunOn(c, {"GET", "k"}), "(error) NOAUTH Authentication required.");
  EXPECT_EQ(RunOn(c, {"AUTH", "wrong"}),
            "(error) WRONGPASS invalid username-password pair or user is disabled.");
  EXPECT_EQ(RunOn(c, {"AUTH", "default", "secret"}), "OK");
  EXPECT_EQ(RunOn(c, {"GET", "k"}), "(nil)");
}

}  // namespace
}  // namespace tessera::testing
