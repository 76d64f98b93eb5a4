"""Lua scripting with real clients, mostly side by side with redis-server 7.0 (the same script on
both servers, the exact reply bytes compared): Lua -> RESP conversions (numbers truncated towards
zero, booleans, nil, nested tables that stop at the first nil, {ok=}/{err=} tables,
redis.status_reply/redis.error_reply with and without a '-CODE'), RESP3 replies of a HELLO 3 client
(maps, sets, doubles, booleans after redis.setresp(3), big numbers, verbatim strings, nulls),
RESP -> Lua conversions (type() of every reply kind, with and without redis.setresp(3)); errors
(unknown commands, wrong arity, commands not allowed from scripts, non-string arguments, calls
without arguments, runtime and compile errors with their 'script: <sha>, on @user_script:<line>.'
suffix, error tables, redis.call versus redis.pcall, shebang errors, NOSCRIPT, bad numkeys, writes
from EVAL_RO / EVALSHA_RO / no-writes scripts); the sandbox (no new globals, no undefined globals,
read-only library tables, the globals Redis hides, loadstring, KEYS/ARGV); Redis's math.random
sequence; cjson, bit, struct and cmsgpack; SCRIPT LOAD/EXISTS/FLUSH/KILL/HELP; busy scripts
(BUSY replies after busy-reply-threshold a.k.a. lua-time-limit, SCRIPT KILL of a read-only script,
UNKILLABLE after a write, SHUTDOWN NOSAVE); scripts inside MULTI and SELECT inside scripts; and use
cases with concurrent clients: a token-bucket rate limiter, a SET NX PX lock released by a
compare-and-delete script, WATCH broken by another client's script, and atomic multi-key writes.

Surprises of Redis 7.0.15 that the tests pin down: math.random is seeded once per server (not
per script: consecutive EVALs continue one sequence, SCRIPT FLUSH does not reset it);
redis.error_reply('MY') is '-ERR MY' while redis.error_reply('MYERR text') is '-MYERR text';
{err='-MY code'} and error({err='-CODE msg'}) keep the dash; errors raised by redis.call are
strings for a Lua pcall (not {err=} tables); rawset(_G, ...) and setmetatable(_G, ...) fail
without the 'user_script:1:' position; Lua numbers passed to redis.call are formatted with %.17g
(3.7 -> '3.7000000000000002'); `error({foo=1})` (a table without err) crashes redis-server 7.0.15,
so it is not tested here."""
import hashlib
import threading
import time

import pytest
import redis

from pairing import CallThread, pair  # noqa: F401 (pair is a fixture)
from resp import Closed, ErrorReply

BUSY = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
NOTBUSY = "NOTBUSY No scripts in execution right now."
UNKILLABLE = ("UNKILLABLE Sorry the script already executed write commands against the dataset. "
              "You can either wait the script termination or kill the server in a hard way using "
              "the SHUTDOWN NOSAVE command.")
KILLED = "ERR Script killed by user with SCRIPT KILL..."
NOSCRIPT = "NOSCRIPT No matching script. Please use EVAL."
WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
NOT_INT = "ERR value is not an integer or out of range"
READONLY_TABLE = "Attempt to modify a readonly table"


def sha1(text):
    return hashlib.sha1(text.encode() if isinstance(text, str) else text).hexdigest()


def script_error(message, script, line=1):
    """The text of an error raised inside a script: Redis 7.0 appends where it happened."""
    return f"{message} script: {sha1(script)}, on @user_script:{line}."


def evals(*scripts):
    """EVAL commands without keys for each script."""
    return [("EVAL", s, "0") for s in scripts]


def ev(pair, script, *keys_and_args, numkeys=0):
    """EVAL on both servers (replies compared); returns the normalised reply."""
    return pair.same("EVAL", script, str(numkeys), *keys_and_args)


def ev_bytes(pair, script, *keys_and_args, numkeys=0):
    return pair.same_bytes("EVAL", script, str(numkeys), *keys_and_args)


# ------------------------------------------------------------------ Lua -> RESP conversions


def test_lua_numbers_booleans_nil(pair):
    assert ev(pair, "return 3.99") == 3
    assert ev(pair, "return -3.99") == -3
    assert ev(pair, "return -0.5") == 0
    assert ev(pair, "return 2^53") == 2 ** 53
    assert ev(pair, "return 42") == 42
    assert ev(pair, "return true") == 1
    assert ev(pair, "return false") is None
    assert ev(pair, "return nil") is None
    assert ev(pair, "return") is None
    assert ev(pair, "") is None
    assert ev_bytes(pair, "return 3.99") == b":3\r\n"
    assert ev_bytes(pair, "return -3.99") == b":-3\r\n"
    assert ev_bytes(pair, "return true") == b":1\r\n"
    assert ev_bytes(pair, "return false") == b"$-1\r\n"
    assert ev_bytes(pair, "return nil") == b"$-1\r\n"


def test_lua_strings(pair):
    assert ev(pair, "return 'hello'") == b"hello"
    assert ev_bytes(pair, "return 'a\\0b'") == b"$3\r\na\x00b\r\n"
    assert ev_bytes(pair, "return ''") == b"$0\r\n\r\n"
    assert ev(pair, "return string.rep('x', 3)") == b"xxx"
    assert ev(pair, "return tostring(0.1 + 0.2)") == b"0.3"
    assert ev(pair, "return tostring(math.pi)") == b"3.1415926535898"
    assert ev(pair, "return ('abc'):upper()") == b"ABC"
    big = "v" * 100000
    pair.same("SET", "big", big)
    assert ev(pair, "return redis.call('get', KEYS[1])", "big", numkeys=1) == big.encode()


def test_lua_tables(pair):
    assert ev(pair, "return {1, 2, {3, 'x'}, 'y'}") == [1, 2, [3, b"x"], b"y"]
    # a nil hole ends the array
    assert ev(pair, "return {1, 2, {3, 'x'}, nil, 5}") == [1, 2, [3, b"x"]]
    assert ev(pair, "return {1, nil, 3}") == [1]
    assert ev(pair, "return {nil, 2}") == []
    assert ev(pair, "return {}") == []
    # non-array keys are ignored
    assert ev(pair, "return {foo='bar'}") == []
    assert ev(pair, "return {1, 2, foo='bar'}") == [1, 2]
    # false inside an array is a nil bulk, true is 1, floats are truncated
    assert ev(pair, "return {true, false, 1.5, -2.5}") == [1, None, 1, -2]
    assert ev_bytes(pair, "return {1, {2, {3, {}}}, 'z'}") == \
        b"*3\r\n:1\r\n*2\r\n:2\r\n*2\r\n:3\r\n*0\r\n$1\r\nz\r\n"
    assert ev_bytes(pair, "return {true, false}") == b"*2\r\n:1\r\n$-1\r\n"
    n = ev(pair, "local t = {} for i = 1, 10000 do t[i] = i end return t")
    assert n == list(range(1, 10001))


def test_ok_and_err_tables(pair):
    assert ev_bytes(pair, "return {ok='fine'}") == b"+fine\r\n"
    assert ev_bytes(pair, "return {ok=''}") == b"+\r\n"
    assert ev_bytes(pair, "return {err='My Error'}") == b"-My Error\r\n"
    assert ev_bytes(pair, "return {err='WRONG something'}") == b"-WRONG something\r\n"
    assert ev_bytes(pair, "return {err=''}") == b"-\r\n"
    # the dash of a '-CODE' error table is kept
    assert ev_bytes(pair, "return {err='-MY code'}") == b"--MY code\r\n"
    # err wins over ok
    assert ev_bytes(pair, "return {ok='x', err='y'}") == b"-y\r\n"
    assert ev_bytes(pair, "return {err='y', ok='x'}") == b"-y\r\n"
    # non-string ok/err: an empty array
    assert ev_bytes(pair, "return {ok=1}") == b"*0\r\n"
    assert ev_bytes(pair, "return {err=1}") == b"*0\r\n"
    # inside an array
    assert ev_bytes(pair, "return {1, {ok='OK'}, {err='E x'}}") == b"*3\r\n:1\r\n+OK\r\n-E x\r\n"
    # a status reply from redis.call goes back to the client as a status
    assert ev_bytes(pair, "return redis.call('set', 'k', 'v')") == b"+OK\r\n"
    assert ev_bytes(pair, "return redis.call('ping')") == b"+PONG\r\n"
    assert ev_bytes(pair, "return redis.call('type', 'k')") == b"+string\r\n"


def test_status_reply_and_error_reply(pair):
    assert ev_bytes(pair, "return redis.status_reply('STAT')") == b"+STAT\r\n"
    assert ev_bytes(pair, "return redis.status_reply('')") == b"+\r\n"
    assert ev_bytes(pair, "return redis.error_reply('MYERR text')") == b"-MYERR text\r\n"
    assert ev_bytes(pair, "return redis.error_reply('-MYERR text')") == b"-MYERR text\r\n"
    # a single word is taken as a message with the generic ERR code
    assert ev_bytes(pair, "return redis.error_reply('MY')") == b"-ERR MY\r\n"
    assert ev_bytes(pair, "return redis.error_reply('')") == b"-ERR \r\n"
    for script in ("return redis.error_reply()", "return redis.error_reply(1)",
                   "return redis.status_reply()", "return redis.status_reply(5)"):
        assert ev_bytes(pair, script) == b"-ERR wrong number or type of arguments\r\n", script
    # the tables they make
    assert ev(pair, "local t = redis.status_reply('S') return {type(t), t.ok}") == \
        [b"table", b"S"]
    assert ev(pair, "local t = redis.error_reply('E x') return {type(t), t.err}") == \
        [b"table", b"E x"]
    assert ev(pair, "local t = redis.error_reply('-E x') return t.err") == b"E x"


# ------------------------------------------------------------------ RESP3


RESP3_SCRIPTS = [
    "return {map={a=1}}",
    "return {map={a={1, 2}}}",
    "return {map={}}",
    "return {set={a=true}}",
    "return {set={}}",
    "return {double=3.5}",
    "return {double=3}",
    "return {double=0.1}",
    "return {double=-2.25}",
    "return {double=1/0}",
    "return {double=-1/0}",
    "return {double=1e300}",
    "return {double='abc'}",
    "return {big_number='123456789012345678901234567890'}",
    "return {big_number=12345}",
    "return {verbatim_string={format='txt', string='hello'}}",
    "return {1, {double=1.25}, true, false, nil, 7}",
    "return {1, {double=1.25}, true, false, {map={k={set={m=true}}}}}",
    "return true",
    "return false",
    "return nil",
    "return {true, false}",
    "redis.setresp(3) return true",
    "redis.setresp(3) return false",
    "redis.setresp(3) return {true, false, 1}",
    "redis.setresp(3) return {double=3.5}",
    "redis.setresp(3) return redis.call('hgetall', 'h')",
    "redis.setresp(3) return redis.call('smembers', 's')",
    "redis.setresp(3) return redis.call('zscore', 'z', 'a')",
    "redis.setresp(3) return redis.call('zrange', 'z', 0, -1, 'withscores')",
    "redis.setresp(3) return redis.call('get', 'nokey')",
    "redis.setresp(3) return {redis.call('get', 'nokey'), 1}",
    "redis.setresp(3) return redis.call('hgetall', 'nokey')",
    "redis.setresp(2) return redis.call('hgetall', 'h')",
    "return redis.call('hgetall', 'h')",
    "return redis.call('zscore', 'z', 'a')",
    "return redis.call('get', 'nokey')",
]


@pytest.mark.parametrize("proto", [2, 3])
def test_resp3_conversions_exact_bytes(pair, proto):
    for args in (("HSET", "h", "f", "v"), ("SADD", "s", "m"), ("ZADD", "z", "1.5", "a")):
        pair.same(*args)
    if proto == 3:
        pair.hello3()
    pair.all_same(evals(*RESP3_SCRIPTS))
    expected3 = {
        "return {map={a=1}}": b"%1\r\n$1\r\na\r\n:1\r\n",
        "return {set={a=true}}": b"~1\r\n$1\r\na\r\n",
        "return {double=3.5}": b",3.5\r\n",
        "return {double=0.1}": b",0.10000000000000001\r\n",
        "return {big_number='123456789012345678901234567890'}":
            b"(123456789012345678901234567890\r\n",
        "return {verbatim_string={format='txt', string='hello'}}": b"=9\r\ntxt:hello\r\n",
        "return false": b"_\r\n",
        "return true": b":1\r\n",
        "redis.setresp(3) return {true, false, 1}": b"*3\r\n#t\r\n#f\r\n:1\r\n",
        "redis.setresp(3) return redis.call('hgetall', 'h')": b"%1\r\n$1\r\nf\r\n$1\r\nv\r\n",
        "redis.setresp(3) return redis.call('smembers', 's')": b"~1\r\n$1\r\nm\r\n",
        "redis.setresp(3) return redis.call('zscore', 'z', 'a')": b",1.5\r\n",
        "redis.setresp(3) return redis.call('get', 'nokey')": b"_\r\n",
    }
    expected2 = {
        "return {map={a=1}}": b"*2\r\n$1\r\na\r\n:1\r\n",
        "return {set={a=true}}": b"*1\r\n$1\r\na\r\n",
        "return {double=3.5}": b"$3\r\n3.5\r\n",
        "return {double=0.1}": b"$19\r\n0.10000000000000001\r\n",
        "return {big_number='123456789012345678901234567890'}":
            b"$30\r\n123456789012345678901234567890\r\n",
        "return {verbatim_string={format='txt', string='hello'}}": b"$5\r\nhello\r\n",
        "return false": b"$-1\r\n",
        "redis.setresp(3) return {true, false, 1}": b"*3\r\n:1\r\n:0\r\n:1\r\n",
        "redis.setresp(3) return redis.call('hgetall', 'h')": b"*2\r\n$1\r\nf\r\n$1\r\nv\r\n",
        "redis.setresp(3) return redis.call('zscore', 'z', 'a')": b"$3\r\n1.5\r\n",
        "redis.setresp(3) return redis.call('get', 'nokey')": b"$-1\r\n",
    }
    for script, want in (expected3 if proto == 3 else expected2).items():
        assert ev_bytes(pair, script) == want, script


@pytest.mark.parametrize("proto", [2, 3])
def test_resp3_multi_element_maps_and_sets(pair, proto):
    """Lua table order is not part of the contract: compared as parsed maps/sets."""
    if proto == 3:
        pair.hello3()
    pair.same("HSET", "h", "a", "1", "b", "2", "c", "3")
    pair.same("SADD", "s", "x", "y", "z")
    got = ev(pair, "return {map={a=1, b='two', c={1, 2}, d={double=1.5}}}")
    want_map = {b"a": 1, b"b": b"two", b"c": (1, 2), b"d": 1.5}
    if proto == 3:
        assert {k: tuple(v) if isinstance(v, list) else v for k, v in got.items()} == want_map
    else:
        assert len(got) == 8
        flat = dict(zip(got[::2], got[1::2]))
        assert {k: tuple(v) if isinstance(v, list) else v for k, v in flat.items()} == \
            {b"a": 1, b"b": b"two", b"c": (1, 2), b"d": b"1.5"}
    got = ev(pair, "return {set={x=true, y=true, z=true}}")
    assert (got if proto == 3 else set(got)) == {b"x", b"y", b"z"}
    got = ev(pair, "redis.setresp(3) return redis.call('hgetall', 'h')")
    if proto == 3:
        assert got == {b"a": b"1", b"b": b"2", b"c": b"3"}
    else:
        assert dict(zip(got[::2], got[1::2])) == {b"a": b"1", b"b": b"2", b"c": b"3"}
    got = ev(pair, "redis.setresp(3) return redis.call('smembers', 's')")
    assert (got if proto == 3 else set(got)) == {b"x", b"y", b"z"}


def test_resp3_replies_seen_from_lua(pair):
    pair.same("HSET", "h", "f", "v")
    pair.same("SADD", "s", "m")
    pair.same("ZADD", "z", "1.5", "a")
    assert ev(pair, "redis.setresp(3) local r = redis.call('hgetall', 'h') "
                    "return {type(r), type(r.map), r.map.f}") == [b"table", b"table", b"v"]
    assert ev(pair, "redis.setresp(3) local r = redis.call('smembers', 's') "
                    "return {type(r.set), tostring(r.set.m)}") == [b"table", b"true"]
    assert ev(pair, "redis.setresp(3) local r = redis.call('zscore', 'z', 'a') "
                    "return {type(r), type(r.double), tostring(r.double)}") == \
        [b"table", b"number", b"1.5"]
    # RESP3 null is nil (RESP2's null bulk is false)
    assert ev(pair, "redis.setresp(3) return type(redis.call('get', 'nokey'))") == b"nil"
    assert ev(pair, "return type(redis.call('get', 'nokey'))") == b"boolean"
    # without setresp(3) a HELLO 3 caller still gets RESP2 replies inside Lua
    pair.hello3()
    assert ev(pair, "local r = redis.call('hgetall', 'h') return {type(r), #r, r[1], r[2]}") == \
        [b"table", 2, b"f", b"v"]
    assert ev(pair, "return type(redis.call('zscore', 'z', 'a'))") == b"string"
    # setresp(2) after setresp(3) switches back
    assert ev(pair, "redis.setresp(3) redis.setresp(2) "
                    "return type(redis.call('get', 'nokey'))") == b"boolean"


def test_setresp_errors(pair):
    for script in ("return redis.setresp(4)", "return redis.setresp('x')",
                   "return redis.setresp(1)"):
        assert ev(pair, script) == ("error", script_error("ERR RESP version must be 2 or 3.",
                                                          script))
    script = "return redis.setresp()"
    assert ev(pair, script) == \
        ("error", script_error("ERR redis.setresp() requires one argument.", script))
    assert ev(pair, "return redis.setresp(3)") is None


# ------------------------------------------------------------------ RESP -> Lua


def test_redis_call_reply_types(pair):
    pair.same("SET", "str", "v")
    pair.same("RPUSH", "lst", "a", "b")
    assert ev(pair, "return type(redis.call('incr', 'cnt'))") == b"number"
    assert ev(pair, "return type(redis.call('get', 'str'))") == b"string"
    assert ev(pair, "return type(redis.call('get', 'nokey'))") == b"boolean"
    assert ev(pair, "return tostring(redis.call('get', 'nokey'))") == b"false"
    assert ev(pair, "return type(redis.call('lrange', 'lst', 0, -1))") == b"table"
    assert ev(pair, "local r = redis.call('lrange', 'lst', 0, -1) return {#r, r[1], r[2]}") == \
        [2, b"a", b"b"]
    assert ev(pair, "local r = redis.call('lrange', 'nokey', 0, -1) return {type(r), #r}") == \
        [b"table", 0]
    assert ev(pair, "local r = redis.call('set', 'x', '1') return {type(r), r.ok}") == \
        [b"table", b"OK"]
    assert ev(pair, "local r = redis.call('ping') return r.ok") == b"PONG"
    assert ev(pair, "local r = redis.pcall('incr', 'str') return {type(r), r.err}") == \
        [b"table", NOT_INT.encode()]
    assert ev(pair, "return redis.call('incr', 'cnt') + 10") == 12
    assert ev(pair, "return type(redis.call('info'))") == b"string"
    # nested arrays with nils inside (null bulks become false)
    pair.same("HSET", "h", "f", "v")
    assert ev(pair, "local r = redis.call('hmget', 'h', 'f', 'nofield', 'f') "
                    "return {#r, r[1], tostring(r[2]), r[3]}") == [3, b"v", b"false", b"v"]
    assert ev(pair, "return redis.call('hmget', 'h', 'f', 'nofield', 'f')") == [b"v", None, b"v"]


def test_lua_numbers_passed_to_commands(pair):
    ev(pair, "return redis.call('set', 'k', 12)")
    assert pair.same("GET", "k") == b"12"
    ev(pair, "return redis.call('set', 'k', 3.7)")
    assert pair.same("GET", "k") == b"3.7000000000000002"
    ev(pair, "return redis.call('set', 'k', -0.5)")
    assert pair.same("GET", "k") == b"-0.5"
    ev(pair, "return redis.call('set', 'k', 1e20)")
    assert pair.same("GET", "k") == b"1e+20"
    assert ev(pair, "return redis.call('lpush', KEYS[1], unpack(ARGV))", "l", "a", "b", "c",
              numkeys=1) == 3
    assert pair.same("LRANGE", "l", "0", "-1") == [b"c", b"b", b"a"]
    assert ev(pair, "return redis.call('GeT', 'k')") == b"1e+20"


# ------------------------------------------------------------------ errors


def test_call_errors_exact_text(pair):
    cases = {
        "return redis.call('nosuch')": "ERR Unknown Redis command called from script",
        "return redis.call('get')": "ERR Wrong number of args calling Redis command from script",
        # PING checks its own (variable) arity
        "return redis.call('ping', 'a', 'b')": "ERR wrong number of arguments for 'ping' command",
        "return redis.call('set', 'a')":
            "ERR Wrong number of args calling Redis command from script",
        "return redis.call('subscribe', 'x')": "ERR This Redis command is not allowed from script",
        "return redis.call('psubscribe', 'x')":
            "ERR This Redis command is not allowed from script",
        "return redis.call('eval', 'return 1', 0)":
            "ERR This Redis command is not allowed from script",
        "return redis.call('multi')": "ERR This Redis command is not allowed from script",
        "return redis.call('exec')": "ERR This Redis command is not allowed from script",
        "return redis.call('watch', 'x')": "ERR This Redis command is not allowed from script",
        "return redis.call('blpop', 'nolist', 0)":
            "ERR This Redis command is not allowed from script",
        "return redis.call('script', 'load', 'return 1')":
            "ERR This Redis command is not allowed from script",
        "return redis.call({})":
            "ERR Lua redis lib command arguments must be strings or integers",
        "return redis.call('set', 'a', {})":
            "ERR Lua redis lib command arguments must be strings or integers",
        "return redis.call('set', 'a', true)":
            "ERR Lua redis lib command arguments must be strings or integers",
        "return redis.call('set', 'a', nil)":
            "ERR Lua redis lib command arguments must be strings or integers",
        "return redis.call()": "ERR Please specify at least one argument for this redis lib call",
    }
    for script, message in cases.items():
        assert ev(pair, script) == ("error", script_error(message, script)), script
        # redis.pcall returns the same error without the location
        pscript = script.replace("redis.call", "redis.pcall")
        assert ev(pair, pscript) == ("error", message), pscript
    # publish and spop are fine
    assert ev(pair, "return redis.call('publish', 'ch', 'm')") == 0
    assert ev(pair, "return redis.call('spop', 'noset')") is None


def test_wrongtype_call_versus_pcall(pair):
    pair.same("SET", "str", "v")
    pair.same("RPUSH", "lst", "a")
    script = "return redis.call('incr', 'lst')"
    assert ev(pair, script) == ("error", script_error(WRONGTYPE, script))
    assert ev(pair, "return redis.pcall('incr', 'lst')") == ("error", WRONGTYPE)
    script = "return redis.call('lpush', 'str', 'x')"
    assert ev(pair, script) == ("error", script_error(WRONGTYPE, script))
    assert ev(pair, "return redis.pcall('lpush', 'str', 'x')") == ("error", WRONGTYPE)
    script = "return redis.call('incr', 'str')"
    assert ev(pair, script) == ("error", script_error(NOT_INT, script))
    # the error table of redis.pcall can be inspected and the script goes on
    assert ev(pair, "local r = redis.pcall('incr', 'lst') "
                    "if r.err then return 'caught: ' .. r.err end return 'no'") == \
        b"caught: " + WRONGTYPE.encode()
    # a Lua pcall around redis.call sees the error as a string
    assert ev(pair, "local ok, e = pcall(redis.call, 'incr', 'str') "
                    "return {tostring(ok), type(e), tostring(e)}") == \
        [b"false", b"string", NOT_INT.encode()]
    assert ev(pair, "local ok, e = pcall(redis.call, 'nosuch') return {tostring(ok), e}") == \
        [b"false", b"ERR Unknown Redis command called from script"]
    # the location is the line of the failing call
    script = "local a = 1\n\nredis.call('incr', 'str')\nreturn 1"
    assert ev(pair, script) == ("error", script_error(NOT_INT, script, line=3))
    # nothing was changed by the failed commands
    assert pair.same("LRANGE", "lst", "0", "-1") == [b"a"]
    assert pair.same("GET", "str") == b"v"


def test_runtime_errors(pair):
    script = "error('x')"
    assert ev(pair, script) == ("error", script_error("ERR user_script:1: x", script))
    script = "error('x', 0)"
    assert ev(pair, script) == ("error", script_error("ERR x", script))
    script = "error(42)"
    assert ev(pair, script) == ("error", script_error("ERR user_script:1: 42", script))
    script = "error({err='CODE msg'})"
    assert ev(pair, script) == ("error", script_error("CODE msg", script))
    script = "error({err='CODE'})"
    assert ev(pair, script) == ("error", script_error("CODE", script))
    script = "error({err='-CODE msg'})"
    assert ev(pair, script) == ("error", script_error("-CODE msg", script))
    script = "local x = nil\nlocal y = 1\nreturn x.y"
    assert ev(pair, script) == ("error", script_error(
        "ERR user_script:3: attempt to index local 'x' (a nil value)", script, line=3))
    script = "return 1 + {}"
    assert ev(pair, script)[0] == "error"
    script = "return math.random(1, 2, 3)"
    assert ev(pair, script) == ("error", script_error(
        "ERR user_script:1: wrong number of arguments", script))
    script = "return math.random(0)"
    assert ev(pair, script) == ("error", script_error(
        "ERR user_script:1: bad argument #1 to 'random' (interval is empty)", script))
    script = "return math.random(3, 1)"
    assert ev(pair, script) == ("error", script_error(
        "ERR user_script:1: bad argument #2 to 'random' (interval is empty)", script))
    pair.all_same(evals(
        "error(nil)", "error()", "error('')", "error('multi\\nline')",
        "local function f() error('deep') end\nlocal function g() f() end\ng()",
        "local ok, e = pcall(error, 'boom') return e",
        "local ok, e = pcall(error, {err='E x'}) return e.err",
        "local ok, e = pcall(function() local x = nil; return x.y end) return e",
        "return string.rep()",
        "return ('x'):bad()",
        "return #nil",
        "return nil .. 'x'",
    ))


def test_errors_do_not_roll_back(pair):
    script = "redis.call('set', 'a', '1') redis.call('incr', 'b') error('late')"
    assert ev(pair, script) == ("error", script_error("ERR user_script:1: late", script))
    assert pair.same("MGET", "a", "b") == [b"1", b"1"]


def test_compile_errors(pair):
    script = "return 1 +"
    msg = "ERR Error compiling script (new function): user_script:1: unexpected symbol near '<eof>'"
    assert ev(pair, script) == ("error", msg)
    assert pair.same("SCRIPT", "LOAD", script) == ("error", msg)
    script = "return 'unterminated"
    assert ev(pair, script) == ("error", "ERR Error compiling script (new function): "
                                         "user_script:1: unfinished string near '<eof>'")
    pair.all_same(evals("local = 1", "return )", "x = = 2", "for i = 1 do end",
                        "\n\nreturn 1 1", "return function(", "end"))
    # failed compilations are not cached
    assert pair.same("SCRIPT", "EXISTS", sha1("return 1 +")) == [0]


def test_shebang_errors(pair):
    cases = {
        "#!foo\nreturn 1": "ERR Unexpected engine in script shebang: #!foo",
        "#!LUA\nreturn 1": "ERR Unexpected engine in script shebang: #!LUA",
        "#!luajit\nreturn 1": "ERR Unexpected engine in script shebang: #!luajit",
        "#!\nreturn 1": "ERR Unexpected engine in script shebang: #!",
        "#!lua flags=bad\nreturn 1": "ERR Unexpected flag in script shebang: bad",
        "#!lua flags=no-writes,bad\nreturn 1": "ERR Unexpected flag in script shebang: bad",
        "#!lua foo=bar\nreturn 1": "ERR Unknown lua shebang option: foo=bar",
        "#!lua name=foo\nreturn 1": "ERR Unknown lua shebang option: name=foo",
        "#!lua": "ERR Invalid script shebang",
        "#!lua flags=no-writes": "ERR Invalid script shebang",
        "#!": "ERR Invalid script shebang",
    }
    for script, message in cases.items():
        assert ev(pair, script) == ("error", message), script
        assert pair.same("SCRIPT", "LOAD", script) == ("error", message), script
    # valid shebangs
    assert ev(pair, "#!lua\nreturn redis.call('set', 'a', 'b')") == "OK"
    assert ev(pair, "#!lua flags=\nreturn redis.call('set', 'a', 'b')") == "OK"
    assert ev(pair, "#!lua   \nreturn 1") == 1
    assert ev(pair, "#!lua flags=no-writes,allow-oom,allow-stale,no-cluster,"
                    "allow-cross-slot-keys\nreturn 1") == 1
    # line numbers count the shebang line
    script = "#!lua\nerror('boom')"
    assert ev(pair, script) == ("error", script_error("ERR user_script:2: boom", script, 2))
    assert ev(pair, "#!lua\nreturn 1 +") == \
        ("error", "ERR Error compiling script (new function): user_script:2: "
                  "unexpected symbol near '<eof>'")


def test_evalsha_noscript(pair):
    for sha in ("abc", "a" * 40, "a" * 41, "", sha1("return 'never loaded'")):
        assert pair.same("EVALSHA", sha, "0") == ("error", NOSCRIPT), sha
        assert pair.same("EVALSHA_RO", sha, "0") == ("error", NOSCRIPT), sha


def test_numkeys_errors(pair):
    assert pair.same("EVAL", "return 1", "-1") == ("error", "ERR Number of keys can't be negative")
    for n in ("5", "2"):
        assert pair.same("EVAL", "return 1", n, "a") == \
            ("error", "ERR Number of keys can't be greater than number of args")
    for n in ("abc", "1.5", "", "99999999999999999999"):
        assert pair.same("EVAL", "return 1", n) == ("error", NOT_INT), n
    sha = pair.same("SCRIPT", "LOAD", "return 1")
    assert pair.same("EVALSHA", sha, "-1") == ("error", "ERR Number of keys can't be negative")
    assert pair.same("EVALSHA", sha, "3", "a") == \
        ("error", "ERR Number of keys can't be greater than number of args")
    assert pair.same("EVAL_RO", "return 1", "x") == ("error", NOT_INT)
    for cmd in ("EVAL", "EVALSHA", "EVAL_RO", "EVALSHA_RO"):
        assert pair.same(cmd, "return 1") == \
            ("error", f"ERR wrong number of arguments for '{cmd.lower()}' command")
        assert pair.same(cmd) == \
            ("error", f"ERR wrong number of arguments for '{cmd.lower()}' command")


def test_read_only_scripts(pair):
    pair.same("SET", "a", "old")
    ro = "ERR Write commands are not allowed from read-only scripts."
    script = "return redis.call('set', 'a', 'b')"
    assert pair.same("EVAL_RO", script, "0") == ("error", script_error(ro, script))
    assert pair.same("EVAL_RO", "return redis.pcall('set', 'a', 'b')", "0") == ("error", ro)
    script = "#!lua flags=no-writes\nreturn redis.call('set', 'a', 'b')"
    assert ev(pair, script) == ("error", script_error(ro, script, line=2))
    assert ev(pair, "#!lua flags=no-writes\nreturn redis.pcall('set', 'a', 'b')") == ("error", ro)
    assert ev(pair, "#!lua flags=no-writes\nlocal ok, e = pcall(redis.call, 'set', 'a', 'b') "
                    "return e") == ro.encode()
    # a shebang without no-writes may write, so *_RO refuses it up front
    assert pair.same("EVAL_RO", "#!lua\nreturn redis.call('get', 'a')", "0") == \
        ("error", "ERR Can not execute a script with write flag using *_ro command.")
    # reads are fine
    assert pair.same("EVAL_RO", "return redis.call('get', KEYS[1])", "1", "a") == b"old"
    assert ev(pair, "#!lua flags=no-writes\nreturn redis.call('get', KEYS[1])", "a",
              numkeys=1) == b"old"
    script = "return redis.call('set', KEYS[1], ARGV[1])"
    sha = pair.same("SCRIPT", "LOAD", script)
    assert pair.same("EVALSHA_RO", sha, "1", "a", "new") == ("error", script_error(ro, script))
    assert pair.same("GET", "a") == b"old"
    assert pair.same("EVALSHA", sha, "1", "a", "new") == "OK"
    assert pair.same("GET", "a") == b"new"
    sha_ro = pair.same("SCRIPT", "LOAD", "#!lua flags=no-writes\nreturn redis.call('get', 'a')")
    assert pair.same("EVALSHA_RO", sha_ro, "0") == b"new"
    assert pair.same("EVALSHA", sha_ro, "0") == b"new"


# ------------------------------------------------------------------ sandbox


def test_globals_are_protected(pair):
    for script in ("x = 1", "_G.x = 1", "function f() return 1 end", "KEYS = {}",
                   "redis = nil", "cjson = 1"):
        assert ev(pair, script) == \
            ("error", script_error(f"ERR user_script:1: {READONLY_TABLE}", script)), script
    for name in ("y", "undefined_thing", "bit32"):
        script = f"return {name}"
        assert ev(pair, script) == ("error", script_error(
            f"ERR user_script:1: Script attempted to access nonexistent global variable "
            f"'{name}'", script)), script
    script = "return _G.x"
    assert ev(pair, script) == ("error", script_error(
        "ERR user_script:1: Script attempted to access nonexistent global variable 'x'", script))
    # errors raised from C functions have no position
    script = "rawset(_G, 'x', 1) return 1"
    assert ev(pair, script) == ("error", script_error(f"ERR {READONLY_TABLE}", script))
    script = "setmetatable(_G, nil)"
    assert ev(pair, script) == ("error", script_error(f"ERR {READONLY_TABLE}", script))
    assert ev(pair, "return rawget(_G, 'nosuch') == nil") == 1
    # locals are fine; nothing leaked into the next script
    assert ev(pair, "local x = 5 local function f() return x end return f()") == 5
    assert ev(pair, "local t = setmetatable({}, {__index=function() return 7 end}) "
                    "return t.x") == 7


def test_library_tables_are_read_only(pair):
    for script in ("redis.call = nil", "redis.call = function() end", "redis.foo = 1",
                   "string.foo = 1", "string.rep = nil", "math.foo = 1", "table.insert = nil",
                   "cjson.encode = nil", "bit.band = nil", "struct.pack = nil",
                   "cmsgpack.pack = nil", "local m = getmetatable('') m.__index = nil return 1"):
        assert ev(pair, script) == \
            ("error", script_error(f"ERR user_script:1: {READONLY_TABLE}", script)), script
    # KEYS and ARGV themselves are ordinary tables
    assert ev(pair, "KEYS[1] = 'x' return KEYS[1]") == b"x"
    assert ev(pair, "ARGV[5] = 'x' return #ARGV") == 0
    # and library functions still work afterwards
    assert ev(pair, "return redis.call('ping')") == "PONG"
    assert ev(pair, "return string.rep('ab', 2)") == b"abab"


HIDDEN_GLOBALS = ["os", "io", "loadfile", "dofile", "print", "require", "debug", "setfenv",
                  "getfenv", "newproxy", "module", "package", "bit32", "utf8", "jit"]
VISIBLE_GLOBALS = ["collectgarbage", "gcinfo", "_G", "unpack", "rawset", "rawget", "rawequal",
                   "coroutine", "math", "table", "string", "cjson", "bit", "struct", "cmsgpack",
                   "pcall", "xpcall", "select", "tonumber", "tostring", "type", "pairs",
                   "ipairs", "next", "error", "assert", "setmetatable", "getmetatable",
                   "loadstring", "load", "redis", "KEYS", "ARGV", "_VERSION"]


def test_hidden_and_visible_globals(pair):
    for name in HIDDEN_GLOBALS:
        script = f"return type({name})"
        assert ev(pair, script) == ("error", script_error(
            f"ERR user_script:1: Script attempted to access nonexistent global variable "
            f"'{name}'", script)), name
    types = ev(pair, "return {" + ", ".join(f"type({n})" for n in VISIBLE_GLOBALS) + "}")
    assert types == [b"string" if n == "_VERSION" else
                     b"table" if n in ("_G", "coroutine", "math", "table", "string", "cjson",
                                       "bit", "struct", "cmsgpack", "redis", "KEYS", "ARGV")
                     else b"function" for n in VISIBLE_GLOBALS]
    assert ev(pair, "return _VERSION") == b"Lua 5.1"
    pair.all_same(evals("return type(string.dump)", "return type(table.getn)",
                        "return type(math.mod)", "return type(string.gfind)",
                        "return type(coroutine.wrap)"))


def test_loadstring_available(pair):
    assert ev(pair, "return loadstring('return 1 + 1')()") == 2
    assert ev(pair, "local f = loadstring('return 1 +') return tostring(f)") == b"nil"
    assert ev(pair, "local f, e = loadstring('return 1 +') return type(e)") == b"string"
    # the loaded chunk runs in the same protected environment
    script = "local f = loadstring('x = 1') f() return 1"
    reply = ev(pair, script)
    assert reply[0] == "error" and READONLY_TABLE in reply[1]
    script = "return load('return 5')()"
    assert ev(pair, script) == ("error", script_error(
        "ERR user_script:1: bad argument #1 to 'load' (function expected, got string)", script))
    assert ev(pair, "return coroutine.wrap(function() coroutine.yield(5) end)()") == 5


def test_keys_and_argv(pair):
    assert ev(pair, "return {KEYS[1], KEYS[2], ARGV[1], ARGV[2], #KEYS, #ARGV}",
              "k1", "k2", "a1", "a2", numkeys=2) == [b"k1", b"k2", b"a1", b"a2", 2, 2]
    assert ev(pair, "return {#KEYS, #ARGV}") == [0, 0]
    assert ev(pair, "return {#KEYS, ARGV[1]}", "extra") == [0, b"extra"]
    assert ev(pair, "return {#KEYS, #ARGV}", "a", "b", "c", numkeys=3) == [3, 0]
    assert ev(pair, "return {KEYS[3], ARGV[1]}", "a", "b", numkeys=2) == []
    assert ev(pair, "return KEYS[1]", "a\x00b", numkeys=1) == b"a\x00b"
    assert ev(pair, "return {type(KEYS[1]), type(ARGV[1])}", "1", "2", numkeys=1) == \
        [b"string", b"string"]
    # KEYS and ARGV are fresh in each call
    assert ev(pair, "KEYS[2] = 'x' return #KEYS", "k", numkeys=1) == 2
    assert ev(pair, "return #KEYS", "k", numkeys=1) == 1


def test_math_random_sequence_matches_redis(pair):
    """Redis 7.0 seeds the script PRNG once: consecutive scripts continue one sequence."""
    assert ev(pair, "return tostring(math.random())") == b"0.39646477363839"
    assert ev(pair, "return tostring(math.random())") == b"0.84048536971234"
    assert ev(pair, "return math.random(100)") == 36
    assert ev(pair, "math.randomseed(5) return math.random(1000)") == 525
    assert ev(pair, "return tostring(math.random())") == b"0.27285430173988"
    assert ev(pair, "return {math.random(100), math.random(5, 10)}") == [79, 6]
    # SCRIPT FLUSH does not reseed
    pair.same("SCRIPT", "FLUSH")
    pair.all_same(evals(*["return {tostring(math.random()), math.random(10), "
                          "math.random(-5, 5)}"] * 5))
    assert ev(pair, "math.randomseed(5) return math.random(1000)") == 525
    assert ev(pair, "math.randomseed(5) local t = {} for i = 1, 20 do t[i] = math.random(1000) "
                    "end return t")[0] == 525


def test_cjson(pair):
    assert ev(pair, "return cjson.encode({1, 2, 3, {a=1}})") == b'[1,2,3,{"a":1}]'
    assert ev(pair, "return cjson.encode({a='b'})") == b'{"a":"b"}'
    assert ev(pair, "local t = cjson.decode('[1,2,{\"x\":\"y\"},null,true]') "
                    "return {t[1], t[3].x, type(t[4]), tostring(t[5])}") == \
        [1, b"y", b"userdata", b"true"]
    pair.all_same(evals(
        "return cjson.encode(cjson.decode('{\"a\":[1,2.5,\"s\"]}'))",
        "return cjson.encode({})",
        "return cjson.encode(cjson.decode('{}'))",
        "return cjson.encode({1.5, 'x\"y', true, false})",
        "return cjson.encode(cjson.null)",
        "return tostring(cjson.decode('null') == cjson.null)",
        "return cjson.encode({[1]=1, [2]=2, [4]=4})",
        "return cjson.encode({[1]=1, [100]=2})",
        "return cjson.decode('not json')",
        "return cjson.encode(function() end)",
        "return cjson.encode('a\\nb/\\1')",
        "return cjson.encode(0.1)",
        "return cjson.encode(1e300)",
        "return cjson.encode(-0)",
        "return cjson.decode('\"\\\\u00e9\"')",
        "return cjson.decode('[1,[2,[3,[4]]]]')[2][2][2][1]",
        "return cjson.decode('123456789012')",
        "return tostring(cjson.decode('1.5e3'))",
        "return cjson.encode(cjson.decode('[\"a\",{\"b\":null}]'))",
    ))


def test_bit(pair):
    assert ev(pair, "return {bit.band(0xff, 0x0f), bit.bor(1, 2, 4), bit.tohex(255), "
                    "bit.tohex(-1), bit.bxor(5, 3), bit.lshift(1, 10)}") == \
        [15, 7, b"000000ff", b"ffffffff", 6, 1024]
    pair.all_same(evals(
        "return bit.tobit(0xffffffff + 1)",
        "return bit.arshift(-256, 4)",
        "return bit.rshift(-1, 28)",
        "return bit.bnot(0)",
        "return bit.rol(1, 33)",
        "return bit.ror(1, 1)",
        "return bit.bswap(0x12345678)",
        "return bit.tohex(0x1234, -4)",
        "return bit.tohex(0x1234, 2)",
        "return bit.band()",
    ))


def test_struct(pair):
    assert ev(pair, "return struct.pack('>I2H', 258, 772)") == b"\x01\x02\x03\x04"
    assert ev(pair, "local a, b, n = struct.unpack('>I2H', struct.pack('>I2H', 258, 772)) "
                    "return {a, b, n}") == [258, 772, 5]
    assert ev(pair, "return {struct.unpack('>bBhH', struct.pack('>bBhH', -1, 255, -300, "
                    "65535))}") == [-1, 255, -300, 65535, 7]
    assert ev(pair, "return struct.size('>iHd')") == 14
    pair.all_same(evals(
        "return struct.pack('<i4d', -2, 1.5)",
        "local a, b = struct.unpack('<i4d', struct.pack('<i4d', -2, 1.5)) "
        "return {a, tostring(b)}",
        "return struct.pack('>s', 'abc')",
        "return {struct.unpack('>s', struct.pack('>s', 'abc'))}",
        "return struct.pack('c3', 'abcdef')",
        "return struct.pack('i', 'x')",
        "return struct.unpack('>I4', 'ab')",
        "return struct.pack('>l', -5)",
    ))


def test_cmsgpack(pair):
    assert ev(pair, "return cmsgpack.pack({1, 2, 'three', {a=1}})") == \
        b"\x94\x01\x02\xa5three\x81\xa1a\x01"
    assert ev(pair, "local t = cmsgpack.unpack(cmsgpack.pack({1, 2, 'three', {4, 5}})) "
                    "return {t[1], t[2], t[3], t[4][2]}") == [1, 2, b"three", 5]
    assert ev(pair, "return {cmsgpack.unpack(cmsgpack.pack(1, 'a', -200, 70000))}") == \
        [1, b"a", -200, 70000]
    pair.all_same(evals(
        "return cmsgpack.pack(1, 'a', 3.5, true, -200, 70000)",
        "return cmsgpack.pack({a=1})",
        "return cmsgpack.pack('x', {1, {2, {3}}}, 2^40, -2^40, 1.5)",
        "local t = {cmsgpack.unpack(cmsgpack.pack('x', {1, {2, {3}}}, 2^40, -2^40, 1.5))} "
        "return {t[1], t[2][2][2][1], tostring(t[3]), tostring(t[4]), tostring(t[5])}",
        "return cmsgpack.unpack_one(cmsgpack.pack(7, 8))",
        "return {cmsgpack.unpack_limit(cmsgpack.pack(7, 8, 9), 2)}",
        "return cmsgpack.unpack('')",
        "return cmsgpack.pack(string.rep('x', 40))",
        "return cmsgpack.pack(string.rep('x', 300))",
        "return #cmsgpack.pack(string.rep('x', 70000))",
        "local t = {} for i = 1, 20 do t[i] = i end return cmsgpack.pack(t)",
        "return cmsgpack.unpack(cmsgpack.pack(string.rep('y', 1000))) == string.rep('y', 1000)",
        "return tostring(cmsgpack.unpack(cmsgpack.pack(0.1)))",
        "return cmsgpack.pack(false, nil)",
        "local a, b = cmsgpack.unpack(cmsgpack.pack(false, true)) "
        "return {tostring(a), tostring(b)}",
    ))


def test_redis_library_helpers(pair):
    assert ev(pair, "return redis.sha1hex('abc')") == b"a9993e364706816aba3e25717850c26c9cd0d89d"
    assert ev(pair, "return redis.sha1hex('')") == b"da39a3ee5e6b4b0d3255bfef95601890afd80709"
    assert ev(pair, "return redis.REDIS_VERSION_NUM") == 0x07000F
    assert ev(pair, "return redis.REDIS_VERSION") == b"7.0.15"
    assert ev(pair, "return {redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, "
                    "redis.LOG_WARNING}") == [0, 1, 2, 3]
    assert ev(pair, "return redis.log(redis.LOG_WARNING, 'hello from a test')") is None
    assert ev(pair, "return {redis.REPL_ALL, redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, "
                    "redis.REPL_REPLICA}") == [3, 0, 1, 2, 2]
    assert ev(pair, "return redis.set_repl(redis.REPL_ALL)") is None
    assert ev(pair, "return redis.replicate_commands()") == 1
    assert ev(pair, "return redis.acl_check_cmd('get', 'x')") == 1
    pair.all_same(evals("return redis.sha1hex()", "return redis.log()",
                        "return redis.log(99, 'x')", "return redis.acl_check_cmd('nosuch')",
                        "return type(redis.breakpoint)", "return type(redis.debug)"))


# ------------------------------------------------------------------ SCRIPT


def test_script_load_and_evalsha(pair):
    script = "return {KEYS[1], ARGV[1], 42}"
    sha = pair.same("SCRIPT", "LOAD", script)
    assert sha == sha1(script).encode()
    # loading again gives the same sha
    assert pair.same("SCRIPT", "LOAD", script) == sha
    assert pair.same("EVALSHA", sha, "1", "k", "a") == [b"k", b"a", 42]
    assert pair.same("EVALSHA", sha.upper(), "1", "k", "a") == [b"k", b"a", 42]
    assert pair.same("EVALSHA_RO", sha.decode().upper(), "1", "k", "a") == [b"k", b"a", 42]
    assert pair.same("SCRIPT", "LOAD", "return 42") == b"1fa00e76656cc152ad327c13fe365858fd7be306"
    assert pair.same("SCRIPT", "LOAD", "#!lua flags=no-writes\nreturn 1") == \
        sha1("#!lua flags=no-writes\nreturn 1").encode()
    # EVAL caches the script too
    assert pair.same("EVAL", "return 7", "0") == 7
    assert pair.same("EVALSHA", sha1("return 7"), "0") == 7
    # a script's error names its sha
    sha_err = pair.same("SCRIPT", "LOAD", "error('from sha')")
    assert pair.same("EVALSHA", sha_err, "0") == \
        ("error", f"ERR user_script:1: from sha script: {sha_err.decode()}, on @user_script:1.")


def test_script_exists_and_flush(pair):
    a = pair.same("SCRIPT", "LOAD", "return 'a'").decode()
    b = pair.same("SCRIPT", "LOAD", "return 'b'").decode()
    assert pair.same("SCRIPT", "EXISTS", a, "ffff", b.upper(), "0" * 40) == [1, 0, 1, 0]
    assert pair.same("SCRIPT", "EXISTS") == \
        ("error", "ERR wrong number of arguments for 'script|exists' command")
    for bad in (("BAD",), ("ASYNC", "SYNC"), ("SYNC", "SYNC"), ("",)):
        assert pair.same("SCRIPT", "FLUSH", *bad) == \
            ("error", "ERR SCRIPT FLUSH only support SYNC|ASYNC option"), bad
    # failed flushes flushed nothing
    assert pair.same("SCRIPT", "EXISTS", a) == [1]
    for mode in ((), ("SYNC",), ("async",), ("ASYNC",), ("sync",)):
        pair.same("SCRIPT", "LOAD", "return 'a'")
        assert pair.same("SCRIPT", "FLUSH", *mode) == "OK"
        assert pair.same("SCRIPT", "EXISTS", a, b) == [0, 0], mode
        assert pair.same("EVALSHA", a, "0") == ("error", NOSCRIPT)
    # scripts still run after a flush
    assert pair.same("EVAL", "return 'a'", "0") == b"a"
    assert pair.same("EVALSHA", a, "0") == b"a"


def test_script_subcommand_errors(pair):
    assert pair.same("SCRIPT", "KILL") == ("error", NOTBUSY)
    assert pair.same("SCRIPT", "KILL", "x") == \
        ("error", "ERR wrong number of arguments for 'script|kill' command")
    assert pair.same("SCRIPT", "NOSUCH") == \
        ("error", "ERR unknown subcommand 'NOSUCH'. Try SCRIPT HELP.")
    assert pair.same("SCRIPT") == ("error", "ERR wrong number of arguments for 'script' command")
    for args in ((), ("a", "b")):
        assert pair.same("SCRIPT", "LOAD", *args) == \
            ("error", "ERR wrong number of arguments for 'script|load' command")
    assert pair.same("SCRIPT", "HELP", "x") == \
        ("error", "ERR wrong number of arguments for 'script|help' command")
    help_lines = pair.same("SCRIPT", "HELP")
    assert help_lines[0] == "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    assert "KILL" in help_lines and "HELP" in help_lines
    pair.same_bytes("SCRIPT", "help")


def test_scripts_inside_multi(pair):
    assert pair.same("MULTI") == "OK"
    assert pair.same("EVAL", "return redis.call('incr', KEYS[1])", "1", "c") == "QUEUED"
    assert pair.same("EVAL", "error('x')", "0") == "QUEUED"
    assert pair.same("EVALSHA", "0" * 40, "0") == "QUEUED"
    assert pair.same("SCRIPT", "LOAD", "return 1") == "QUEUED"
    assert pair.same("EVAL", "return redis.call('incr', KEYS[1])", "1", "c") == "QUEUED"
    pair.same_bytes("EXEC")
    assert pair.same("GET", "c") == b"2"
    # a queued EVAL with bad arity aborts the transaction
    assert pair.same("MULTI") == "OK"
    assert pair.same("EVAL", "return 1") == \
        ("error", "ERR wrong number of arguments for 'eval' command")
    assert pair.same("EXEC") == ("error", "EXECABORT Transaction discarded because of previous "
                                          "errors.")


def test_select_inside_script(pair):
    script = "redis.call('select', 1) redis.call('set', 'k', 'db1') return redis.call('get', 'k')"
    assert ev(pair, script) == b"db1"
    # the caller's database did not change
    assert pair.same("GET", "k") is None
    assert pair.same("SELECT", "1") == "OK"
    assert pair.same("GET", "k") == b"db1"
    # a script starts in the caller's database
    assert ev(pair, "return redis.call('get', 'k')") == b"db1"
    assert pair.same("SELECT", "0") == "OK"


def test_busy_threshold_config_alias(pair):
    assert pair.same("CONFIG", "GET", "busy-reply-threshold") == [b"busy-reply-threshold", b"5000"]
    assert pair.same("CONFIG", "GET", "lua-time-limit") == [b"lua-time-limit", b"5000"]
    assert pair.same("CONFIG", "SET", "lua-time-limit", "300") == "OK"
    assert pair.same("CONFIG", "GET", "busy-reply-threshold") == [b"busy-reply-threshold", b"300"]
    assert pair.same("CONFIG", "SET", "busy-reply-threshold", "250") == "OK"
    assert pair.same("CONFIG", "GET", "lua-time-limit") == [b"lua-time-limit", b"250"]


# ------------------------------------------------------------------ busy scripts


def wait_for_busy(c, timeout=15):
    """Sends PINGs on connection c until one is answered with the BUSY error."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        reply = c.command("PING")
        if isinstance(reply, ErrorReply):
            assert reply.message == BUSY
            return
        assert reply == "PONG"
        time.sleep(0.02)
    raise AssertionError("no BUSY reply while the script was running")


def stop_script(admin, runner):
    """Cleanup after a failed busy test: SCRIPT KILL on a connection made before the script
    started (until the script returns), then join the thread."""
    deadline = time.time() + 10
    while runner.thread.is_alive() and time.time() < deadline:
        try:
            admin.command("SCRIPT", "KILL")
        except (OSError, Closed):
            break
        runner.join(0.2)
    runner.join(15)
    runner.close()


@pytest.mark.parametrize("cmd,script", [
    ("EVAL", "while true do end"),
    ("EVAL_RO", "local v = redis.call('get', 'k') while true do end"),
    ("EVAL", "local t = 0 while true do t = t + redis.call('strlen', 'k') end"),
])
def test_busy_script_killed(server, cmd, script):
    host, port = server.host, server.port
    # connected before the script starts (also used for the cleanup if the test fails)
    admin, other = server.raw(timeout=15), server.raw(timeout=15)
    assert admin.command("SET", "k", "v") == "OK"
    assert admin.command("CONFIG", "SET", "busy-reply-threshold", "200") == "OK"
    assert admin.command("CONFIG", "GET", "lua-time-limit") == [b"lua-time-limit", b"200"]
    runner = CallThread(host, port, cmd, script, "0")
    try:
        wait_for_busy(other)
        # everything else is refused while the script runs
        # (SHUTDOWN without NOSAVE is refused too: see the UNKILLABLE test)
        for args in (("GET", "k"), ("SET", "k", "x"), ("EVAL", "return 1", "0"),
                     ("SCRIPT", "LOAD", "return 1"), ("CONFIG", "GET", "maxmemory"),
                     ("SCRIPT", "EXISTS", "x")):
            reply = other.command(*args)
            assert isinstance(reply, ErrorReply) and reply.message == BUSY, (args, reply)
        # a client that connects while the script runs is answered as well
        with server.raw(timeout=10) as late:
            reply = late.command("GET", "k")
            assert isinstance(reply, ErrorReply) and reply.message == BUSY, reply
        assert other.command("SCRIPT", "KILL") == "OK"
        assert runner.join(15), "the killed script did not return"
        result = runner.result
        assert isinstance(result, ErrorReply), result
        assert result.message.startswith(KILLED)
        assert result.message == script_error(KILLED, script), result.message
        # the server works again, for everyone
        assert other.command("PING") == "PONG"
        reply = other.command("SCRIPT", "KILL")
        assert isinstance(reply, ErrorReply) and reply.message == NOTBUSY
        assert other.command("GET", "k") == b"v"
        assert other.command("EVAL", "return redis.call('incr', 'n')", "0") == 1
        assert runner.conn.command("PING") == "PONG"
        assert runner.conn.command("GET", "k") == b"v"
        with server.raw() as fresh:
            assert fresh.command("GET", "n") == b"1"
    finally:
        stop_script(admin, runner)
        admin.close()
        other.close()


def test_unkillable_script_and_shutdown_nosave(start_server):
    srv = start_server()
    host, port = srv.host, srv.port
    other = srv.raw(timeout=15)
    assert other.command("CONFIG", "SET", "lua-time-limit", "200") == "OK"
    assert other.command("CONFIG", "GET", "busy-reply-threshold") == \
        [b"busy-reply-threshold", b"200"]
    script = "redis.call('set', 'x', '1') while true do end"
    runner = CallThread(host, port, "EVAL", script, "0")
    try:
        wait_for_busy(other)
        reply = other.command("SCRIPT", "KILL")
        assert isinstance(reply, ErrorReply) and reply.message == UNKILLABLE
        # still busy; SHUTDOWN without NOSAVE is refused
        reply = other.command("GET", "x")
        assert isinstance(reply, ErrorReply) and reply.message == BUSY
        reply = other.command("SHUTDOWN")
        assert isinstance(reply, ErrorReply) and reply.message == BUSY, reply
        assert srv.alive()
        reply = other.command("SCRIPT", "KILL")
        assert isinstance(reply, ErrorReply) and reply.message == UNKILLABLE
        # SHUTDOWN NOSAVE stops the server without a reply
        other.send_command("SHUTDOWN", "NOSAVE")
        with pytest.raises((Closed, ConnectionError)):
            reply = other.read()
            raise AssertionError(f"SHUTDOWN NOSAVE replied {reply!r}")
        srv.proc.wait(timeout=15)
        assert srv.stop() == 0
        assert runner.join(15)
        assert isinstance(runner.result, (Closed, ConnectionError)), runner.result
    finally:
        other.close()
        if srv.alive():
            srv.kill()
        runner.join(15)
        runner.close()


# ------------------------------------------------------------------ use cases


TOKEN_BUCKET = """
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil then
  tokens = capacity
  ts = now
end
local elapsed = math.max(0, now - ts)
tokens = math.min(capacity, tokens + elapsed * rate / 1000)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', string.format('%d', now))
redis.call('PEXPIRE', KEYS[1], 60000)
return allowed
"""


def test_token_bucket_rate_limiter_with_concurrent_clients(server, r):
    capacity, rate, clients, duration = 20, 10, 50, 2.0
    sha = r.script_load(TOKEN_BUCKET)
    admitted = [0] * clients
    requests = [0] * clients
    errors = []
    start = threading.Event()

    def worker(i):
        c = server.client()
        try:
            start.wait(10)
            end = time.time() + duration
            while time.time() < end:
                requests[i] += 1
                admitted[i] += c.evalsha(sha, 1, "bucket", capacity, rate)
        except Exception as e:  # noqa: BLE001
            errors.append(repr(e))
        finally:
            c.close()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    t0 = time.time()
    start.set()
    for t in threads:
        t.join(30)
    elapsed = time.time() - t0
    assert not any(t.is_alive() for t in threads)
    assert not errors, errors[:3]
    total = sum(admitted)
    limit = capacity + rate * elapsed
    assert capacity <= total <= limit + 1, (total, limit, sum(requests))
    assert sum(requests) > total  # some requests were refused
    state = r.hgetall("bucket")
    assert 0 <= float(state["tokens"]) <= capacity


RELEASE_LOCK = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
else
  return 0
end
"""


def test_lock_with_compare_and_delete_release(server, r):
    release = r.register_script(RELEASE_LOCK)
    a, b = server.client(), server.client()
    try:
        assert a.set("lock", "token-a", nx=True, px=10000) is True
        assert b.set("lock", "token-b", nx=True, px=10000) is None
        # only the owner's token releases it
        assert release(keys=["lock"], args=["token-b"], client=b) == 0
        assert r.get("lock") == "token-a"
        assert 0 < r.pttl("lock") <= 10000
        assert release(keys=["lock"], args=["token-a"], client=a) == 1
        assert r.exists("lock") == 0
        assert release(keys=["lock"], args=["token-a"], client=a) == 0
        assert b.set("lock", "token-b", nx=True, px=10000) is True
        assert release(keys=["lock"], args=["token-a"], client=a) == 0
        assert r.get("lock") == "token-b"
        assert release(keys=["lock"], args=["token-b"], client=b) == 1
    finally:
        a.close()
        b.close()


def test_lock_gives_mutual_exclusion(server, r):
    sha = r.script_load(RELEASE_LOCK)
    workers, rounds = 8, 25
    inside = [0]
    overlap = []
    errors = []
    guard = threading.Lock()

    def worker(i):
        c = server.client()
        try:
            deadline = time.time() + 30
            for n in range(rounds):
                token = f"w{i}-{n}"
                while not c.set("mutex", token, nx=True, px=10000):
                    assert time.time() < deadline, "could not take the lock"
                    time.sleep(0.001)
                with guard:
                    inside[0] += 1
                    if inside[0] > 1:
                        overlap.append(token)
                value = int(c.get("counter") or 0)
                c.set("counter", value + 1)
                with guard:
                    inside[0] -= 1
                assert c.evalsha(sha, 1, "mutex", token) == 1
        except Exception as e:  # noqa: BLE001
            errors.append(repr(e))
        finally:
            c.close()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads)
    assert not errors, errors[:3]
    assert not overlap
    assert r.get("counter") == str(workers * rounds)
    assert r.exists("mutex") == 0


def test_watch_broken_by_a_script_write(server, r):
    r.set("k", "v1")
    with server.raw() as c:
        assert c.command("WATCH", "k") == "OK"
        assert r.eval("return redis.call('set', KEYS[1], ARGV[1])", 1, "k", "v2") == "OK"
        assert c.command("MULTI") == "OK"
        assert c.command("SET", "k", "mine") == "QUEUED"
        assert c.command("EXEC") is None
        assert r.get("k") == "v2"
        # a script that only reads, or writes another key, does not break the WATCH
        assert c.command("WATCH", "k") == "OK"
        assert r.eval("return redis.call('get', KEYS[1])", 1, "k") == "v2"
        assert r.eval("return redis.call('set', KEYS[1], 'x')", 1, "other") == "OK"
        assert c.command("MULTI") == "OK"
        assert c.command("SET", "k", "mine") == "QUEUED"
        assert c.command("EXEC") == ["OK"]
        assert r.get("k") == "mine"
        # EVAL_RO and a failing script do not break it either
        assert c.command("WATCH", "k") == "OK"
        assert r.eval_ro("return redis.call('get', KEYS[1])", 1, "k") == "mine"
        with pytest.raises(redis.ResponseError):
            r.eval("return redis.call('lpush', KEYS[1], 'x')", 1, "k")
        assert c.command("MULTI") == "OK"
        assert c.command("SET", "k", "again") == "QUEUED"
        assert c.command("EXEC") == ["OK"]
        # a script's write from the watching client itself breaks it too
        assert c.command("WATCH", "k") == "OK"
        assert c.command("EVAL", "return redis.call('set', KEYS[1], 'own')", "1", "k") == "OK"
        assert c.command("MULTI") == "OK"
        assert c.command("SET", "k", "late") == "QUEUED"
        assert c.command("EXEC") is None
        assert r.get("k") == "own"


INCR_LOOP = """
for i = 1, tonumber(ARGV[1]) do
  redis.call('incr', KEYS[1])
end
redis.call('set', KEYS[2], redis.call('get', KEYS[1]))
return redis.call('get', KEYS[1])
"""


def test_script_writes_are_atomic(server, r):
    assert r.eval(INCR_LOOP, 2, "counter", "copy", 1000) == "1000"
    assert r.get("counter") == "1000"
    r.delete("counter", "copy")
    sha = r.script_load(INCR_LOOP)
    workers, runs, step = 8, 25, 100
    stop = threading.Event()
    errors = []
    seen = []

    def writer():
        c = server.client()
        try:
            for _ in range(runs):
                c.evalsha(sha, 2, "counter", "copy", step)
        except Exception as e:  # noqa: BLE001
            errors.append(repr(e))
        finally:
            c.close()

    def observer():
        c = server.client()
        try:
            while not stop.is_set():
                counter, copy = c.mget("counter", "copy")
                seen.append(counter)
                if counter is not None and (int(counter) % step != 0 or counter != copy):
                    errors.append(f"partial script seen: counter={counter} copy={copy}")
                    return
        except Exception as e:  # noqa: BLE001
            errors.append(repr(e))
        finally:
            c.close()

    obs = threading.Thread(target=observer, daemon=True)
    obs.start()
    threads = [threading.Thread(target=writer, daemon=True) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    stop.set()
    obs.join(10)
    assert not obs.is_alive() and not any(t.is_alive() for t in threads)
    assert not errors, errors[:3]
    assert r.get("counter") == str(workers * runs * step)
    assert r.get("copy") == r.get("counter")
    assert len(seen) > 0
