"""Redis 7.0 Functions, side by side with redis-server 7.0 where possible (the same commands on
both servers, the replies or their exact bytes compared, plus literal expectations): FUNCTION LOAD
[REPLACE] with its metadata line ('#!<engine> name=<library>'), redis.register_function in its
positional and table forms (flags, description), FCALL / FCALL_RO (keys and args tables, reply
conversions in RESP2 and RESP3, redis.setresp, runtime errors with their 'script: <function>, on
@user_function:<line>.' suffix, read-only functions), every load-time error text, FUNCTION LIST
(RESP2 and RESP3 shapes, LIBRARYNAME, WITHCODE), DELETE, FLUSH, DUMP / RESTORE (policies, bad
payloads, payloads exchanged between the two servers in both directions), STATS, KILL, HELP; and
busy functions (BUSY replies naming FUNCTION KILL, FUNCTION STATS' running_script, FUNCTION KILL,
UNKILLABLE after a write, SHUTDOWN NOSAVE).

Surprises of Redis 7.0.15 that the tests pin down:
- the load run (the library's top level) sees only a tiny environment: `redis.register_function`,
  `redis.log`, `redis.LOG_*`, `redis.REDIS_VERSION(_NUM)`; everything else (error, pcall, string,
  math, tostring, KEYS, redis.call, redis.setresp, ...) fails with "Script attempted to access
  nonexistent global variable '<name>'" (for redis.call the name is 'call');
- invalid *function* names are reported with the *library* name text ("Library names can only
  contain letters, numbers, or underscores(_) and must be at least one character long");
- function names are case-insensitive (FCALL F finds f; 'F' collides with 'f' of another library)
  while library names are case-sensitive (lib1 and LIB1 coexist, DELETE needs the exact name);
  FUNCTION LIST LIBRARYNAME matches its glob case-insensitively;
  the duplicate check inside one library is case-sensitive though, and a library registering
  both 'g' and 'G' loads, after which FUNCTION DELETE of it crashes redis-server 7.0.15 (so that
  case is not tested here);
- functions do not see KEYS / ARGV (nonexistent global), only their (keys, args) parameters;
- a non-integer numkeys is "ERR Bad number of keys provided" (EVAL says "value is not an
  integer"), and an unknown function is reported before any numkeys error;
- FUNCTION RESTORE's conflicts say "Library lib1 already exists" (no quotes) while FUNCTION LOAD
  and duplicates inside one payload say "Library 'lib1' already exists";
- a library that runs longer than 500 ms at load time fails with "FUNCTION LOAD timeout";
- SCRIPT KILL during a busy function is refused with the FUNCTION KILL flavour of BUSY, and
  FUNCTION KILL / FUNCTION STATS during a busy EVAL with the SCRIPT KILL flavour; SCRIPT KILL of a
  function that wrote is UNKILLABLE; the killed function's error still says "SCRIPT KILL...".
Library and function order in FUNCTION LIST and FUNCTION DUMP follows Redis's (randomly seeded)
hash tables, so lists with several entries are compared after sorting."""
import struct
import time

import pytest

from pairing import CallThread, pair  # noqa: F401 (pair is a fixture)
from resp import Closed, ErrorReply

BUSY_FUNCTION = ("BUSY Redis is busy running a script. You can only call FUNCTION KILL or "
                 "SHUTDOWN NOSAVE.")
BUSY_SCRIPT = ("BUSY Redis is busy running a script. You can only call SCRIPT KILL or "
               "SHUTDOWN NOSAVE.")
NOTBUSY = "NOTBUSY No scripts in execution right now."
UNKILLABLE = ("UNKILLABLE Sorry the script already executed write commands against the dataset. "
              "You can either wait the script termination or kill the server in a hard way using "
              "the SHUTDOWN NOSAVE command.")
KILLED = "ERR Script killed by user with SCRIPT KILL..."
WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
NOT_FOUND = "ERR Function not found"
BAD_NUMKEYS = "ERR Bad number of keys provided"
RO_WRITE = "ERR Write commands are not allowed from read-only scripts."
RO_FLAGS = "ERR Can not execute a script with write flag using *_ro command."
NAME_CHARS = ("Library names can only contain letters, numbers, or underscores(_) and must be "
              "at least one character long")
REGISTERING = "ERR Error registering functions: ERR "
BAD_PAYLOAD = "ERR DUMP payload version or checksum are wrong"
# FUNCTION DUMP with no libraries: RDB version 10 (little endian) and the CRC64 of those 2 bytes
EMPTY_DUMP = b"\n\x00]\x9b\\@\x0f\x7f\xa2\xda"


def lib(name, *lines):
    """A library's code: the metadata line, then one line per entry."""
    return "\n".join((f"#!lua name={name}",) + lines)


def fn(name, body):
    """A redis.register_function call (positional form) on one line."""
    return f"redis.register_function('{name}', function(keys, args) {body} end)"


def runtime_error(message, function, line):
    """The text of an error raised while a function runs."""
    return f"{message} script: {function}, on @user_function:{line}."


def nonexistent(name, line=2):
    """A load-time access to something outside the load environment."""
    return (f"{REGISTERING}user_function:{line}: Script attempted to access nonexistent global "
            f"variable '{name}'")


# ------------------------------------------------------------------ FUNCTION DUMP payloads

def _crc64_table():
    poly = 0x95AC9329AC4BC9B5  # Jones polynomial 0xad93d23594c935a9, reflected
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ poly if c & 1 else c >> 1
        table.append(c)
    return table


CRC64_TABLE = _crc64_table()


def crc64(data):
    """Redis's CRC64 (the checksum in DUMP payloads)."""
    crc = 0
    for b in data:
        crc = CRC64_TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc


def rdb_string(data):
    """An RDB length-prefixed string (uncompressed)."""
    if len(data) < 64:
        return bytes([len(data)]) + data
    assert len(data) < 16384
    return struct.pack(">H", 0x4000 | len(data)) + data


def raw_payload(body, version=10):
    """A FUNCTION RESTORE payload: body, RDB version (2 bytes LE), CRC64 of both (8 bytes LE)."""
    data = body + struct.pack("<H", version)
    return data + struct.pack("<Q", crc64(data))


def payload(*codes, version=10):
    """A payload with one RDB_OPCODE_FUNCTION2 (0xf5) + code string per library."""
    return raw_payload(b"".join(b"\xf5" + rdb_string(c.encode()) for c in codes), version)


def check_footer(dump):
    """A FUNCTION DUMP payload ends with RDB version 10 and a correct CRC64."""
    assert len(dump) >= 10
    assert dump[-10:-8] == b"\n\x00", dump
    assert struct.unpack("<Q", dump[-8:])[0] == crc64(dump[:-8]), dump


# ------------------------------------------------------------------ connections


def as_dict(v):
    """A RESP2 flat [k, v, k, v] list or a RESP3 map as a dict."""
    if isinstance(v, dict):
        return dict(v)
    assert isinstance(v, list) and len(v) % 2 == 0, v
    return dict(zip(v[0::2], v[1::2]))


def canon_list(reply):
    """FUNCTION LIST in an order-independent form: libraries sorted by name, their functions
    sorted by name, the field order of each entry kept (as a list of keys)."""
    if isinstance(reply, tuple):
        return reply
    out = []
    for entry in reply:
        fields = as_dict(entry)
        keys = list(fields) if isinstance(entry, dict) else entry[0::2]
        funcs = []
        for f in fields[b"functions"]:
            fd = as_dict(f)
            fkeys = list(fd) if isinstance(f, dict) else f[0::2]
            funcs.append((fd[b"name"], fkeys, fd))
        fields[b"functions"] = sorted(funcs, key=lambda t: t[0])
        out.append((fields[b"library_name"], keys, fields))
    return sorted(out, key=lambda t: t[0])


def load(pair, code, *options):
    """FUNCTION LOAD on both servers; returns the normalised reply."""
    return pair.same("FUNCTION", "LOAD", *options, code)


def fcall(pair, name, *keys_and_args, numkeys=0, cmd="FCALL"):
    return pair.same(cmd, name, str(numkeys), *keys_and_args)


def flush(pair):
    assert pair.same("FUNCTION", "FLUSH") == "OK"


# ------------------------------------------------------------------ loading and calling


def test_load_and_fcall_with_keys_and_args(pair):
    code = lib("mylib",
               fn("echo", "return {keys, args, #keys, #args}"),
               fn("types", "return {type(keys), type(args)}"),
               fn("setget", "redis.call('set', keys[1], args[1]) "
                            "return redis.call('get', keys[1])"),
               fn("MixedCase", "return 'mixed'"))
    assert load(pair, code) == b"mylib"
    assert fcall(pair, "echo", "k1", "k2", "a1", "a2", "a3", numkeys=2) == \
        [[b"k1", b"k2"], [b"a1", b"a2", b"a3"], 2, 3]
    assert fcall(pair, "echo") == [[], [], 0, 0]
    assert fcall(pair, "echo", "a", "b") == [[], [b"a", b"b"], 0, 2]
    assert fcall(pair, "echo", "a", "b", numkeys=2) == [[b"a", b"b"], [], 2, 0]
    assert fcall(pair, "echo", "\x00\xff", "a\r\nb", numkeys=1) == \
        [["\x00\xff".encode()], [b"a\r\nb"], 1, 1]
    assert fcall(pair, "types", "k", "a", numkeys=1) == [b"table", b"table"]
    assert fcall(pair, "setget", "key", "value", numkeys=1) == b"value"
    assert pair.same("GET", "key") == b"value"
    # function names are case-insensitive, the registered spelling is kept
    assert fcall(pair, "ECHO", "a") == [[], [b"a"], 0, 1]
    assert fcall(pair, "mixedcase") == b"mixed"
    assert fcall(pair, "MIXEDCASE") == b"mixed"
    assert fcall(pair, "echo", "a", cmd="FCALL_RO") == ("error", RO_FLAGS)
    pair.same_bytes("FCALL", "echo", "1", "k", "a")
    listing = pair.same("FUNCTION", "LIST", shape=canon_list)
    assert [name for name, _, _ in listing[0][2][b"functions"]] == \
        [b"MixedCase", b"echo", b"setget", b"types"]


def test_function_sees_callers_database(pair):
    assert load(pair, lib("dblib", fn("get", "return redis.call('get', keys[1])"),
                          fn("sel", "redis.call('select', args[1]) "
                                    "return redis.call('get', keys[1])"))) == b"dblib"
    pair.same("SET", "k", "db0")
    assert pair.same("SELECT", "3") == "OK"
    pair.same("SET", "k", "db3")
    assert fcall(pair, "get", "k", numkeys=1) == b"db3"
    assert pair.same("SELECT", "0") == "OK"
    assert fcall(pair, "get", "k", numkeys=1) == b"db0"
    assert fcall(pair, "sel", "k", "3", numkeys=1) == b"db3"
    # SELECT inside the function did not change the caller's database
    assert pair.same("GET", "k") == b"db0"


RETURNS = {
    "float": "return 3.99",
    "negfloat": "return -3.99",
    "half": "return -0.5",
    "int": "return 42",
    "yes": "return true",
    "no": "return false",
    "none": "return nil",
    "empty": "return",
    "str": "return 'hello'",
    "bin": "return 'a\\0b'",
    "emptystr": "return ''",
    "nested": "return {1, 2, {3, 'x'}, nil, 5}",
    "bools": "return {1, 'a', true, false, 4}",
    "emptytable": "return {}",
    "oktable": "return {ok='FINE'}",
    "errtable": "return {err='MYERR boom'}",
    "errnocode": "return {err='boom'}",
    "status": "return redis.status_reply('S')",
    "errreply": "return redis.error_reply('E x')",
    "double": "return {double=3.5}",
    "map": "return {map={a=1}}",
    "set": "return {set={a=true}}",
    "bignum": "return {big_number='123'}",
    "verbatim": "return {verbatim_string={format='txt', string='hello'}}",
    "sha": "return redis.sha1hex('')",
    "ping": "return redis.call('ping')",
    "floor": "return math.floor(2.5)",
    "json": "return cjson.encode({1})",
    "nokey": "return redis.call('get', 'nokey')",
}

RESP2_LITERALS = {
    "float": b":3\r\n",
    "negfloat": b":-3\r\n",
    "half": b":0\r\n",
    "yes": b":1\r\n",
    "no": b"$-1\r\n",
    "none": b"$-1\r\n",
    "empty": b"$-1\r\n",
    "bin": b"$3\r\na\x00b\r\n",
    "nested": b"*3\r\n:1\r\n:2\r\n*2\r\n:3\r\n$1\r\nx\r\n",
    "bools": b"*5\r\n:1\r\n$1\r\na\r\n:1\r\n$-1\r\n:4\r\n",
    "oktable": b"+FINE\r\n",
    "errtable": b"-MYERR boom\r\n",
    "errnocode": b"-boom\r\n",
    "status": b"+S\r\n",
    "errreply": b"-E x\r\n",
    "double": b"$3\r\n3.5\r\n",
    "map": b"*2\r\n$1\r\na\r\n:1\r\n",
    "set": b"*1\r\n$1\r\na\r\n",
    "bignum": b"$3\r\n123\r\n",
    "verbatim": b"$5\r\nhello\r\n",
    "sha": b"$40\r\nda39a3ee5e6b4b0d3255bfef95601890afd80709\r\n",
    "ping": b"+PONG\r\n",
    "json": b"$3\r\n[1]\r\n",
}

RESP3_LITERALS = {
    "no": b"_\r\n",
    "yes": b":1\r\n",
    "double": b",3.5\r\n",
    "map": b"%1\r\n$1\r\na\r\n:1\r\n",
    "set": b"~1\r\n$1\r\na\r\n",
    "bignum": b"(123\r\n",
    "verbatim": b"=9\r\ntxt:hello\r\n",
    "nokey": b"_\r\n",
}


@pytest.mark.parametrize("proto", [2, 3])
def test_return_value_conversions(pair, proto):
    code = lib("conv", *(fn(name, body) for name, body in RETURNS.items()))
    assert load(pair, code) == b"conv"
    if proto == 3:
        pair.hello3()
    got = {}
    for name in RETURNS:
        got[name] = pair.same_bytes("FCALL", name, "0")
    literals = RESP2_LITERALS if proto == 2 else RESP3_LITERALS
    for name, want in literals.items():
        assert got[name] == want, (name, got[name])


@pytest.mark.parametrize("proto", [2, 3])
def test_setresp_inside_functions(pair, proto):
    code = lib("resp",
               fn("sr", "redis.setresp(tonumber(args[1])) return redis.call(args[2], keys[1])"),
               fn("srtype", "redis.setresp(tonumber(args[1])) "
                            "local r = redis.call(args[2], keys[1]) "
                            "if type(r) == 'table' and r.map then return 'map' end "
                            "return type(r)"))
    assert load(pair, code) == b"resp"
    pair.same("HSET", "h", "a", "1")
    pair.same("SET", "s", "x")
    if proto == 3:
        pair.hello3()
    for args in (("1", "h", "2", "hgetall"), ("1", "h", "3", "hgetall"),
                 ("1", "nokey", "3", "get"), ("1", "nokey", "2", "get"),
                 ("1", "s", "3", "get")):
        pair.same_bytes("FCALL", "sr", *args)
        pair.same_bytes("FCALL", "srtype", *args)
    assert fcall(pair, "srtype", "h", "3", "hgetall", numkeys=1) == b"map"
    assert fcall(pair, "srtype", "h", "2", "hgetall", numkeys=1) == b"table"
    assert fcall(pair, "srtype", "nokey", "3", "get", numkeys=1) == b"nil"
    assert fcall(pair, "srtype", "nokey", "2", "get", numkeys=1) == b"boolean"
    if proto == 2:
        assert pair.same_bytes("FCALL", "sr", "1", "h", "3", "hgetall") == \
            b"*2\r\n$1\r\na\r\n$1\r\n1\r\n"
    else:
        assert pair.same_bytes("FCALL", "sr", "1", "h", "3", "hgetall") == \
            b"%1\r\n$1\r\na\r\n$1\r\n1\r\n"
        assert pair.same_bytes("FCALL", "sr", "1", "h", "2", "hgetall") == \
            b"*2\r\n$1\r\na\r\n$1\r\n1\r\n"
    for bad in ("4", "0", "1"):
        assert fcall(pair, "sr", "h", bad, "hgetall", numkeys=1) == \
            ("error", runtime_error("ERR RESP version must be 2 or 3.", "sr", 2))


def test_functions_do_not_see_keys_and_argv(pair):
    code = lib("globals",
               fn("k", "return KEYS"),
               fn("a", "return ARGV[1]"))
    assert load(pair, code) == b"globals"
    msg = "ERR user_function:{line}: Script attempted to access nonexistent global variable '{g}'"
    assert fcall(pair, "k", "x", "y", numkeys=1) == \
        ("error", runtime_error(msg.format(line=2, g="KEYS"), "k", 2))
    assert fcall(pair, "a", "x", "y", numkeys=1) == \
        ("error", runtime_error(msg.format(line=3, g="ARGV"), "a", 3))


# ------------------------------------------------------------------ load errors


F = "\n" + fn("f", "return 1")

METADATA_ERRORS = {
    "return 1": "ERR Missing library metadata",
    "": "ERR Missing library metadata",
    " #!lua name=x" + F: "ERR Missing library metadata",
    "#!lua\nreturn 1": "ERR Library name was not given",
    "#!lua\n#!lua name=x" + F: "ERR Library name was not given",
    "#!lua name=" + F: "ERR " + NAME_CHARS,
    "#!lua name=a-b" + F: "ERR " + NAME_CHARS,
    "#!lua name=a.b" + F: "ERR " + NAME_CHARS,
    "#!lua name=x=y" + F: "ERR " + NAME_CHARS,
    "#!lua name=\u00e9" + F: "ERR " + NAME_CHARS,
    "#!lua name=x\\n" + F: "ERR " + NAME_CHARS,
    "#!lua name=a b" + F: "ERR Invalid metadata value given: b",
    "#!lua name=a foo=bar" + F: "ERR Invalid metadata value given: foo=bar",
    "#!lua name=a flags=no-writes" + F: "ERR Invalid metadata value given: flags=no-writes",
    "#!lua flags= name=x" + F: "ERR Invalid metadata value given: flags=",
    "#!lua name" + F: "ERR Invalid metadata value given: name",
    "#! lua name=x" + F: "ERR Invalid metadata value given: lua",
    "#!lua name=a name=b" + F: "ERR Invalid metadata value, name argument was given multiple times",
    "#!lua Name=a name=a" + F:
        "ERR Invalid metadata value, name argument was given multiple times",
    "#!foo name=a" + F: "ERR Engine 'foo' not found",
    "#!luajit name=a" + F: "ERR Engine 'luajit' not found",
    "#! name=a" + F: "ERR Engine '' not found",
    "#!lua name=a": "ERR Invalid library metadata",
    "#!lua name=x\x00" + F: "ERR Invalid library metadata",
    '#!lua name="x' + F: "ERR Invalid library metadata",
    "#!lua name=a\n": "ERR No functions registered",
    "#!lua name=a\nreturn 1": "ERR No functions registered",
    "#!lua name=a\nlocal x = redis.log": "ERR No functions registered",
}


def test_load_metadata_errors(pair):
    for code, message in METADATA_ERRORS.items():
        assert load(pair, code) == ("error", message), code
        assert load(pair, code, "REPLACE") == ("error", message), code
    assert pair.same("FUNCTION", "LIST") == []


def test_load_metadata_variants(pair):
    """Metadata is split like command-line arguments: spaces, tabs, \\r and quotes are fine; the
    engine name and the 'name' key are case-insensitive."""
    for first in ("#!lua  name=x", "#!lua name=x ", "#!lua\tname=x", "#!lua name=x\r",
                  "#!lua NAME=x", "#!LUA name=x", "#!Lua name=x", "#!lua name='x'",
                  '#!lua "name=x"', '#!lua name="x"'):
        assert load(pair, first + F) == b"x", first
        assert pair.same("FCALL", "f", "0") == 1
        flush(pair)
    for name in ("X_1", "1", "_", "a" * 300, "Az09_"):
        assert load(pair, f"#!lua name={name}" + F) == name.encode()
        assert pair.same("FUNCTION", "DELETE", name) == "OK"
    assert pair.same("FUNCTION", "LIST") == []


def test_library_exists_and_replace(pair):
    v1 = lib("a", fn("f", "return 1"))
    assert load(pair, v1) == b"a"
    assert load(pair, v1) == ("error", "ERR Library 'a' already exists")
    assert load(pair, lib("a", fn("other", "return 1"))) == \
        ("error", "ERR Library 'a' already exists")
    assert fcall(pair, "f") == 1
    assert load(pair, lib("a", fn("f", "return 2")), "REPLACE") == b"a"
    assert fcall(pair, "f") == 2
    assert load(pair, lib("a", fn("f", "return 3")), "replace") == b"a"
    assert fcall(pair, "f") == 3
    # REPLACE may be repeated; unknown options are refused
    assert load(pair, lib("a", fn("f", "return 4")), "REPLACE", "REPLACE") == b"a"
    assert fcall(pair, "f") == 4
    assert load(pair, lib("a", fn("f", "return 5")), "FOO") == \
        ("error", "ERR Unknown option given: FOO")
    assert load(pair, lib("a", fn("f", "return 5")), "foo") == \
        ("error", "ERR Unknown option given: foo")
    # REPLACE swaps the whole library: f is gone, g is new
    assert load(pair, lib("a", fn("g", "return 'g'")), "REPLACE") == b"a"
    assert fcall(pair, "f") == ("error", NOT_FOUND)
    assert fcall(pair, "g") == b"g"
    # a failed REPLACE keeps the old library
    for bad, message in (
            (lib("a", "return 1"), "ERR No functions registered"),
            (lib("a", fn("h", "return 1"), "error('x')"), nonexistent("error", line=3)),
            (lib("a", "return 1 +"), "ERR Error compiling function: user_function:2: "
                                     "unexpected symbol near '<eof>'")):
        assert load(pair, bad, "REPLACE") == ("error", message)
        assert fcall(pair, "g") == b"g"
        assert fcall(pair, "h") == ("error", NOT_FOUND)
    # library names are case-sensitive
    assert load(pair, lib("A", fn("upper", "return 'A'"))) == b"A"
    assert fcall(pair, "upper") == b"A"
    listing = pair.same("FUNCTION", "LIST", shape=canon_list)
    assert [name for name, _, _ in listing] == [b"A", b"a"]


def test_function_name_collisions(pair):
    assert load(pair, lib("lib1", fn("f", "return 1"), fn("shared", "return 1"))) == b"lib1"
    assert load(pair, lib("lib2", fn("f", "return 2"))) == \
        ("error", "ERR Function f already exists")
    # function names are case-insensitive; the message spells the new one
    assert load(pair, lib("lib2", fn("F", "return 2"))) == \
        ("error", "ERR Function F already exists")
    assert load(pair, lib("lib2", fn("ok", "return 2"), fn("SHARED", "return 2"))) == \
        ("error", "ERR Function SHARED already exists")
    assert fcall(pair, "ok") == ("error", NOT_FOUND)
    # twice in one library
    assert load(pair, lib("lib2", fn("g", "return 1"), fn("g", "return 1"))) == \
        ("error", REGISTERING + "Function already exists in the library")
    assert load(pair, lib("lib2", fn("g", "return 2"))) == b"lib2"
    # replacing lib1 with a function of lib2 fails and keeps lib1
    assert load(pair, lib("lib1", fn("g", "return 1")), "REPLACE") == \
        ("error", "ERR Function g already exists")
    assert fcall(pair, "f") == 1
    # replacing lib1 by itself may reuse its own names
    assert load(pair, lib("lib1", fn("f", "return 11"), fn("shared", "return 11")),
                "REPLACE") == b"lib1"
    assert fcall(pair, "f") == 11
    # deleting a library frees its names
    assert pair.same("FUNCTION", "DELETE", "lib1") == "OK"
    assert load(pair, lib("lib3", fn("f", "return 3"))) == b"lib3"
    assert fcall(pair, "F") == 3


def test_invalid_function_names(pair):
    for name in ("g-h", "", "g h", "a.b", "\u00e9", "x:y"):
        code = lib("b", f"redis.register_function('{name}', function() return 1 end)")
        assert load(pair, code) == ("error", REGISTERING + NAME_CHARS), name
        code = lib("b", f"redis.register_function{{function_name='{name}', "
                        f"callback=function() return 1 end}}")
        assert load(pair, code) == ("error", REGISTERING + NAME_CHARS), name
    # letters, digits and underscores; numbers are converted to names
    code = lib("b", fn("a_B9", "return 'a'"), fn("_", "return '_'"), fn("9", "return 9"),
               "redis.register_function(12, function() return 12 end)",
               "redis.register_function{function_name=13, callback=function() return 13 end,"
               " description=14}")
    assert load(pair, code) == b"b"
    assert fcall(pair, "A_b9") == b"a"
    assert fcall(pair, "_") == b"_"
    assert fcall(pair, "9") == 9
    assert fcall(pair, "12") == 12
    assert fcall(pair, "13") == 13
    listing = pair.same("FUNCTION", "LIST", shape=canon_list)
    funcs = {name: fields for name, _, fields in listing[0][2][b"functions"]}
    assert set(funcs) == {b"a_B9", b"_", b"9", b"12", b"13"}
    assert funcs[b"13"][b"description"] == b"14"
    long_name = "x" * 200
    assert load(pair, lib("c", fn(long_name, "return 'long'"))) == b"c"
    assert fcall(pair, long_name) == b"long"


REGISTER_ERRORS = {
    "redis.register_function('g', function() end, 3)":
        "wrong number of arguments to redis.register_function",
    "redis.register_function('g', function() end, 'y')":
        "wrong number of arguments to redis.register_function",
    "redis.register_function()": "wrong number of arguments to redis.register_function",
    "redis.register_function('g')":
        "calling redis.register_function with a single argument is only applicable to Lua "
        "table (representing named arguments).",
    "redis.register_function(function() end)":
        "calling redis.register_function with a single argument is only applicable to Lua "
        "table (representing named arguments).",
    "redis.register_function('g', 'x')":
        "second argument to redis.register_function must be a function",
    "redis.register_function({}, function() end)":
        "first argument to redis.register_function must be a string",
    "redis.register_function(nil, function() end)":
        "first argument to redis.register_function must be a string",
    "redis.register_function{}": "redis.register_function must get a function name argument",
    "redis.register_function{callback=function() end}":
        "redis.register_function must get a function name argument",
    "redis.register_function{function_name='g'}":
        "redis.register_function must get a callback argument",
    "redis.register_function{function_name='g', callback=1}":
        "callback argument given to redis.register_function must be a function",
    "redis.register_function{function_name={}, callback=function() end}":
        "function_name argument given to redis.register_function must be a string",
    "redis.register_function{function_name='g', callback=function() end, foo=1}":
        "unknown argument given to redis.register_function",
    "redis.register_function{function_name='g', callback=function() end, flags={'no-writes'}, "
    "description='d', extra=1}": "unknown argument given to redis.register_function",
    "redis.register_function{function_name='g', callback=function() end, description={}}":
        "description argument given to redis.register_function must be a string",
    "redis.register_function{function_name='g', callback=function() end, flags='no-writes'}":
        "flags argument to redis.register_function must be a table representing function flags",
    "redis.register_function{function_name='g', callback=function() end, flags={'bad'}}":
        "unknown flag given",
    "redis.register_function{function_name='g', callback=function() end, flags={1}}":
        "unknown flag given",
    "redis.register_function{function_name='g', callback=function() end, "
    "flags={'no-writes', 'bad'}}": "unknown flag given",
    "redis.register_function{function_name='g', callback=function() end, flags={'no_writes'}}":
        "unknown flag given",
}


def test_register_function_argument_errors(pair):
    for line, message in REGISTER_ERRORS.items():
        assert load(pair, lib("c", line)) == ("error", REGISTERING + message), line
    # nothing was registered by a library that failed after registering something
    assert load(pair, lib("c", fn("ok", "return 1"), "redis.register_function('g')")) == \
        ("error", REGISTERING + REGISTER_ERRORS["redis.register_function('g')"])
    assert fcall(pair, "ok") == ("error", NOT_FOUND)
    assert pair.same("FUNCTION", "LIST") == []


def test_flags_and_description(pair):
    code = lib(
        "flagged",
        "redis.register_function{function_name='allflags', callback=function() return 1 end, "
        "flags={'allow-cross-slot-keys', 'no-cluster', 'allow-stale', 'allow-oom', "
        "'no-writes'}}",
        "redis.register_function{function_name='upper', callback=function() return 1 end, "
        "flags={'NO-WRITES', 'Allow-Stale'}, description='has a description'}",
        "redis.register_function{function_name='noflags', callback=function() return 1 end, "
        "flags={}}",
        "redis.register_function{function_name='desc', callback=function() return 1 end, "
        "description=''}")
    assert load(pair, code) == b"flagged"
    for proto in (2, 3):
        if proto == 3:
            pair.hello3()
        listing = pair.same("FUNCTION", "LIST", shape=canon_list)
        funcs = {name: fields for name, _, fields in listing[0][2][b"functions"]}
        flags = {name: fields[b"flags"] for name, fields in funcs.items()}
        if proto == 2:
            # flags are status replies, in Redis's flag table order
            assert flags[b"allflags"] == ["no-writes", "allow-oom", "allow-stale", "no-cluster",
                                          "allow-cross-slot-keys"]
            assert flags[b"upper"] == ["no-writes", "allow-stale"]
            assert flags[b"noflags"] == []
        else:
            assert flags[b"allflags"] == {"no-writes", "allow-oom", "allow-stale", "no-cluster",
                                          "allow-cross-slot-keys"}
            assert flags[b"upper"] == {"no-writes", "allow-stale"}
            assert flags[b"noflags"] == set()
        assert funcs[b"upper"][b"description"] == b"has a description"
        assert funcs[b"noflags"][b"description"] is None
        assert funcs[b"desc"][b"description"] == b""
    # one function per library: the exact bytes
    flush(pair)
    assert load(pair, lib("one", "redis.register_function{function_name='f', callback="
                                 "function() return 1 end, description='d', "
                                 "flags={'allow-stale', 'no-writes'}}")) == b"one"
    want = (b"*1\r\n%3\r\n$12\r\nlibrary_name\r\n$3\r\none\r\n$6\r\nengine\r\n$3\r\nLUA\r\n"
            b"$9\r\nfunctions\r\n*1\r\n%3\r\n$4\r\nname\r\n$1\r\nf\r\n$11\r\ndescription\r\n"
            b"$1\r\nd\r\n$5\r\nflags\r\n~2\r\n+no-writes\r\n+allow-stale\r\n")
    assert pair.same_bytes("FUNCTION", "LIST") == want


def test_compile_and_runtime_errors_during_load(pair):
    assert load(pair, lib("a", "return 1 +")) == \
        ("error", "ERR Error compiling function: user_function:2: unexpected symbol near '<eof>'")
    assert load(pair, lib("a", "", "", "local = 1")) == \
        ("error", "ERR Error compiling function: user_function:4: '<name>' expected near '='")
    cases = {
        "local t = nil + 1": REGISTERING + "user_function:2: attempt to perform arithmetic on a "
                                           "nil value",
        "local t = {} .. 'x'": REGISTERING + "user_function:2: attempt to concatenate a table "
                                             "value",
        "x = 1": REGISTERING + "user_function:2: Attempt to modify a readonly table",
        "error('boom')": nonexistent("error"),
        "redis.call('set', 'x', 'y')": nonexistent("call"),
        "redis.pcall('set', 'x', 'y')": nonexistent("pcall"),
        "local c = redis.call": nonexistent("call"),
        "redis.setresp(3)": nonexistent("setresp"),
        "redis.sha1hex('x')": nonexistent("sha1hex"),
        "local x = redis.error_reply('x')": nonexistent("error_reply"),
        "local x = redis.status_reply('x')": nonexistent("status_reply"),
        "local x = redis.foo": nonexistent("foo"),
        "local x = KEYS": nonexistent("KEYS"),
        "local x = ARGV": nonexistent("ARGV"),
        "local x = string.rep('a', 3)": nonexistent("string"),
        "local x = math.random()": nonexistent("math"),
        "local x = tostring(1)": nonexistent("tostring"),
        "local x = type(1)": nonexistent("type"),
        "local x = pcall(function() end)": nonexistent("pcall"),
        "local x = cjson.encode({})": nonexistent("cjson"),
        "local x = _G": nonexistent("_G"),
        "local x = unpack": nonexistent("unpack"),
        "undefined_function()": nonexistent("undefined_function"),
    }
    for line, message in cases.items():
        assert load(pair, lib("a", line, fn("f", "return 1"))) == ("error", message), line
        # after registering something too
        assert load(pair, lib("a", fn("f", "return 1"), line)) == \
            ("error", message.replace("user_function:2:", "user_function:3:")), line
    assert fcall(pair, "f") == ("error", NOT_FOUND)
    assert pair.same("FUNCTION", "LIST") == []
    # what the load environment does offer
    code = lib("env",
               "redis.log(redis.LOG_WARNING, 'loading a library')",
               "local v, n = redis.REDIS_VERSION, redis.REDIS_VERSION_NUM",
               "local levels = redis.LOG_DEBUG + redis.LOG_VERBOSE + redis.LOG_NOTICE"
               " + redis.LOG_WARNING",
               "local reg = redis.register_function",
               "local i = 0 while i < 1000 do i = i + 1 end",
               "reg('ver', function() return {v, n, levels, i} end)")
    assert load(pair, code) == b"env"
    assert fcall(pair, "ver") == [b"7.0.15", 0x07000F, 6, 1000]


def test_load_timeout(pair):
    for code in (lib("spin", "while true do end"),
                 lib("spin", fn("f", "return 1"), "local i = 0 while true do i = i + 1 end")):
        start = time.time()
        assert load(pair, code) == ("error", REGISTERING + "FUNCTION LOAD timeout")
        assert time.time() - start < 8
    assert pair.same("FUNCTION", "LIST") == []
    assert pair.same("PING") == "PONG"


# ------------------------------------------------------------------ errors while running


def test_runtime_errors(pair):
    code = lib("rt",
               fn("boom", "error('boom')"),                                    # line 2
               fn("arith", "return nil + 1"),                                  # 3
               fn("errt", "error({err='MYCODE custom'})"),                     # 4
               fn("unknown", "return redis.call('nosuch')"),                   # 5
               fn("punknown", "return redis.pcall('nosuch')"),                 # 6
               fn("arity", "return redis.call('get')"),                        # 7
               fn("wrongtype", "redis.call('set', 's', 'x') "
                               "return redis.call('lpush', 's', 'x')"),        # 8
               fn("pwrongtype", "return redis.pcall('lpush', 's', 'x')"),      # 9
               fn("nested", "return redis.call('fcall', 'boom', 0)"),          # 10
               fn("fnlist", "return redis.call('function', 'list')"),          # 11
               fn("eval", "return redis.call('eval', 'return 1', 0)"),         # 12
               fn("register", "redis.register_function('zz', function() end)"),  # 13
               fn("catch", "local ok, e = pcall(redis.call, 'nosuch') return e"),  # 14
               fn("partial", "redis.call('set', 'p', '1') error('after write')"))  # 15
    assert load(pair, code) == b"rt"
    cases = {
        "boom": runtime_error("ERR user_function:2: boom", "boom", 2),
        "arith": runtime_error("ERR user_function:3: attempt to perform arithmetic on a nil "
                               "value", "arith", 3),
        "errt": runtime_error("MYCODE custom", "errt", 4),
        "unknown": runtime_error("ERR Unknown Redis command called from script", "unknown", 5),
        "punknown": "ERR Unknown Redis command called from script",
        "arity": runtime_error("ERR Wrong number of args calling Redis command from script",
                               "arity", 7),
        "wrongtype": runtime_error(WRONGTYPE, "wrongtype", 8),
        "pwrongtype": WRONGTYPE,
        "nested": runtime_error("ERR This Redis command is not allowed from script", "nested",
                                10),
        "fnlist": runtime_error("ERR This Redis command is not allowed from script", "fnlist",
                                11),
        "eval": runtime_error("ERR This Redis command is not allowed from script", "eval", 12),
        "register": runtime_error("ERR user_function:13: attempt to call field "
                                  "'register_function' (a nil value)", "register", 13),
        "partial": runtime_error("ERR user_function:15: after write", "partial", 15),
    }
    for name, message in cases.items():
        assert fcall(pair, name) == ("error", message), name
        # the function name is looked up case-insensitively, the message keeps its spelling
        assert fcall(pair, name.upper()) == ("error", message), name
    assert fcall(pair, "catch") == b"ERR Unknown Redis command called from script"
    # errors do not roll back
    assert pair.same("GET", "p") == b"1"
    assert pair.same("GET", "s") == b"x"


def test_fcall_unknown_function_and_numkeys_errors(pair):
    for name in ("nosuch", "", "f"):
        assert pair.same("FCALL", name, "0") == ("error", NOT_FOUND)
        assert pair.same("FCALL_RO", name, "0") == ("error", NOT_FOUND)
    assert load(pair, lib("n", fn("f", "return #keys"),
                          "redis.register_function{function_name='r', "
                          "callback=function(keys) return #keys end, flags={'no-writes'}}")) \
        == b"n"
    # the function is looked up before numkeys is parsed
    for numkeys in ("abc", "-1", "5"):
        assert pair.same("FCALL", "nosuch", numkeys, "a") == ("error", NOT_FOUND)
    for cmd in ("FCALL", "FCALL_RO"):
        name = "f" if cmd == "FCALL" else "r"
        assert pair.same(cmd, name, "-1") == ("error", "ERR Number of keys can't be negative")
        for n in ("2", "5"):
            assert pair.same(cmd, name, n, "a") == \
                ("error", "ERR Number of keys can't be greater than number of args")
        assert pair.same(cmd, name, "1") == \
            ("error", "ERR Number of keys can't be greater than number of args")
        for n in ("abc", "1.5", "", "99999999999999999999", " 1"):
            assert pair.same(cmd, name, n) == ("error", BAD_NUMKEYS), n
        assert pair.same(cmd, name, "2", "a", "b") == 2
        assert pair.same(cmd, name) == \
            ("error", f"ERR wrong number of arguments for '{cmd.lower()}' command")
        assert pair.same(cmd) == \
            ("error", f"ERR wrong number of arguments for '{cmd.lower()}' command")


def test_fcall_ro_and_no_writes(pair):
    code = lib(
        "ro",
        fn("plain_write", "return redis.call('set', keys[1], 'w')"),             # 2
        fn("plain_read", "return redis.call('get', keys[1])"),                   # 3
        "redis.register_function{function_name='ro_read', callback=function(keys) "
        "return redis.call('get', keys[1]) end, flags={'no-writes'}}",           # 4
        "redis.register_function{function_name='ro_write', callback=function(keys) "
        "return redis.call('set', keys[1], 'x') end, flags={'no-writes'}}",      # 5
        "redis.register_function{function_name='ro_pwrite', callback=function(keys) "
        "return redis.pcall('set', keys[1], 'x') end, flags={'no-writes'}}",     # 6
        "redis.register_function{function_name='ro_catch', callback=function(keys) "
        "local ok, e = pcall(redis.call, 'set', keys[1], 'x') return e end, "
        "flags={'no-writes'}}")                                                   # 7
    assert load(pair, code) == b"ro"
    pair.same("SET", "a", "old")
    # without no-writes, FCALL_RO refuses the function before running it
    assert fcall(pair, "plain_write", "a", numkeys=1, cmd="FCALL_RO") == ("error", RO_FLAGS)
    assert fcall(pair, "plain_read", "a", numkeys=1, cmd="FCALL_RO") == ("error", RO_FLAGS)
    assert pair.same("GET", "a") == b"old"
    # no-writes functions run with both commands
    assert fcall(pair, "ro_read", "a", numkeys=1) == b"old"
    assert fcall(pair, "ro_read", "a", numkeys=1, cmd="FCALL_RO") == b"old"
    assert fcall(pair, "RO_READ", "a", numkeys=1, cmd="FCALL_RO") == b"old"
    # ... and may not write
    for cmd in ("FCALL", "FCALL_RO"):
        assert fcall(pair, "ro_write", "a", numkeys=1, cmd=cmd) == \
            ("error", runtime_error(RO_WRITE, "ro_write", 5))
        assert fcall(pair, "ro_pwrite", "a", numkeys=1, cmd=cmd) == ("error", RO_WRITE)
        assert fcall(pair, "ro_catch", "a", numkeys=1, cmd=cmd) == RO_WRITE.encode()
    assert pair.same("GET", "a") == b"old"
    assert fcall(pair, "plain_write", "a", numkeys=1) == "OK"
    assert pair.same("GET", "a") == b"w"


def test_functions_inside_multi(pair):
    assert load(pair, lib("m", fn("incr", "return redis.call('incr', keys[1])"))) == b"m"
    assert pair.same("MULTI") == "OK"
    assert fcall(pair, "incr", "c", numkeys=1) == "QUEUED"
    assert pair.same("FUNCTION", "LOAD", lib("m2", fn("two", "return 2"))) == "QUEUED"
    assert fcall(pair, "two") == "QUEUED"
    assert fcall(pair, "nosuch") == "QUEUED"
    assert fcall(pair, "incr", "c", numkeys=1) == "QUEUED"
    assert pair.same("EXEC") == [1, b"m2", 2, ("error", NOT_FOUND), 2]
    assert pair.same("MULTI") == "OK"
    assert pair.same("FCALL", "incr") == \
        ("error", "ERR wrong number of arguments for 'fcall' command")
    assert pair.same("EXEC") == \
        ("error", "EXECABORT Transaction discarded because of previous errors.")


# ------------------------------------------------------------------ FUNCTION LIST


def test_function_list_shape(pair):
    assert pair.same_bytes("FUNCTION", "LIST") == b"*0\r\n"
    code_a = lib("mylib",
                 "redis.register_function{function_name='a1', callback=function() return 1 "
                 "end, description='first one', flags={'no-writes', 'allow-stale'}}",
                 fn("a2", "return 2"))
    code_b = lib("other", fn("b1", "return 1"))
    code_c = lib("MyLib2", fn("c1", "return 1"))
    for code in (code_a, code_b, code_c):
        load(pair, code)
    # one library: the exact bytes (RESP2; flags are status replies, no description is null)
    assert pair.same_bytes("FUNCTION", "LIST", "LIBRARYNAME", "other") == (
        b"*1\r\n*6\r\n$12\r\nlibrary_name\r\n$5\r\nother\r\n$6\r\nengine\r\n$3\r\nLUA\r\n"
        b"$9\r\nfunctions\r\n*1\r\n*6\r\n$4\r\nname\r\n$2\r\nb1\r\n$11\r\ndescription\r\n"
        b"$-1\r\n$5\r\nflags\r\n*0\r\n")
    assert pair.same_bytes("FUNCTION", "LIST", "WITHCODE", "LIBRARYNAME", "other") == (
        b"*1\r\n*8\r\n$12\r\nlibrary_name\r\n$5\r\nother\r\n$6\r\nengine\r\n$3\r\nLUA\r\n"
        b"$9\r\nfunctions\r\n*1\r\n*6\r\n$4\r\nname\r\n$2\r\nb1\r\n$11\r\ndescription\r\n"
        b"$-1\r\n$5\r\nflags\r\n*0\r\n$12\r\nlibrary_code\r\n"
        + b"$%d\r\n%s\r\n" % (len(code_b), code_b.encode()))
    listing = pair.same("FUNCTION", "LIST", shape=canon_list)
    assert [name for name, _, _ in listing] == [b"MyLib2", b"mylib", b"other"]
    for name, keys, fields in listing:
        assert keys == [b"library_name", b"engine", b"functions"]
        assert fields[b"engine"] == b"LUA"
        for _, fkeys, _ in fields[b"functions"]:
            assert fkeys == [b"name", b"description", b"flags"]
    mylib = listing[1][2]
    assert [f[2] for f in mylib[b"functions"]] == [
        {b"name": b"a1", b"description": b"first one", b"flags": ["no-writes", "allow-stale"]},
        {b"name": b"a2", b"description": None, b"flags": []}]
    with_code = pair.same("FUNCTION", "LIST", "WITHCODE", shape=canon_list)
    assert {name: fields[b"library_code"] for name, _, fields in with_code} == \
        {b"mylib": code_a.encode(), b"other": code_b.encode(), b"MyLib2": code_c.encode()}
    for _, keys, _ in with_code:
        assert keys == [b"library_name", b"engine", b"functions", b"library_code"]


def test_function_list_libraryname_pattern(pair):
    for name in ("mylib", "MyLib2", "other", "x_1"):
        load(pair, lib(name, fn(f"f_{name}", "return 1")))

    def names(*args):
        reply = pair.same("FUNCTION", "LIST", *args, shape=canon_list)
        return [name for name, _, _ in reply]

    assert names("LIBRARYNAME", "mylib") == [b"mylib"]
    # glob patterns, matched case-insensitively
    assert names("LIBRARYNAME", "my*") == [b"MyLib2", b"mylib"]
    assert names("LIBRARYNAME", "MY*") == [b"MyLib2", b"mylib"]
    assert names("LIBRARYNAME", "*lib*") == [b"MyLib2", b"mylib"]
    assert names("libraryname", "o?her") == [b"other"]
    assert names("LIBRARYNAME", "x_[0-9]") == [b"x_1"]
    assert names("LIBRARYNAME", "*") == [b"MyLib2", b"mylib", b"other", b"x_1"]
    assert names("LIBRARYNAME", "") == []
    assert names("LIBRARYNAME", "nosuch") == []
    assert names("LIBRARYNAME", "other", "WITHCODE") == [b"other"]
    assert names("withcode", "libraryname", "x*") == [b"x_1"]


def test_function_list_resp3(pair):
    code = lib("r3",
               "redis.register_function{function_name='f', callback=function() return 1 end, "
               "flags={'no-writes'}}")
    load(pair, code)
    load(pair, lib("r4", fn("g", "return 1"), fn("h", "return 1")))
    pair.hello3()
    want = (b"*1\r\n%3\r\n$12\r\nlibrary_name\r\n$2\r\nr3\r\n$6\r\nengine\r\n$3\r\nLUA\r\n"
            b"$9\r\nfunctions\r\n*1\r\n%3\r\n$4\r\nname\r\n$1\r\nf\r\n$11\r\ndescription\r\n"
            b"_\r\n$5\r\nflags\r\n~1\r\n+no-writes\r\n")
    assert pair.same_bytes("FUNCTION", "LIST", "LIBRARYNAME", "r3") == want
    want_code = (want[:-len(b"+no-writes\r\n")].replace(b"%3\r\n$12", b"%4\r\n$12", 1)
                 + b"+no-writes\r\n$12\r\nlibrary_code\r\n"
                 + b"$%d\r\n%s\r\n" % (len(code), code.encode()))
    assert pair.same_bytes("FUNCTION", "LIST", "WITHCODE", "LIBRARYNAME", "r3") == want_code
    listing = pair.same("FUNCTION", "LIST", shape=canon_list)
    assert [name for name, _, _ in listing] == [b"r3", b"r4"]
    assert [f[2] for f in listing[1][2][b"functions"]] == [
        {b"name": b"g", b"description": None, b"flags": set()},
        {b"name": b"h", b"description": None, b"flags": set()}]
    assert pair.same("FUNCTION", "LOAD", lib("r5", fn("i", "return 1"))) == b"r5"


def test_function_list_errors(pair):
    cases = {
        ("bad",): "ERR Unknown argument bad",
        ("LIBRARYNAME",): "ERR library name argument was not given",
        ("WITHCODE", "LIBRARYNAME"): "ERR library name argument was not given",
        ("LIBRARYNAME", "a", "LIBRARYNAME", "b"): "ERR Unknown argument LIBRARYNAME",
        ("libraryname", "a", "libraryname", "b"): "ERR Unknown argument libraryname",
        ("WITHCODE", "WITHCODE"): "ERR Unknown argument WITHCODE",
        ("withcode", "withcode"): "ERR Unknown argument withcode",
        ("LIBRARYNAME", "a", "b"): "ERR Unknown argument b",
    }
    for args, message in cases.items():
        assert pair.same("FUNCTION", "LIST", *args) == ("error", message), args


# ------------------------------------------------------------------ DELETE, FLUSH, SCRIPT FLUSH


def test_function_delete(pair):
    load(pair, lib("lib1", fn("f", "return 1")))
    load(pair, lib("LIB1", fn("g", "return 2")))
    assert pair.same("FUNCTION", "DELETE", "lib1") == "OK"
    assert pair.same("FUNCTION", "DELETE", "lib1") == ("error", "ERR Library not found")
    assert pair.same("FUNCTION", "DELETE", "Lib1") == ("error", "ERR Library not found")
    assert pair.same("FUNCTION", "DELETE", "f") == ("error", "ERR Library not found")
    assert fcall(pair, "f") == ("error", NOT_FOUND)
    assert fcall(pair, "g") == 2
    assert pair.same("FUNCTION", "DELETE", "LIB1") == "OK"
    assert pair.same("FUNCTION", "LIST") == []
    assert pair.same("FUNCTION", "DELETE", "") == ("error", "ERR Library not found")
    for args in ((), ("a", "b")):
        assert pair.same("FUNCTION", "DELETE", *args) == \
            ("error", "ERR wrong number of arguments for 'function|delete' command")


def test_function_flush(pair):
    for mode in ((), ("SYNC",), ("ASYNC",), ("sync",), ("async",)):
        load(pair, lib("a", fn("f", "return 1")))
        load(pair, lib("b", fn("g", "return 1")))
        assert pair.same("FUNCTION", "FLUSH", *mode) == "OK", mode
        assert pair.same("FUNCTION", "LIST") == []
        assert fcall(pair, "f") == ("error", NOT_FOUND)
        assert pair.same_bytes("FUNCTION", "DUMP") == b"$10\r\n" + EMPTY_DUMP + b"\r\n"
    assert pair.same("FUNCTION", "FLUSH") == "OK"
    load(pair, lib("a", fn("f", "return 1")))
    for bad in (("bad",), ("",), ("LAZY",)):
        assert pair.same("FUNCTION", "FLUSH", *bad) == \
            ("error", "ERR FUNCTION FLUSH only supports SYNC|ASYNC option"), bad
    assert pair.same("FUNCTION", "FLUSH", "SYNC", "ASYNC") == \
        ("error", "ERR unknown subcommand or wrong number of arguments for 'FLUSH'. Try "
                  "FUNCTION HELP.")
    assert pair.same("function", "flush", "sync", "async") == \
        ("error", "ERR unknown subcommand or wrong number of arguments for 'flush'. Try "
                  "FUNCTION HELP.")
    # failed flushes flushed nothing
    assert fcall(pair, "f") == 1


def test_script_flush_and_flushall_keep_functions(pair):
    load(pair, lib("keep", fn("f", "return redis.call('get', keys[1])")))
    sha = pair.same("SCRIPT", "LOAD", "return 'script'")
    pair.same("SET", "k", "v")
    assert pair.same("SCRIPT", "FLUSH") == "OK"
    assert fcall(pair, "f", "k", numkeys=1) == b"v"
    assert pair.same("FLUSHALL") == "OK"
    assert fcall(pair, "f", "k", numkeys=1) is None
    assert pair.same("FLUSHDB") == "OK"
    assert len(pair.same("FUNCTION", "LIST")) == 1
    # FUNCTION FLUSH removes the functions but not the script cache
    sha = pair.same("SCRIPT", "LOAD", "return 'script'")
    assert pair.same("FUNCTION", "FLUSH") == "OK"
    assert fcall(pair, "f", "k", numkeys=1) == ("error", NOT_FOUND)
    assert pair.same("SCRIPT", "EXISTS", sha) == [1]
    assert pair.same("EVALSHA", sha, "0") == b"script"
    assert pair.same("FUNCTION", "STATS") == \
        [b"running_script", None, b"engines", [b"LUA", [b"libraries_count", 0,
                                                        b"functions_count", 0]]]


# ------------------------------------------------------------------ DUMP and RESTORE


LIB1 = lib("lib1", fn("f", "return 1"))
LIB1B = lib("lib1", fn("f2", "return 11"))
LIB2 = lib("lib2", fn("f", "return 2"))
LIB3 = lib("lib3", fn("h", "return 3"))
# long and repetitive: Redis stores it LZF-compressed in FUNCTION DUMP
BIG = lib("big", fn("big", "return '" + "a" * 300 + "'"), fn("big2", "return '" + "ab" * 200 + "'"))


def test_dump_flush_restore(pair):
    assert pair.same_bytes("FUNCTION", "DUMP") == b"$10\r\n" + EMPTY_DUMP + b"\r\n"
    for code in (LIB1, LIB3, BIG,
                 lib("desc", "redis.register_function{function_name='d', callback=function() "
                             "return 'd' end, description='text', flags={'no-writes'}}")):
        load(pair, code)
    before = pair.same("FUNCTION", "LIST", "WITHCODE", shape=canon_list)
    dumps = {}
    for side, c in (("tess", pair.tess), ("ref", pair.ref)):
        dump = c.command("FUNCTION", "DUMP")
        assert isinstance(dump, bytes), dump
        check_footer(dump)
        dumps[side] = dump
    assert b"\xf5\xc3" in dumps["ref"]  # the reference compressed the big library
    assert pair.same("FUNCTION", "FLUSH") == "OK"
    assert pair.same("FUNCTION", "LIST") == []
    for side, c in (("tess", pair.tess), ("ref", pair.ref)):
        assert c.command("FUNCTION", "RESTORE", dumps[side]) == "OK", side
    assert pair.same("FUNCTION", "LIST", "WITHCODE", shape=canon_list) == before
    assert fcall(pair, "f") == 1
    assert fcall(pair, "big") == b"a" * 300
    assert fcall(pair, "big2") == b"ab" * 200
    assert fcall(pair, "d", cmd="FCALL_RO") == b"d"
    # a dump of the same libraries restores into the same state again (APPEND conflicts)
    for side, c in (("tess", pair.tess), ("ref", pair.ref)):
        reply = c.command("FUNCTION", "RESTORE", dumps[side])
        assert isinstance(reply, ErrorReply) and reply.message.startswith("ERR Library "), reply
        assert c.command("FUNCTION", "RESTORE", dumps[side], "REPLACE") == "OK"
        assert c.command("FUNCTION", "RESTORE", dumps[side], "FLUSH") == "OK"
    assert pair.same("FUNCTION", "LIST", "WITHCODE", shape=canon_list) == before


def test_payloads_exchanged_between_servers(pair):
    """A payload produced by the reference restores on the server under test and vice versa."""
    load(pair, LIB1)
    load(pair, BIG)
    load(pair, lib("flagged", "redis.register_function{function_name='ro', callback="
                              "function(keys) return redis.call('get', keys[1]) end, "
                              "flags={'no-writes', 'allow-oom'}, description='read only'}"))
    want = pair.same("FUNCTION", "LIST", "WITHCODE", shape=canon_list)
    ref_dump = pair.ref.command("FUNCTION", "DUMP")
    tess_dump = pair.tess.command("FUNCTION", "DUMP")
    assert b"\xf5\xc3" in ref_dump
    check_footer(tess_dump)
    # the reference's payload on the server under test
    assert pair.tess.command("FUNCTION", "RESTORE", ref_dump, "FLUSH") == "OK"
    assert pair.same("FUNCTION", "LIST", "WITHCODE", shape=canon_list) == want
    reply = pair.tess.command("FUNCTION", "RESTORE", ref_dump)
    assert isinstance(reply, ErrorReply) and reply.message.startswith("ERR Library "), reply
    assert pair.tess.command("FUNCTION", "FLUSH") == "OK"
    assert pair.tess.command("FUNCTION", "RESTORE", ref_dump) == "OK"
    assert pair.same("FUNCTION", "LIST", "WITHCODE", shape=canon_list) == want
    # the server under test's payload on the reference
    assert pair.ref.command("FUNCTION", "RESTORE", tess_dump, "FLUSH") == "OK"
    assert pair.same("FUNCTION", "LIST", "WITHCODE", shape=canon_list) == want
    # a library loaded on one side only travels too
    extra = lib("extra", fn("x", "return 'x'"))
    assert pair.tess.command("FUNCTION", "LOAD", extra) == b"extra"
    assert pair.ref.command("FUNCTION", "RESTORE", pair.tess.command("FUNCTION", "DUMP"),
                            "REPLACE") == "OK"
    assert pair.same("FUNCTION", "LIST", "WITHCODE", shape=canon_list)[1][0] == b"extra"
    assert fcall(pair, "x") == b"x"
    assert pair.ref.command("FUNCTION", "DELETE", "extra") == "OK"
    assert pair.tess.command("FUNCTION", "RESTORE", pair.ref.command("FUNCTION", "DUMP"),
                             "FLUSH") == "OK"
    assert pair.same("FUNCTION", "LIST", "WITHCODE", shape=canon_list) == want
    pair.same("SET", "k", "v")
    assert fcall(pair, "ro", "k", numkeys=1, cmd="FCALL_RO") == b"v"
    assert fcall(pair, "big") == b"a" * 300
    # crafted payloads (uncompressed strings) restore the same on both
    assert pair.same("FUNCTION", "RESTORE", payload(LIB3, LIB2), "FLUSH") == "OK"
    assert [n for n, _, _ in pair.same("FUNCTION", "LIST", shape=canon_list)] == \
        [b"lib2", b"lib3"]


def test_restore_policies(pair):
    assert pair.same("FUNCTION", "RESTORE", payload(LIB1)) == "OK"
    assert fcall(pair, "f") == 1
    # APPEND (the default) refuses existing libraries, without the quotes of FUNCTION LOAD
    for policy in ((), ("APPEND",), ("append",)):
        assert pair.same("FUNCTION", "RESTORE", payload(LIB1), *policy) == \
            ("error", "ERR Library lib1 already exists")
    # ... and existing function names
    assert pair.same("FUNCTION", "RESTORE", payload(LIB2)) == \
        ("error", "ERR Function f already exists")
    # an error restores nothing at all
    assert pair.same("FUNCTION", "RESTORE", payload(LIB3, LIB1), "APPEND") == \
        ("error", "ERR Library lib1 already exists")
    assert fcall(pair, "h") == ("error", NOT_FOUND)
    assert pair.same("FUNCTION", "RESTORE", payload(LIB3), "APPEND") == "OK"
    assert fcall(pair, "h") == 3
    # REPLACE swaps libraries of the same name
    assert pair.same("FUNCTION", "RESTORE", payload(LIB1B), "REPLACE") == "OK"
    assert fcall(pair, "f2") == 11
    assert fcall(pair, "f") == ("error", NOT_FOUND)
    assert pair.same("FUNCTION", "RESTORE", payload(LIB2), "replace") == "OK"
    assert fcall(pair, "f") == 2
    # ... but still fails on a function of another library
    clash = lib("lib9", fn("f2", "return 99"))
    for policy in ((), ("APPEND",), ("REPLACE",)):
        assert pair.same("FUNCTION", "RESTORE", payload(clash), *policy) == \
            ("error", "ERR Function f2 already exists"), policy
    lib1_h = lib("lib1", fn("h", "return 1"))
    assert pair.same("FUNCTION", "RESTORE", payload(lib1_h), "REPLACE") == \
        ("error", "ERR Function h already exists")
    # unless that library is replaced by the same payload
    lib3_f2 = lib("lib3", fn("f2", "return 33"))
    assert pair.same("FUNCTION", "RESTORE", payload(lib1_h, lib3_f2), "REPLACE") == "OK"
    assert fcall(pair, "h") == 1
    assert fcall(pair, "f2") == 33
    assert [n for n, _, _ in pair.same("FUNCTION", "LIST", shape=canon_list)] == \
        [b"lib1", b"lib2", b"lib3"]
    # FLUSH drops everything first
    assert pair.same("FUNCTION", "RESTORE", payload(clash), "FLUSH") == "OK"
    assert fcall(pair, "f2") == 99
    assert fcall(pair, "h") == ("error", NOT_FOUND)
    assert [n for n, _, _ in pair.same("FUNCTION", "LIST", shape=canon_list)] == [b"lib9"]
    # duplicates inside one payload (quoted, as FUNCTION LOAD says it); nothing changes
    assert pair.same("FUNCTION", "RESTORE", payload(LIB2, LIB2), "FLUSH") == \
        ("error", "ERR Library 'lib2' already exists")
    assert pair.same("FUNCTION", "RESTORE", payload(LIB1, LIB2), "FLUSH") == \
        ("error", "ERR Function f already exists")
    assert fcall(pair, "f2") == 99
    # an empty payload is fine with every policy
    for policy in ((), ("APPEND",), ("REPLACE",)):
        assert pair.same("FUNCTION", "RESTORE", EMPTY_DUMP, *policy) == "OK"
    assert fcall(pair, "f2") == 99
    assert pair.same("FUNCTION", "RESTORE", EMPTY_DUMP, "FLUSH") == "OK"
    assert pair.same("FUNCTION", "LIST") == []


def test_restore_bad_payloads(pair):
    load(pair, LIB1)
    good = payload(LIB3)
    cases = {
        b"garbage": BAD_PAYLOAD,
        b"": BAD_PAYLOAD,
        b"x" * 10: BAD_PAYLOAD,
        b"\n\x00": BAD_PAYLOAD,
        good[:-1]: BAD_PAYLOAD,
        good[:-1] + bytes([good[-1] ^ 1]): BAD_PAYLOAD,
        good[1:]: BAD_PAYLOAD,
        payload(LIB3, version=11): BAD_PAYLOAD,
        raw_payload(b"", version=11): BAD_PAYLOAD,
        raw_payload(b"\x00" + rdb_string(b"k") + rdb_string(b"v")):
            "ERR given type is not a function",
        raw_payload(b"\xf5"): "ERR Failed loading library payload",
        payload("return 1"): "ERR Missing library metadata",
        payload("#!lua name=x\nreturn 1 +"):
            "ERR Error compiling function: user_function:2: unexpected symbol near '<eof>'",
        payload("#!lua name=x\nreturn 1"): "ERR No functions registered",
        payload("#!foo name=x\nreturn 1"): "ERR Engine 'foo' not found",
        payload(LIB3, "#!lua name=x\nreturn 1"): "ERR No functions registered",
    }
    for data, message in cases.items():
        for policy in ((), ("FLUSH",), ("REPLACE",)):
            assert pair.same("FUNCTION", "RESTORE", data, *policy) == ("error", message), \
                (data, policy)
    # nothing changed
    assert [n for n, _, _ in pair.same("FUNCTION", "LIST", shape=canon_list)] == [b"lib1"]
    assert fcall(pair, "h") == ("error", NOT_FOUND)
    # older RDB versions are accepted
    assert pair.same("FUNCTION", "RESTORE", payload(LIB3, version=9)) == "OK"
    assert fcall(pair, "h") == 3
    # the policy is checked before the payload
    for bad in ("BAD", "", "flushall"):
        assert pair.same("FUNCTION", "RESTORE", "garbage", bad) == \
            ("error", "ERR Wrong restore policy given, value should be either FLUSH, APPEND or "
                      "REPLACE.")
    assert pair.same("FUNCTION", "RESTORE", "garbage", "FLUSH", "x") == \
        ("error", "ERR unknown subcommand or wrong number of arguments for 'RESTORE'. Try "
                  "FUNCTION HELP.")
    assert pair.same("function", "restore", "garbage", "bad", "x") == \
        ("error", "ERR unknown subcommand or wrong number of arguments for 'restore'. Try "
                  "FUNCTION HELP.")
    assert pair.same("FUNCTION", "RESTORE") == \
        ("error", "ERR wrong number of arguments for 'function|restore' command")


# ------------------------------------------------------------------ STATS, KILL, HELP, arity


def test_function_stats_idle(pair):
    assert pair.same_bytes("FUNCTION", "STATS") == (
        b"*4\r\n$14\r\nrunning_script\r\n$-1\r\n$7\r\nengines\r\n*2\r\n$3\r\nLUA\r\n*4\r\n"
        b"$15\r\nlibraries_count\r\n:0\r\n$15\r\nfunctions_count\r\n:0\r\n")
    load(pair, lib("s1", fn("a", "return 1"), fn("b", "return 1")))
    load(pair, lib("s2", fn("c", "return 1")))
    assert pair.same("FUNCTION", "STATS") == \
        [b"running_script", None, b"engines",
         [b"LUA", [b"libraries_count", 2, b"functions_count", 3]]]
    pair.hello3()
    assert pair.same_bytes("FUNCTION", "STATS") == (
        b"%2\r\n$14\r\nrunning_script\r\n_\r\n$7\r\nengines\r\n%1\r\n$3\r\nLUA\r\n%2\r\n"
        b"$15\r\nlibraries_count\r\n:2\r\n$15\r\nfunctions_count\r\n:3\r\n")
    assert pair.same("FUNCTION", "DELETE", "s1") == "OK"
    assert pair.same("FUNCTION", "STATS") == \
        {b"running_script": None,
         b"engines": {b"LUA": {b"libraries_count": 1, b"functions_count": 1}}}


def test_function_kill_idle_and_subcommand_errors(pair):
    assert pair.same("FUNCTION", "KILL") == ("error", NOTBUSY)
    assert pair.same("SCRIPT", "KILL") == ("error", NOTBUSY)
    assert pair.same("FUNCTION") == ("error", "ERR wrong number of arguments for 'function' "
                                              "command")
    assert pair.same("FUNCTION", "nosuch") == \
        ("error", "ERR unknown subcommand 'nosuch'. Try FUNCTION HELP.")
    assert pair.same("FUNCTION", "NOSUCH", "x") == \
        ("error", "ERR unknown subcommand 'NOSUCH'. Try FUNCTION HELP.")
    for sub, args in (("stats", ("x",)), ("kill", ("x",)), ("dump", ("x",)), ("help", ("x",)),
                      ("load", ()), ("delete", ()), ("restore", ())):
        assert pair.same("FUNCTION", sub.upper(), *args) == \
            ("error", f"ERR wrong number of arguments for 'function|{sub}' command"), sub
    # a lone REPLACE is taken as the code
    assert pair.same("FUNCTION", "LOAD", "REPLACE") == ("error", "ERR Missing library metadata")
    help_lines = pair.same("FUNCTION", "HELP")
    assert help_lines[0] == "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    assert "LOAD [REPLACE] <FUNCTION CODE>" in help_lines
    assert "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]" in help_lines
    assert help_lines[-2:] == ["HELP", "    Prints this help."]
    pair.same_bytes("FUNCTION", "help")


# ------------------------------------------------------------------ busy functions


BUSY_LIB = lib(
    "busy",
    fn("spin", "while true do end"),                                                    # 2
    "redis.register_function{function_name='spinro', callback=function(keys, args) "
    "redis.call('get', keys[1]) while true do end end, flags={'no-writes'}}",            # 3
    fn("spinread", "local t = 0 while true do t = t + redis.call('strlen', keys[1]) end"),  # 4
    fn("spinwrite", "redis.call('set', 'x', '1') while true do end"),                   # 5
    fn("quick", "return redis.call('get', keys[1])"))


def wait_for_busy(c, expected, timeout=15):
    """Sends PINGs on connection c until one is answered with the BUSY error."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        reply = c.command("PING")
        if isinstance(reply, ErrorReply):
            assert reply.message == expected
            return
        assert reply == "PONG"
        time.sleep(0.02)
    raise AssertionError("no BUSY reply while the function was running")


def stop_running(admin, runner, kill=("FUNCTION", "KILL")):
    """Cleanup after a failed busy test: FUNCTION KILL (or SCRIPT KILL) on a connection made
    before the function started, until it returns; then join the thread."""
    deadline = time.time() + 10
    while runner.thread.is_alive() and time.time() < deadline:
        try:
            admin.command(*kill)
        except (OSError, Closed):
            break
        runner.join(0.2)
    runner.join(15)
    runner.close()


def is_busy(reply, expected=BUSY_FUNCTION):
    return isinstance(reply, ErrorReply) and reply.message == expected


@pytest.mark.parametrize("cmd,name,line", [
    ("FCALL", "spin", 2),
    ("FCALL_RO", "spinro", 3),
    ("FCALL", "spinread", 4),
])
def test_busy_function_killed(server, cmd, name, line):
    host, port = server.host, server.port
    # connected before the function starts (also used for the cleanup if the test fails)
    admin, other = server.raw(timeout=15), server.raw(timeout=15)
    resp3 = server.raw(timeout=15)
    assert isinstance(resp3.command("HELLO", "3"), dict)
    assert admin.command("SET", "k", "v") == "OK"
    assert admin.command("FUNCTION", "LOAD", BUSY_LIB) == b"busy"
    assert admin.command("CONFIG", "SET", "busy-reply-threshold", "200") == "OK"
    runner = CallThread(host, port, cmd, name, "1", "k", "a1")
    try:
        wait_for_busy(other, BUSY_FUNCTION)
        # everything else is refused while the function runs
        for args in (("GET", "k"), ("SET", "k", "x"), ("FCALL", "quick", "1", "k"),
                     ("FCALL_RO", "spinro", "1", "k"), ("EVAL", "return 1", "0"),
                     ("FUNCTION", "LIST"), ("FUNCTION", "DUMP"), ("FUNCTION", "FLUSH"),
                     ("FUNCTION", "DELETE", "busy"), ("FUNCTION", "LOAD", BUSY_LIB),
                     ("FUNCTION", "RESTORE", EMPTY_DUMP), ("SCRIPT", "LOAD", "return 1"),
                     ("CONFIG", "GET", "maxmemory"), ("CLIENT", "LIST")):
            reply = other.command(*args)
            assert is_busy(reply), (args, reply)
        # SCRIPT KILL does not kill functions
        reply = other.command("SCRIPT", "KILL")
        assert is_busy(reply), reply
        # a client that connects while the function runs is answered as well
        with server.raw(timeout=10) as late:
            assert is_busy(late.command("GET", "k"))
            # FUNCTION STATS shows the running function
            stats = late.command("FUNCTION", "STATS")
        assert isinstance(stats, list) and len(stats) == 4, stats
        assert stats[0] == b"running_script" and stats[2] == b"engines"
        assert stats[3] == [b"LUA", [b"libraries_count", 1, b"functions_count", 5]]
        running = stats[1]
        assert isinstance(running, list) and len(running) == 6, running
        assert running[0::2] == [b"name", b"command", b"duration_ms"]
        assert running[1] == name.encode()
        assert running[3] == [cmd.encode(), name.encode(), b"1", b"k", b"a1"]
        assert isinstance(running[5], int) and running[5] >= 200, running
        stats3 = resp3.command("FUNCTION", "STATS")
        assert isinstance(stats3, dict), stats3
        assert set(stats3) == {b"running_script", b"engines"}
        assert stats3[b"engines"] == {b"LUA": {b"libraries_count": 1, b"functions_count": 5}}
        run3 = stats3[b"running_script"]
        assert isinstance(run3, dict) and list(run3) == [b"name", b"command", b"duration_ms"]
        assert run3[b"name"] == name.encode()
        assert run3[b"command"] == [cmd.encode(), name.encode(), b"1", b"k", b"a1"]
        assert run3[b"duration_ms"] >= running[5]
        assert other.command("FUNCTION", "KILL") == "OK"
        assert runner.join(15), "the killed function did not return"
        result = runner.result
        assert isinstance(result, ErrorReply), result
        assert result.message == runtime_error(KILLED, name, line), result.message
        # the server works again, for everyone
        assert other.command("PING") == "PONG"
        reply = other.command("FUNCTION", "KILL")
        assert isinstance(reply, ErrorReply) and reply.message == NOTBUSY
        reply = other.command("SCRIPT", "KILL")
        assert isinstance(reply, ErrorReply) and reply.message == NOTBUSY
        assert other.command("FUNCTION", "STATS")[1] is None
        assert other.command("GET", "k") == b"v"
        assert other.command("FCALL", "quick", "1", "k") == b"v"
        assert runner.conn.command("PING") == "PONG"
        assert runner.conn.command("FCALL", "quick", "1", "k") == b"v"
        with server.raw() as fresh:
            assert fresh.command("GET", "x") is None
    finally:
        stop_running(admin, runner)
        admin.close()
        other.close()
        resp3.close()


def test_busy_eval_versus_function_commands(server):
    """While an EVAL script is busy, FUNCTION KILL and FUNCTION STATS get the SCRIPT KILL
    flavour of BUSY; SCRIPT KILL stops it."""
    host, port = server.host, server.port
    admin, other = server.raw(timeout=15), server.raw(timeout=15)
    assert admin.command("CONFIG", "SET", "busy-reply-threshold", "200") == "OK"
    runner = CallThread(host, port, "EVAL", "while true do end", "0")
    try:
        wait_for_busy(other, BUSY_SCRIPT)
        for args in (("FUNCTION", "KILL"), ("FUNCTION", "STATS"), ("FCALL", "x", "0"),
                     ("FUNCTION", "LIST")):
            reply = other.command(*args)
            assert is_busy(reply, BUSY_SCRIPT), (args, reply)
        assert other.command("SCRIPT", "KILL") == "OK"
        assert runner.join(15)
        assert isinstance(runner.result, ErrorReply)
        assert runner.result.message.startswith(KILLED + " script: ")
        assert other.command("FUNCTION", "STATS")[1] is None
    finally:
        stop_running(admin, runner, kill=("SCRIPT", "KILL"))
        admin.close()
        other.close()


def test_busy_function_unkillable_and_shutdown_nosave(start_server):
    srv = start_server()
    host, port = srv.host, srv.port
    other = srv.raw(timeout=15)
    assert other.command("FUNCTION", "LOAD", BUSY_LIB) == b"busy"
    assert other.command("CONFIG", "SET", "busy-reply-threshold", "200") == "OK"
    runner = CallThread(host, port, "FCALL", "spinwrite", "0")
    try:
        wait_for_busy(other, BUSY_FUNCTION)
        for kill in (("FUNCTION", "KILL"), ("SCRIPT", "KILL")):
            reply = other.command(*kill)
            assert isinstance(reply, ErrorReply) and reply.message == UNKILLABLE, (kill, reply)
        stats = other.command("FUNCTION", "STATS")
        assert stats[1][1] == b"spinwrite"
        # still busy; SHUTDOWN without NOSAVE is refused
        assert is_busy(other.command("GET", "x"))
        assert is_busy(other.command("SHUTDOWN"))
        assert srv.alive()
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
