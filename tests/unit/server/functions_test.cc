#include <gtest/gtest.h>

#include "server/scripting/lua_engine.h"
#include "tests/unit/server/server_fixture.h"

namespace tessera::testing {
namespace {

// Function libraries: loading rules, calling, and the DUMP payload format.
class FunctionsTest : public ServerFixture {
 protected:
  static constexpr const char* kLib =
      "#!lua name=mylib\n"
      "redis.register_function('setget', function(keys, args)\n"
      "  redis.call('set', keys[1], args[1]) return redis.call('get', keys[1]) end)\n"
      "redis.register_function{function_name='ro', callback=function() return 'r' end,\n"
      "  flags={'no-writes'}, description='read only'}\n";
};

TEST_F(FunctionsTest, LoadAndCall) {
  EXPECT_EQ(Run({"FUNCTION", "LOAD", kLib}), "mylib");
  EXPECT_EQ(Run({"FCALL", "setget", "1", "k", "v"}), "v");
  EXPECT_EQ(Run({"FCALL", "SETGET", "1", "k", "w"}), "w");  // names are case-insensitive
  EXPECT_EQ(Run({"FCALL_RO", "ro", "0"}), "r");
  EXPECT_EQ(Run({"FCALL_RO", "setget", "1", "k", "v"}),
            "(error) ERR Can not execute a script with write flag using *_ro command.");
  EXPECT_EQ(Run({"FCALL", "nope", "x"}), "(error) ERR Function not found");
  EXPECT_EQ(Run({"FCALL", "ro", "x"}), "(error) ERR Bad number of keys provided");
}

TEST_F(FunctionsTest, LoadErrors) {
  EXPECT_EQ(Run({"FUNCTION", "LOAD", "return 1"}), "(error) ERR Missing library metadata");
  EXPECT_EQ(Run({"FUNCTION", "LOAD", "#!lua\nreturn 1"}),
            "(error) ERR Library name was not given");
  EXPECT_EQ(Run({"FUNCTION", "LOAD", "#!js name=x\n"}), "(error) ERR Engine 'js' not found");
  EXPECT_EQ(Run({"FUNCTION", "LOAD", "#!lua name=x\nreturn 1"}),
            "(error) ERR No functions registered");
  EXPECT_EQ(Run({"FUNCTION", "LOAD", "#!lua name=x\nredis.call('ping')"}),
            "(error) ERR Error registering functions: ERR user_function:2: Script attempted to "
            "access nonexistent global variable 'call'");
  Run({"FUNCTION", "LOAD", kLib});
  EXPECT_EQ(Run({"FUNCTION", "LOAD", kLib}), "(error) ERR Library 'mylib' already exists");
  EXPECT_EQ(Run({"FUNCTION", "LOAD", "REPLACE", kLib}), "mylib");
  EXPECT_EQ(Run({"FUNCTION", "LOAD",
                 "#!lua name=other\nredis.register_function('SetGet', function() end)"}),
            "(error) ERR Function SetGet already exists");
}

TEST_F(FunctionsTest, FunctionsDoNotSeeKeysAndArgv) {
  Run({"FUNCTION", "LOAD", "#!lua name=k\nredis.register_function('k', function() return KEYS end)"});
  EXPECT_EQ(Run({"FCALL", "k", "0"}),
            "(error) ERR user_function:2: Script attempted to access nonexistent global "
            "variable 'KEYS' script: k, on @user_function:2.");
}

TEST_F(FunctionsTest, DumpRestoreRoundTrip) {
  Run({"FUNCTION", "LOAD", kLib});
  std::string payload = RunValue({"FUNCTION", "DUMP"}).str;
  ASSERT_GE(payload.size(), 10u);
  EXPECT_EQ(static_cast<uint8_t>(payload[0]), 0xF5);  // RDB_OPCODE_FUNCTION2
  EXPECT_EQ(payload.substr(payload.size() - 10, 2), std::string("\x0a\x00", 2));  // RDB 10
  EXPECT_EQ(Run({"FUNCTION", "FLUSH"}), "OK");
  EXPECT_EQ(Run({"FUNCTION", "RESTORE", payload}), "OK");
  EXPECT_EQ(Run({"FUNCTION", "RESTORE", payload}), "(error) ERR Library mylib already exists");
  EXPECT_EQ(Run({"FUNCTION", "RESTORE", payload, "REPLACE"}), "OK");
  payload[3] ^= 1;
  EXPECT_EQ(Run({"FUNCTION", "RESTORE", payload}),
            "(error) ERR DUMP payload version or checksum are wrong");
  EXPECT_EQ(Run({"FCALL", "ro", "0"}), "r");
}

TEST_F(FunctionsTest, SurvivesScriptFlush) {
  Run({"FUNCTION", "LOAD", kLib});
  Run({"SCRIPT", "FLUSH"});
  EXPECT_EQ(Run({"FCALL_RO", "ro", "0"}), "r");
  Run({"FUNCTION", "FLUSH"});
  EXPECT_EQ(Run({"FCALL_RO", "ro", "0"}), "(error) ERR Function not found");
}

TEST(LibraryMetadataTest, Parsing) {
  std::string name, err;
  size_t off = 0;
  EXPECT_TRUE(ParseLibraryMetadata("#!LUA NAME=abc\nx", &name, &off, &err));
  EXPECT_EQ(name, "abc");
  EXPECT_EQ(off, 14u);
  EXPECT_FALSE(ParseLibraryMetadata("#! lua name=x\n", &name, &off, &err));
  EXPECT_EQ(err, "ERR Invalid metadata value given: lua");
  EXPECT_FALSE(ParseLibraryMetadata("#!lua name=a name=b\n", &name, &off, &err));
  EXPECT_EQ(err, "ERR Invalid metadata value, name argument was given multiple times");
  EXPECT_FALSE(ParseLibraryMetadata("#!lua name=a-b\n", &name, &off, &err));
}

}  // namespace
}  // namespace tessera::testing
