#include <gtest/gtest.h>

#include "server/scripting/lua_engine.h"
#include "tests/unit/server/server_fixture.h"

namespace tessera::testing {
namespace {

// Lua <-> RESP conversions, the sandbox and the script cache, in process.
class ScriptingTest : public ServerFixture {
 protected:
  std::string Eval(std::string_view script) { return Run({"EVAL", script, "0"}); }
};

TEST_F(ScriptingTest, LuaValuesBecomeReplies) {
  EXPECT_EQ(Eval("return 'x'"), "x");
  EXPECT_EQ(Eval("return 3.99"), "3");
  EXPECT_EQ(Eval("return -3.99"), "-3");
  EXPECT_EQ(Eval("return true"), "1");
  EXPECT_EQ(Eval("return false"), "(nil)");
  EXPECT_EQ(Eval("return nil"), "(nil)");
  EXPECT_EQ(Eval("return {1, 'a', {2, 3}, false, 5}"), "[1, a, [2, 3], (nil), 5]");
}

TEST_F(ScriptingTest, TablesStopAtTheFirstNil) {
  EXPECT_EQ(Eval("return {1, 2, nil, 4}"), "[1, 2]");
  EXPECT_EQ(Eval("local t = {} t[1] = 1 t[3] = 3 return t"), "[1]");
}

TEST_F(ScriptingTest, StatusAndErrorTables) {
  EXPECT_EQ(Eval("return {ok='FINE'}"), "FINE");
  EXPECT_EQ(Eval("return {err='My Error'}"), "(error) My Error");
  EXPECT_EQ(Eval("return redis.error_reply('My Error')"), "(error) My Error");
  EXPECT_EQ(Eval("return redis.error_reply('-X y')"), "(error) X y");
  EXPECT_EQ(Eval("return redis.status_reply('S')"), "S");
}

TEST_F(ScriptingTest, RepliesBecomeLuaValues) {
  Run({"SET", "s", "v"});
  Run({"RPUSH", "l", "a", "b"});
  EXPECT_EQ(Eval("return type(redis.call('get', 'nokey'))"), "boolean");
  EXPECT_EQ(Eval("return redis.call('get', 's')"), "v");
  EXPECT_EQ(Eval("return redis.call('incr', 'n') + 1"), "2");
  EXPECT_EQ(Eval("return redis.call('lrange', 'l', 0, -1)"), "[a, b]");
  EXPECT_EQ(Eval("return redis.call('set', 'k', 'v')['ok']"), "OK");
  EXPECT_EQ(Eval("return redis.pcall('lpush', 's', 'x')['err']"),
            "WRONGTYPE Operation against a key holding the wrong kind of value");
}

TEST_F(ScriptingTest, Resp3Conversions) {
  Run({"HSET", "h", "f", "v"});
  EXPECT_EQ(Eval("redis.setresp(3) return redis.call('hgetall', 'h')['map']['f']"), "v");
  EXPECT_EQ(Eval("redis.setresp(3) return type(redis.call('get', 'nokey'))"), "nil");
  Run({"HELLO", "3"});
  EXPECT_EQ(Eval("redis.setresp(3) return true"), "(true)");
  EXPECT_EQ(Eval("redis.setresp(3) return {double=1.5}"), "1.5");
  EXPECT_EQ(Eval("redis.setresp(3) return {map={a=1}}"), "{a: 1}");
}

TEST_F(ScriptingTest, ErrorsAreReportedWithTheScriptAndLine) {
  Run({"SET", "s", "str"});
  std::string sha = Run({"SCRIPT", "LOAD", "return redis.call('incr', 's')"});
  EXPECT_EQ(Run({"EVALSHA", sha, "0"}),
            "(error) ERR value is not an integer or out of range script: " + sha +
                ", on @user_script:1.");
  EXPECT_EQ(Eval("return redis.call('nosuch')").find("(error) ERR Unknown Redis command called from script script: "), 0u);
  EXPECT_EQ(Eval("return foo(").find("(error) ERR Error compiling script (new function): user_script:1:"), 0u);
}

TEST_F(ScriptingTest, SandboxRefusesGlobalsAndLibraries) {
  EXPECT_NE(Eval("x = 5").find("Attempt to modify a readonly table"), std::string::npos);
  EXPECT_NE(Eval("return os").find("nonexistent global variable 'os'"), std::string::npos);
  EXPECT_NE(Eval("return loadfile").find("nonexistent global variable"), std::string::npos);
  EXPECT_NE(Eval("string.x = 1").find("readonly table"), std::string::npos);
  EXPECT_EQ(Eval("return ('abc'):upper()"), "ABC");
  EXPECT_EQ(Eval("return cjson.encode({1, 2})"), "[1,2]");
  EXPECT_EQ(Eval("return bit.band(7, 3)"), "3");
}

TEST_F(ScriptingTest, RandomIsOneDeterministicSequence) {
  // As Redis 7.0: drand48's initial state at start, not reseeded per script, so a fresh
  // server gives these values (checked against redis-server 7.0.15).
  EXPECT_EQ(Eval("return math.random(100)"), "40");
  EXPECT_EQ(Eval("return math.random(100)"), "85");
  EXPECT_EQ(Eval("math.randomseed(5) return math.random(1000)"), "525");
}

TEST_F(ScriptingTest, ReadOnlyScriptsCannotWrite) {
  EXPECT_NE(Run({"EVAL_RO", "return redis.call('set', 'a', 'b')", "0"})
                .find("Write commands are not allowed from read-only scripts."),
            std::string::npos);
  EXPECT_NE(Eval("#!lua flags=no-writes\nreturn redis.call('set', 'a', 'b')")
                .find("Write commands are not allowed"),
            std::string::npos);
  EXPECT_EQ(Run({"GET", "a"}), "(nil)");
  EXPECT_EQ(Eval("#!lua flags=bad\nreturn 1"), "(error) ERR Unexpected flag in script shebang: bad");
}

TEST_F(ScriptingTest, CacheLoadExistsFlush) {
  std::string sha = Run({"SCRIPT", "LOAD", "return 1"});
  EXPECT_EQ(sha, "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
  EXPECT_EQ(Run({"SCRIPT", "EXISTS", sha, "ffff"}), "[1, 0]");
  EXPECT_EQ(Run({"SCRIPT", "FLUSH"}), "OK");
  EXPECT_EQ(Run({"EVALSHA", sha, "0"}), "(error) NOSCRIPT No matching script. Please use EVAL.");
  EXPECT_EQ(Run({"SCRIPT", "KILL"}), "(error) NOTBUSY No scripts in execution right now.");
}

TEST_F(ScriptingTest, EffectsArePropagatedNotTheScript) {
  RecordingSink sink;
  server_.AddSink(&sink);
  Run({"EVAL", "redis.call('set', KEYS[1], ARGV[1]) redis.call('incr', 'n') return 1", "1", "k",
       "v"});
  server_.RemoveSink(&sink);
  ASSERT_EQ(sink.lines.size(), 4u);
  EXPECT_EQ(sink.lines[0], "0: MULTI");
  EXPECT_EQ(sink.lines[1], "0: set k v");  // as the script wrote it
  EXPECT_EQ(sink.lines[2], "0: incr n");
  EXPECT_EQ(sink.lines[3], "0: EXEC");
}

TEST(ShebangTest, Parsing) {
  uint32_t flags;
  size_t off;
  std::string err;
  EXPECT_TRUE(ParseShebang("return 1", &flags, &off, &err));
  EXPECT_EQ(flags, kScriptEvalCompat);
  EXPECT_TRUE(ParseShebang("#!lua flags=no-writes,allow-oom\nreturn 1", &flags, &off, &err));
  EXPECT_EQ(flags, kScriptNoWrites | kScriptAllowOom);
  EXPECT_EQ(off, 31u);
  EXPECT_FALSE(ParseShebang("#!lua", &flags, &off, &err));
  EXPECT_EQ(err, "ERR Invalid script shebang");
  EXPECT_FALSE(ParseShebang("#!py\n", &flags, &off, &err));
  EXPECT_EQ(err, "ERR Unexpected engine in script shebang: #!py");
}

}  // namespace
}  // namespace tessera::testing
