"""Keyspace notifications (notify-keyspace-events), differential against a reference
redis-server 7.0.

Each test sets notify-keyspace-events to the same value on Tessera and on the reference server,
subscribes a separate connection on each to __key*__:* (and to a plain marker channel), runs
the same commands on both and compares the notifications: channels, payloads and order.

After every command the command connection PUBLISHes a numbered message on the marker channel.
Pub/sub messages reach a subscriber in the order the server produced them, so the marker ends
the notifications of one command: each command's events are recorded separately, which makes a
mismatch point at the command that caused it. Every read uses a timeout; a missing message is
recorded as a timeout (and fails the comparison) instead of hanging.

Nothing here blocks (blocking pops are only called on non-empty keys or with tiny timeouts on
missing keys) and nothing depends on time except the expiry tests, which wait for the event
with a generous deadline and compare only what is deterministic.
"""
import time

import pytest
import redis

from helpers import command_error

PATTERN = "__key*__:*"
MARK = "tessera-notify-mark"
READ_TIMEOUT = 10  # seconds to wait for one message before recording a timeout


# --------------------------------------------------------------------------------------------
# Command sequences, one per family. They run in order on a fresh server; every command's
# reply is recorded too (shown on a mismatch) but only the notifications are compared.

STRINGS = [
    "SET s1 v1",
    "SET s1 v2 EX 100",
    "SET s1 v3",
    "SET s1 v4 PX 100000",
    "SET s1 v5 KEEPTTL",
    "SET s1 v6 NX",
    "SET s1 v7 XX",
    "SET nosuch v XX",
    "SET s1 v8 GET",
    "SET s2 v GET",
    "SET s2 w NX GET",
    "SET s2 w XX GET EX 100",
    "SET s3 v EXAT 4102444800",
    "SET s3 v PXAT 4102444800000",
    "SETNX s1 x",
    "SETNX s4 x",
    "SETEX s5 100 v",
    "PSETEX s6 100000 v",
    "SETEX s5 0 v",
    "GETSET s1 g",
    "GETSET s7 g",
    "MSET m1 a m2 b m1 c",
    "MSETNX m1 a m3 c",
    "MSETNX m3 c m4 d",
    "APPEND s1 xyz",
    "APPEND s8 abc",
    "APPEND s8 ''",
    "INCR n",
    "INCR n",
    "DECR n",
    "INCRBY n 5",
    "INCRBY n 0",
    "DECRBY n 3",
    "DECRBY n2 3",
    "INCR s1",
    "INCRBY n 9223372036854775807",
    "INCRBYFLOAT f 1.5",
    "INCRBYFLOAT f 0",
    "INCRBYFLOAT f 2",
    "INCRBYFLOAT s1 1",
    "INCRBYFLOAT n 0.5",
    "SETRANGE sr 5 abc",
    "SETRANGE sr 0 ''",
    "SETRANGE nosr 0 ''",
    "SETRANGE sr 0 Z",
    "SETRANGE sr 0 Z",
    "GETRANGE sr 0 -1",
    "GETDEL s1",
    "GETDEL s1",
    "GETEX s2",
    "GETEX s2 EX 100",
    "GETEX s2 PERSIST",
    "GETEX s2 PERSIST",
    "GETEX s2 PX 100000",
    "GETEX s2 EXAT 4102444800",
    "GETEX s2 PXAT 1",
    "GETEX s2 EX 10",
    "GETEX s3 EXAT 1",
    "RPUSH wrong x",
    "GET wrong",
    "SET wrong v GET",
    "APPEND wrong x",
    "SETRANGE wrong 0 x",
    "GETDEL wrong",
    "SET wrong v",
    "GETSET wrong w",
    "STRLEN s4",
    "MGET s4 s5 s6",
]

KEYS = [
    "SET a 1",
    "SET b 2",
    "DEL a b nosuch",
    "DEL a",
    "SET a 1",
    "SET b 1",
    "UNLINK a b",
    "UNLINK a",
    "SET a 1",
    "SET b 2",
    "RENAME a b",
    "RENAME b b",
    "RENAME nosuch c",
    "RENAMENX b c",
    "SET d 1",
    "RENAMENX c d",
    "RENAMENX c c",
    "EXPIRE c 100",
    "PEXPIRE c 100000",
    "EXPIREAT c 4102444800",
    "PEXPIREAT c 4102444800000",
    "EXPIRE c 100 NX",
    "EXPIRE d 100 NX",
    "EXPIRE c 200 XX",
    "EXPIRE e 200 XX",
    "EXPIRE c 50 GT",
    "EXPIRE c 500 GT",
    "EXPIRE c 5000 LT",
    "EXPIRE c 50 LT",
    "EXPIRE c 50 NX XX",
    "EXPIRE c abc",
    "EXPIRE nosuch 10",
    "TTL c",
    "PERSIST c",
    "PERSIST c",
    "PERSIST nosuch",
    "EXPIRE c 0",
    "SET c 1",
    "EXPIRE c -1",
    "SET c 1",
    "PEXPIRE c -100",
    "SET c 1",
    "PEXPIREAT c 1",
    "SET c 1",
    "EXPIREAT c 1",
    "SET c 1",
    "EXPIRE c 0 XX",
    "EXPIRE d 0 GT",
    "SET mv 1 EX 1000",
    "MOVE mv 1",
    "MOVE mv 1",
    "SET mv 2",
    "MOVE mv 1",
    "MOVE nosuch 1",
    "MOVE mv 0",
    "COPY mv cp",
    "COPY mv cp",
    "COPY mv cp REPLACE",
    "COPY mv cp DB 1",
    "COPY mv cp DB 1 REPLACE",
    "COPY mv mv",
    "COPY mv mv DB 1",
    "COPY mv mv DB 1 REPLACE",
    "SADD cs x y",
    "COPY cs cs2",
    "HSET ch f v",
    "COPY ch ch2",
    "RENAME ch cs",
    "TOUCH mv cp",
    "EXISTS mv cp",
    "TYPE mv",
    "DEL mv cp cs2 cs d",
]

LISTS = [
    "LPUSH l a b c",
    "RPUSH l d e",
    "LPUSHX l f",
    "LPUSHX nol f",
    "RPUSHX l g",
    "RPUSHX nol g",
    "LINSERT l BEFORE a z",
    "LINSERT l AFTER nosuchpivot z",
    "LINSERT nol AFTER a z",
    "LSET l 0 q",
    "LSET l 100 q",
    "LSET nol 0 q",
    "LREM l 1 q",
    "LREM l 0 nosuch",
    "LREM nol 0 a",
    "LTRIM l 0 100",
    "LTRIM l 1 -1",
    "LTRIM nol 0 1",
    "LPOP l",
    "RPOP l",
    "LPOP l 2",
    "RPOP l 0",
    "LPOP nol",
    "LPOP nol 2",
    "LMOVE l l2 LEFT RIGHT",
    "RPOPLPUSH l l2",
    "LMOVE l2 l2 LEFT LEFT",
    "LMOVE l2 l2 RIGHT LEFT",
    "LMOVE nol l2 LEFT LEFT",
    "LRANGE l 0 -1",
    "LRANGE l2 0 -1",
    "LMOVE l l3 RIGHT LEFT",
    "RPOPLPUSH l2 l3",
    "LMPOP 2 nol l3 LEFT COUNT 1",
    "LMPOP 2 nol l3 RIGHT COUNT 10",
    "LMPOP 1 nol LEFT",
    "RPUSH one x",
    "LMOVE one one LEFT RIGHT",
    "LMOVE one other LEFT RIGHT",
    "RPUSH one x y",
    "BLPOP one 0",
    "BRPOP one 0",
    "RPUSH one a b c",
    "BLMOVE one other RIGHT LEFT 0",
    "BRPOPLPUSH one other 0",
    "BLMPOP 0 2 nol one LEFT COUNT 5",
    "LTRIM other 1 0",
    "RPUSH t a b a c a",
    "LREM t -2 a",
    "LREM t 0 a",
    "LREM t 0 b",
    "LREM t 0 c",
    "RPUSH t a",
    "LPOP t 5",
    "SET wrong v",
    "LPUSH wrong x",
    "LMOVE wrong l LEFT LEFT",
    "RPUSH src x",
    "LMOVE src wrong LEFT LEFT",
    "LLEN src",
]

HASHES = [
    "HSET h f v f2 v2",
    "HSET h f v",
    "HSET h f w f3 v3",
    "HSETNX h f x",
    "HSETNX h f4 x",
    "HSETNX h2 f x",
    "HMSET h a 1 b 2",
    "HINCRBY h n 5",
    "HINCRBY h n 0",
    "HINCRBY h f 1",
    "HINCRBY h3 n 1",
    "HINCRBYFLOAT h fl 1.5",
    "HINCRBYFLOAT h fl 0",
    "HINCRBYFLOAT h f 1",
    "HINCRBYFLOAT h4 fl 2.5",
    "HDEL h nosuch",
    "HDEL nosuch f",
    "HDEL h f",
    "HDEL h f2 f3 f4 a b n fl nosuch",
    "HDEL h2 f",
    "HDEL h3 n nosuch",
    "HGET h4 fl",
    "HGETALL h4",
    "SET wrong v",
    "HSET wrong f v",
    "HDEL wrong f",
    "HINCRBY wrong f 1",
]

SETS = [
    "SADD s a b c",
    "SADD s a",
    "SADD s a d",
    "SREM s nosuch",
    "SREM nosuch a",
    "SREM s a",
    "SMOVE s s2 b",
    "SMOVE s s2 nosuch",
    "SMOVE s s2 c",
    "SMOVE s2 s2 b",
    "SMOVE s2 s2 zz",
    "SMOVE nosuch s2 x",
    "SADD s3 b",
    "SMOVE s2 s3 b",
    "SMOVE s s3 d",
    "SADD t 1 2 3",
    "SADD u 2 3 4",
    "SINTERSTORE d t u",
    "SINTERSTORE d t u",
    "SUNIONSTORE d t u",
    "SDIFFSTORE d t u",
    "SDIFFSTORE d t t",
    "SDIFFSTORE d t t",
    "SINTERSTORE d t nosuch",
    "SUNIONSTORE d nosuch nosuch2",
    "SUNIONSTORE d t",
    "SINTERSTORE d d t",
    "SUNIONSTORE t t",
    "SDIFFSTORE d nosuch t",
    "SINTER t u",
    "SUNION t u",
    "SADD one x",
    "SPOP one",
    "SPOP one",
    "SADD one x y",
    "SPOP one 0",
    "SPOP one 10",
    "SPOP nosuch 3",
    "SPOP nosuch",
    "SADD many a b c d e",
    "SPOP many 2",
    "SPOP many",
    "SREM many a b c d e",
    "SADD ints 1 2 3",
    "SREM ints 1 2 3 4",
    "SET wrong v",
    "SADD wrong x",
    "SREM wrong x",
    "SMOVE wrong s3 x",
    "SMOVE s3 wrong b",
    "SINTERSTORE wrong u",
    "SINTERSTORE d wrong",
    "SCARD s3",
]

ZSETS = [
    "ZADD z 1 a 2 b 3 c",
    "ZADD z 1 a",
    "ZADD z XX 5 nosuch",
    "ZADD nosuch XX 5 a",
    "ZADD nosuch XX INCR 5 a",
    "ZADD z NX 1 a",
    "ZADD z NX 9 d",
    "ZADD z GT 0 a",
    "ZADD z LT 0 a",
    "ZADD z CH 10 a",
    "ZADD z INCR 1 a",
    "ZADD z INCR 0 a",
    "ZADD z NX INCR 1 a",
    "ZADD z XX INCR 1 zz",
    "ZADD z GT CH 1 b 5 c",
    "ZINCRBY z 0 a",
    "ZINCRBY z 1 b",
    "ZINCRBY z2 1 a",
    "ZADD zi +inf a",
    "ZADD zi INCR -inf a",
    "ZINCRBY zi -inf a",
    "ZADD z nan a",
    "ZREM z nosuch",
    "ZREM nosuch a",
    "ZREM z a",
    "ZREMRANGEBYRANK z 0 0",
    "ZREMRANGEBYRANK z 100 200",
    "ZREMRANGEBYSCORE z 1000 2000",
    "ZREMRANGEBYSCORE z -inf +inf",
    "ZADD z 0 a 0 b 0 c 0 d",
    "ZREMRANGEBYLEX z [a [b",
    "ZREMRANGEBYLEX z [x [y",
    "ZREMRANGEBYLEX nosuch - +",
    "ZADD y 1 c 2 d 3 e",
    "ZUNIONSTORE dst 2 z y",
    "ZUNIONSTORE dst 2 z y",
    "ZINTERSTORE dst 2 z y",
    "ZDIFFSTORE dst 2 z y",
    "ZINTERSTORE dst 2 z nosuch",
    "ZINTERSTORE dst 2 z nosuch",
    "ZUNIONSTORE dst 1 nosuch",
    "ZDIFFSTORE dst 2 y y",
    "ZUNIONSTORE z 2 z y",
    "ZRANGESTORE dst z 0 -1",
    "ZRANGESTORE dst z 0 -1",
    "ZRANGESTORE dst z 10 20",
    "ZRANGESTORE dst nosuch 0 -1",
    "ZRANGESTORE dst2 z 1 (5 BYSCORE",
    "ZPOPMIN z",
    "ZPOPMAX z 2",
    "ZPOPMIN z 0",
    "ZPOPMIN nosuch",
    "ZPOPMAX z 10",
    "ZADD z 1 a 2 b 3 c",
    "ZMPOP 2 nosuch z MIN COUNT 2",
    "ZMPOP 2 nosuch z MAX COUNT 2",
    "ZMPOP 1 nosuch MIN",
    "ZADD z 1 a 2 b",
    "BZPOPMIN z 0",
    "BZPOPMAX z 0",
    "ZADD z 1 a 2 b",
    "BZMPOP 0 1 z MAX COUNT 5",
    "SADD plain x y",
    "ZUNIONSTORE dst 2 plain y",
    "SET wrong v",
    "ZADD wrong 1 a",
    "ZINCRBY wrong 1 a",
    "ZREM wrong a",
    "ZUNIONSTORE wrong 1 y",
    "ZRANGESTORE wrong y 0 -1",
    "ZCARD y",
]

STREAMS = [
    "XADD x 1-1 f v",
    "XADD x 2-1 f v",
    "XADD x 1-0 f v",
    "XADD x 0-0 f v",
    "XADD x MAXLEN 1 3-1 f v",
    "XADD x MAXLEN 5 4-1 f v",
    "XADD x MAXLEN = 0 5-1 f v",
    "XADD x MINID 0 6-1 f v",
    "XADD x MINID 6 7-1 f v",
    "XADD nox NOMKSTREAM 1-1 f v",
    "XADD x NOMKSTREAM 8-1 f v",
    "XADD x 9-* f v",
    "XADD x 9 f v",
    "XLEN x",
    "XTRIM x MAXLEN 100",
    "XTRIM x MAXLEN 2",
    "XTRIM x MINID 9-1",
    "XTRIM nosuch MAXLEN 0",
    "XDEL x 8-1",
    "XDEL x 99-9",
    "XDEL nosuch 1-1",
    "XDEL x 9-0 9-1 99-9",
    "XADD x 10-1 f v",
    "XADD x 11-1 f v",
    "XADD x 12-1 f v",
    "XGROUP CREATE x g 0",
    "XGROUP CREATE x g 0",
    "XGROUP CREATE nox g 0",
    "XGROUP CREATE ms g $ MKSTREAM",
    "XGROUP CREATE ms g2 0 MKSTREAM",
    "XGROUP CREATE ms2 g 0-0 MKSTREAM ENTRIESREAD 0",
    "XGROUP CREATECONSUMER x g c1",
    "XGROUP CREATECONSUMER x g c1",
    "XGROUP CREATECONSUMER x nog c1",
    "XGROUP SETID x g 0",
    "XGROUP SETID x g $ ENTRIESREAD 3",
    "XGROUP SETID x nog 0",
    "XGROUP SETID x g 0",
    "XGROUP DELCONSUMER x g c1",
    "XGROUP DELCONSUMER x g c1",
    "XREADGROUP GROUP g c2 COUNT 1 STREAMS x >",
    "XREADGROUP GROUP g c2 COUNT 10 STREAMS x >",
    "XREADGROUP GROUP g c2 COUNT 10 STREAMS x >",
    "XREADGROUP GROUP g c2 STREAMS x 0",
    "XREADGROUP GROUP g c9 STREAMS x 0",
    "XREADGROUP GROUP g c9 NOACK STREAMS ms >",
    "XREADGROUP GROUP g2 c9 STREAMS ms >",
    "XREAD COUNT 1 STREAMS x 0",
    "XCLAIM x g c3 0 10-1",
    "XCLAIM x g c3 0 10-1 JUSTID",
    "XCLAIM x g c4 0 99-0",
    "XCLAIM x g c5 0 11-1 FORCE",
    "XCLAIM x nog c3 0 10-1",
    "XAUTOCLAIM x g c6 0 0",
    "XAUTOCLAIM x g c7 0 0 COUNT 1 JUSTID",
    "XAUTOCLAIM x g c7 3600000 0",
    "XDEL x 12-1",
    "XAUTOCLAIM x g c8 0 0",
    "XAUTOCLAIM x g c10 3600000 0",
    "XCLAIM x g c11 3600000 10-1",
    "XREADGROUP GROUP g c12 COUNT 1 STREAMS x >",
    "XADD x 13-1 f v",
    "XREADGROUP GROUP g c12 COUNT 1 STREAMS x >",
    "XDEL x 13-1",
    "XCLAIM x g c13 0 13-1",
    "XAUTOCLAIM x g c14 0 13-1",
    "XPENDING x g",
    "XACK x g 10-1",
    "XACK x g 10-1 11-1 99-0",
    "XACK x nog 10-1",
    "XACK nosuch g 10-1",
    "XSETID x 100-0",
    "XSETID x 100-0",
    "XSETID x 1-0",
    "XSETID x 200-0 ENTRIESADDED 100 MAXDELETEDID 5-0",
    "XSETID nosuch 1-0",
    "XGROUP DESTROY x g",
    "XGROUP DESTROY x g",
    "XGROUP DESTROY nosuch g",
    "XTRIM x MAXLEN 0",
    "XLEN x",
    "DEL x",
    "SET wrong v",
    "XADD wrong 1-1 f v",
    "XGROUP CREATE wrong g 0 MKSTREAM",
    "XTRIM wrong MAXLEN 0",
]

BITMAPS = [
    "SETBIT b 7 1",
    "SETBIT b 7 1",
    "SETBIT b 7 0",
    "SETBIT b 100 0",
    "SETBIT b 100 0",
    "SETBIT b2 3 0",
    "GETBIT b 7",
    "BITCOUNT b",
    "SET b3 abc",
    "BITOP AND dest b b3",
    "BITOP OR dest b b3",
    "BITOP XOR dest b nosuch",
    "BITOP NOT dest b3",
    "BITOP AND dest nosuch nosuch2",
    "BITOP AND dest nosuch nosuch2",
    "BITOP OR b3 b3 b",
    "BITOP AND dest2 nosuch",
    "BITFIELD bf SET u8 0 255",
    "BITFIELD bf SET u8 0 255",
    "BITFIELD bf GET u8 0",
    "BITFIELD bf INCRBY u8 0 1",
    "BITFIELD bf OVERFLOW FAIL INCRBY u8 0 255",
    "BITFIELD bf OVERFLOW SAT INCRBY u8 0 255",
    "BITFIELD bf INCRBY u8 0 0",
    "BITFIELD bf2 GET u8 0",
    "BITFIELD bf3 SET u8 0 0",
    "BITFIELD bf4 OVERFLOW FAIL INCRBY u8 0 300",
    "BITFIELD bf SET i8 8 -1 GET u4 0 INCRBY i8 8 1",
    "BITFIELD_RO bf GET u8 0",
    "RPUSH wrong x",
    "SETBIT wrong 0 1",
    "BITOP AND wrong b",
    "BITOP AND dest wrong",
    "BITFIELD wrong SET u8 0 1",
    "STRLEN dest",
]

HYPERLOGLOG = [
    "PFADD h a b c",
    "PFADD h a",
    "PFADD h d",
    "PFADD h2",
    "PFADD h2",
    "PFADD h3 x",
    "PFCOUNT h",
    "PFCOUNT h",
    "PFCOUNT h h2 h3",
    "PFCOUNT nosuch",
    "PFMERGE dst h h2",
    "PFMERGE dst h3",
    "PFMERGE dst2 nosuch",
    "PFMERGE dst3",
    "PFMERGE h",
    "SET wrong v",
    "PFADD wrong a",
    "PFMERGE wrong h",
    "PFMERGE dst wrong",
    "PFCOUNT dst",
]

GEO = [
    "GEOADD g 13.361389 38.115556 Palermo 15.087269 37.502669 Catania",
    "GEOADD g 13.361389 38.115556 Palermo",
    "GEOADD g NX 13.361389 38.115556 Palermo",
    "GEOADD g XX 13.5 38.1 Palermo",
    "GEOADD g XX CH 13.6 38.1 Palermo 1 1 Nowhere",
    "GEOADD g2 XX 1 1 a",
    "GEOADD g3 1 1 a",
    "GEOADD g 500 500 bad",
    "GEOSEARCHSTORE dst g FROMLONLAT 15 37 BYRADIUS 200 km",
    "GEOSEARCHSTORE dst g FROMLONLAT 15 37 BYRADIUS 200 km STOREDIST",
    "GEOSEARCHSTORE dst g FROMLONLAT 15 37 BYRADIUS 1 m",
    "GEOSEARCHSTORE dst g FROMLONLAT 15 37 BYRADIUS 1 m",
    "GEOSEARCHSTORE dst nosuch FROMLONLAT 15 37 BYRADIUS 1 m",
    "GEOSEARCHSTORE dst2 g FROMMEMBER Catania BYBOX 400 400 km ASC COUNT 1",
    "GEOSEARCHSTORE dst2 nosuch FROMLONLAT 15 37 BYRADIUS 1 m",
    "GEORADIUS g 15 37 200 km STORE rstore",
    "GEORADIUS g 15 37 200 km STOREDIST rstore",
    "GEORADIUS g 15 37 1 m STORE rstore",
    "GEORADIUSBYMEMBER g Palermo 500 km STORE rstore2",
    "GEORADIUSBYMEMBER g Palermo 500 km STOREDIST rstore2",
    "GEORADIUS g 15 37 200 km",
    "GEOSEARCH g FROMLONLAT 15 37 BYRADIUS 200 km",
    "GEOPOS g Palermo nosuch",
    "GEODIST g Palermo Catania",
    "ZREM g Palermo Catania",
    "SET wrong v",
    "GEOADD wrong 1 1 a",
    "GEOSEARCHSTORE wrong g3 FROMLONLAT 1 1 BYRADIUS 10 km",
    "GEOSEARCHSTORE dst wrong FROMLONLAT 1 1 BYRADIUS 10 km",
]

SORT = [
    "RPUSH l 3 1 2",
    "SORT l STORE dst",
    "SORT l STORE dst",
    "SORT l LIMIT 0 1 STORE dst",
    "SORT l LIMIT 5 1 STORE dst",
    "SORT l LIMIT 5 1 STORE dst",
    "SORT nosuch STORE dst2",
    "RPUSH dst2 x",
    "SORT nosuch STORE dst2",
    "SADD s c a b",
    "SORT s ALPHA STORE dst",
    "ZADD z 1 x 2 y",
    "SORT z BY nosort STORE dst",
    "SET w_1 10",
    "SET w_2 5",
    "SORT l BY w_* GET # GET w_* STORE dst",
    "SORT l BY w_*",
    "SORT_RO l",
    "SORT l STORE l",
    "SET wrong v",
    "SORT wrong STORE dst",
    "SORT l STORE wrong",
    "LRANGE dst 0 -1",
]

FAMILIES = {
    "strings": STRINGS,
    "keys": KEYS,
    "lists": LISTS,
    "hashes": HASHES,
    "sets": SETS,
    "zsets": ZSETS,
    "streams": STREAMS,
    "bitmaps": BITMAPS,
    "hyperloglog": HYPERLOGLOG,
    "geo": GEO,
    "sort": SORT,
}

ALL_COMMANDS = [cmd for family in FAMILIES.values() for cmd in family]

# Commands on missing keys: those that look the key up for reading report a keymiss, write
# commands (and OBJECT) do not.
KEYMISS = [
    "GET k", "MGET k1 k2", "STRLEN k", "GETRANGE k 0 1", "GETDEL k", "GETEX k", "GETEX k EX 5",
    "EXISTS k1 k2", "TYPE k", "TTL k", "PTTL k", "EXPIRETIME k", "TOUCH k1 k2",
    "OBJECT ENCODING k", "OBJECT REFCOUNT k", "OBJECT IDLETIME k", "LCS k1 k2",
    "COPY k k2",
    "HGET k f", "HMGET k f g", "HGETALL k", "HLEN k", "HEXISTS k f", "HSTRLEN k f",
    "HRANDFIELD k", "HKEYS k", "HVALS k",
    "LLEN k", "LRANGE k 0 -1", "LINDEX k 0", "LPOS k a",
    "SMEMBERS k", "SISMEMBER k a", "SMISMEMBER k a b", "SCARD k", "SRANDMEMBER k",
    "SINTER k1 k2", "SUNION k1 k2", "SDIFF k1 k2", "SINTERCARD 2 k1 k2",
    "SINTERSTORE d k1 k2", "SUNIONSTORE d k1 k2", "SDIFFSTORE d k1 k2",
    "ZCARD k", "ZSCORE k a", "ZMSCORE k a", "ZRANK k a", "ZRANGE k 0 -1", "ZCOUNT k 0 1",
    "ZRANGEBYSCORE k 0 1", "ZLEXCOUNT k - +", "ZRANDMEMBER k",
    "ZUNION 2 k1 k2", "ZINTERCARD 2 k1 k2",
    "ZUNIONSTORE d 2 k1 k2", "ZINTERSTORE d 2 k1 k2", "ZDIFFSTORE d 2 k1 k2",
    "ZRANGESTORE d k 0 -1",
    "XLEN k", "XRANGE k - +", "XREVRANGE k + -", "XREAD STREAMS k1 k2 0 0",
    "XACK k g 1-1", "XPENDING k g", "XINFO STREAM k", "XCLAIM k g c 0 1-1",
    "XAUTOCLAIM k g c 0 0", "XREADGROUP GROUP g c STREAMS k >", "XGROUP CREATE k g 0",
    "HRANDFIELD k 2", "SRANDMEMBER k 2", "ZRANDMEMBER k 2", "SSCAN k 0", "HSCAN k 0",
    "ZSCAN k 0",
    "GETBIT k 0", "BITCOUNT k", "BITPOS k 1", "BITFIELD_RO k GET u8 0", "BITOP AND d k1 k2",
    "PFCOUNT k", "PFCOUNT k1 k2", "PFMERGE d k1",
    "GEOPOS k a", "GEODIST k a b", "GEOHASH k a", "GEOSEARCH k FROMLONLAT 1 1 BYRADIUS 1 km",
    "GEOSEARCHSTORE d k FROMLONLAT 1 1 BYRADIUS 1 km",
    "SORT k", "SORT_RO k", "SORT k STORE d",
    # Write commands: no keymiss.
    "SET k v", "DEL k", "DEL nosuch", "APPEND k2 x", "INCR k3", "LPUSH k4 a", "LPOP nosuch",
    "SADD k5 a", "SREM nosuch a", "HSET k6 f v", "HDEL nosuch f", "ZADD k7 1 a",
    "ZREM nosuch a", "XADD k8 1-1 f v", "EXPIRE nosuch 10", "PERSIST nosuch",
    "RENAME nosuch x", "MOVE nosuch 1", "SETBIT k9 0 1", "PFADD k10 a", "LMOVE nosuch x LEFT LEFT",
    "SMOVE nosuch x a", "ZPOPMIN nosuch", "XTRIM nosuch MAXLEN 0", "XDEL nosuch 1-1",
    # Keys that exist: nothing (k was deleted above: one more keymiss).
    "GET k", "LLEN k4", "SCARD k5", "HLEN k6", "ZCARD k7", "XLEN k8", "EXISTS k k4",
    "SORT k4 ALPHA",
]


# --------------------------------------------------------------------------------------------
# Plumbing.


def text(b):
    return b.decode(errors="surrogateescape")


class Side:
    """One server: a command connection and a subscribed connection (bytes)."""

    def __init__(self, make_client, flags):
        self.cmd = make_client()
        self.cmd.response_callbacks.clear()  # replies as sent (they are only shown)
        self.sub_client = make_client()
        self.sub = self.sub_client.pubsub()
        self.sub.psubscribe(PATTERN)
        self.sub.subscribe(MARK)
        confirmed = 0
        deadline = time.time() + READ_TIMEOUT
        while confirmed < 2 and time.time() < deadline:
            m = self.sub.get_message(timeout=1)
            if m is not None and m["type"] in ("subscribe", "psubscribe"):
                confirmed += 1
        assert confirmed == 2, "subscriptions were not confirmed"
        self.seq = 0
        if flags is not None:
            self.cmd.config_set("notify-keyspace-events", flags)

    def close(self):
        self.sub.close()
        self.sub_client.close()
        self.cmd.close()

    def execute(self, args):
        try:
            return self.cmd.execute_command(*args)
        except redis.ResponseError as e:
            return ("error", str(e))

    def events_until_mark(self):
        """The notifications up to the next marker: [(channel, payload), ...]."""
        self.seq += 1
        want = str(self.seq).encode()
        self.cmd.publish(MARK, want)
        events = []
        while True:
            m = self.sub.get_message(timeout=READ_TIMEOUT)
            if m is None:
                events.append(("timeout", None))
                return events
            if m["type"] == "message" and m["channel"] == MARK.encode():
                if m["data"] == want:
                    return events
                events.append(("unexpected mark", m["data"]))
            elif m["type"] == "pmessage":
                events.append((text(m["channel"]), text(m["data"])))
            else:
                events.append(("unexpected message", m["type"]))

    def run(self, command):
        """Runs one command (a string split on spaces; '' is the empty argument)."""
        args = ["" if a == "''" else a for a in command.split(" ")]
        reply = self.execute(args)
        return reply, self.events_until_mark()

    def wait_events(self, n, timeout):
        """Waits up to `timeout` seconds for n notifications (no marker)."""
        events = []
        deadline = time.time() + timeout
        while len(events) < n and time.time() < deadline:
            m = self.sub.get_message(timeout=0.05)
            if m is not None and m["type"] == "pmessage":
                events.append((text(m["channel"]), text(m["data"])))
        return events


@pytest.fixture
def pair(server, reference_redis):
    """pair(flags) -> (tessera Side, reference Side) with notify-keyspace-events set."""
    sides = []

    def make(flags):
        tess = Side(lambda: server.client(decode_responses=False,
                                          single_connection_client=True), flags)
        ref = Side(lambda: reference_redis.client(single_connection_client=True), flags)
        sides.extend([tess, ref])
        return tess, ref

    yield make
    for s in sides:
        s.close()


def run_both(tess, ref, commands):
    """Runs the commands on both servers; returns (tessera log, reference log) where a log is
    [(command, events)], and the replies for the failure message."""
    logs = ([], [])
    replies = ([], [])
    for command in commands:
        for i, side in enumerate((tess, ref)):
            reply, events = side.run(command)
            logs[i].append((command, events))
            replies[i].append(reply)
    return logs, replies


def assert_same_events(logs, replies):
    tess_log, ref_log = logs
    for i, (got, want) in enumerate(zip(tess_log, ref_log)):
        if got != want:
            context = "\n".join(f"  {c}" for c, _ in ref_log[max(0, i - 8):i])
            raise AssertionError(
                f"notifications differ at command #{i}: {want[0]}\n"
                f"  tessera reply {replies[0][i]!r}\n  redis   reply {replies[1][i]!r}\n"
                f"  tessera events {got[1]}\n  redis   events {want[1]}\n"
                f"commands before:\n{context}")
    assert tess_log == ref_log


def run_and_compare(pair, flags, commands):
    tess, ref = pair(flags)
    logs, replies = run_both(tess, ref, commands)
    assert_same_events(logs, replies)
    return logs[1]


def events_of(log):
    return [e for _, events in log for e in events]


# --------------------------------------------------------------------------------------------
# Every family with all classes, both channel kinds.


@pytest.mark.parametrize("family", list(FAMILIES))
def test_events_match_redis(pair, family):
    log = run_and_compare(pair, "KEA", FAMILIES[family])
    events = events_of(log)
    assert events, "the reference produced no notifications at all"
    # Keyspace and keyevent messages come in pairs: keyspace first.
    for (ch1, ev), (ch2, key) in zip(events[0::2], events[1::2]):
        assert ch1.startswith("__keyspace@") and ch2.startswith("__keyevent@")
        assert ch1.split(":", 1)[1] == key and ch2.split(":", 1)[1] == ev


@pytest.mark.parametrize("family", list(FAMILIES))
def test_new_events_match_redis(pair, family):
    """'n' (key creation) is not part of 'A': with KEAn every creation comes first."""
    log = run_and_compare(pair, "KEAn", FAMILIES[family])
    assert any(ev == "new" for ch, ev in events_of(log) if ch.startswith("__keyspace@"))


@pytest.mark.parametrize("flags", ["Elg", "Kg", "K$", "E$s", "Kh", "Ez", "Kt", "Els", "Kzt",
                                   "Kd", "En", "Kn", "Ex", "Km", "A", "g$lshzxet", "", "KA",
                                   "EA", "KEnm"])
def test_class_filters_match_redis(pair, flags):
    log = run_and_compare(pair, flags, ALL_COMMANDS)
    events = events_of(log)
    if "K" not in flags and "E" not in flags:
        assert events == []
    if flags in ("Elg", "Kg", "Ez", "Kt"):
        assert events


def test_keymiss_events_match_redis(pair):
    log = run_and_compare(pair, "Em", KEYMISS)
    assert ("__keyevent@0__:keymiss", "k") in events_of(log)


def test_keymiss_and_new_with_all_flags(pair):
    run_and_compare(pair, "KEAmn", KEYMISS)


def test_events_in_other_databases(pair):
    """SELECT changes the db in the channel names; MOVE and COPY ... DB name the target db."""
    commands = [
        "SET a 1", "SELECT 3", "SET a 2", "LPUSH l x", "EXPIRE a 100", "MOVE a 0", "MOVE l 0",
        "SET c 1", "COPY c c DB 5", "COPY c c2 DB 0", "SELECT 0", "MOVE l 3", "RENAME l l2",
        "DEL a l2", "SELECT 5", "DEL c", "GET c",
    ]
    log = run_and_compare(pair, "KEAnm", commands)
    channels = {ch for ch, _ in events_of(log)}
    for db in (0, 3, 5):
        assert f"__keyspace@{db}__:c" in channels or f"__keyspace@{db}__:a" in channels


def test_no_events_without_k_or_e(pair):
    tess, ref = pair("A")
    for side in (tess, ref):
        side.cmd.execute_command("CONFIG", "SET", "notify-keyspace-events", "Agn$lshzxetdm")
    logs, replies = run_both(tess, ref, ALL_COMMANDS[:80] + KEYMISS[:10])
    assert_same_events(logs, replies)
    assert events_of(logs[1]) == []


def test_disabling_stops_events(pair):
    tess, ref = pair("KEA")
    logs, replies = run_both(tess, ref, ["SET a 1", "CONFIG SET notify-keyspace-events ''",
                                         "SET a 2", "DEL a", "CONFIG SET notify-keyspace-events Kg",
                                         "SET a 3", "DEL a"])
    assert_same_events(logs, replies)
    assert [len(e) for _, e in logs[1]] == [2, 0, 0, 0, 0, 0, 1]


def test_binary_and_odd_key_names(pair):
    tess, ref = pair("KEA")
    for side in (tess, ref):
        for key in (b"", b"a:b", b"sp ace", b"\x00\xff", "ключ".encode()):
            side.cmd.execute_command("SET", key, b"v")
            side.cmd.execute_command("DEL", key)
    got, want = tess.events_until_mark(), ref.events_until_mark()
    assert got == want
    assert len(want) == 20


# --------------------------------------------------------------------------------------------
# The configuration value.


@pytest.mark.parametrize("value", [
    "", "K", "E", "A", "KEA", "AKE", "KEg$lshzxet", "g$lshzxetKE", "Elg", "lgE", "Kx", "xK",
    "En", "Em", "nmE", "KEAnm", "KEAd", "d", "KEd", "KEg$lshzxetdnm", "Agn", "AA", "KKEE",
    "g", "e", "t", "KEe", "Ae", "Ad", "$", "EKmn",
])
def test_config_get_canonical_form(r, reference, value):
    r.config_set("notify-keyspace-events", value)
    reference.config_set("notify-keyspace-events", value)
    got = r.config_get("notify-keyspace-events")
    want = reference.config_get("notify-keyspace-events")
    assert got == want


@pytest.mark.parametrize("value", ["KEAq", "x y", "K1", "Z", "kea", "KE A", "*", "B"])
def test_config_set_invalid_letter(r, reference, value):
    r.config_set("notify-keyspace-events", "Kg")
    reference.config_set("notify-keyspace-events", "Kg")
    got = command_error(r, "CONFIG", "SET", "notify-keyspace-events", value)
    want = command_error(reference, "CONFIG", "SET", "notify-keyspace-events", value)
    assert got == want
    # The old value stays.
    assert r.config_get("notify-keyspace-events") == {"notify-keyspace-events": "gK"}
    assert reference.config_get("notify-keyspace-events") == {"notify-keyspace-events": "gK"}


def test_config_set_together_with_other_parameters(r, reference):
    for c in (r, reference):
        c.execute_command("CONFIG", "SET", "notify-keyspace-events", "KEA", "lfu-log-factor",
                          "7")
    want = reference.config_get("notify-keyspace-events")
    assert want == {"notify-keyspace-events": "AKE"}
    assert r.config_get("notify-keyspace-events") == want


# --------------------------------------------------------------------------------------------
# Expiry.


def test_expired_events_from_active_expiry(pair):
    """A key with a short TTL is removed by the active expire cycle: 'expired' (class x)."""
    tess, ref = pair("KEx")
    for key in ("k1", "k2"):
        for side in (tess, ref):
            side.cmd.set(key, "v")
            side.cmd.pexpire(key, 50)
        for side in (tess, ref):
            events = side.wait_events(2, timeout=10)
            assert events == [(f"__keyspace@0__:{key}", "expired"),
                              ("__keyevent@0__:expired", key)], side
            assert side.cmd.exists(key) == 0
    # In another database.
    for side in (tess, ref):
        side.cmd.execute_command("SELECT", "2")
        side.cmd.set("k3", "v", px=50)
        assert side.wait_events(2, timeout=10) == [("__keyspace@2__:k3", "expired"),
                                                   ("__keyevent@2__:expired", "k3")]


def test_expired_event_classes(pair):
    """SET ... PX and PEXPIRE report 'expire' (g); the expiry itself only 'x'."""
    tess, ref = pair("KEgx")
    for side in (tess, ref):
        side.cmd.set("k", "v", px=500)  # long enough to expire after the marker
        side.cmd.set("k2", "v")
        side.cmd.pexpire("k2", 60000)
    got, want = tess.events_until_mark(), ref.events_until_mark()
    assert got == want
    assert want == [("__keyspace@0__:k", "expire"), ("__keyevent@0__:expire", "k"),
                    ("__keyspace@0__:k2", "expire"), ("__keyevent@0__:expire", "k2")]
    for side in (tess, ref):
        assert side.wait_events(2, timeout=10) == [("__keyspace@0__:k", "expired"),
                                                   ("__keyevent@0__:expired", "k")]


def test_lazy_expiry_then_keymiss(pair):
    """With active expiry off, the access that finds the key expired reports 'expired' and
    then the read's 'keymiss'; a write finds it gone silently."""
    tess, ref = pair("KExmn")
    for side in (tess, ref):
        side.cmd.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")
        side.cmd.set("k", "v", px=1)
        side.cmd.set("k2", "v", px=1)
        side.cmd.set("k3", "v", px=1)
        side.events_until_mark()
    time.sleep(0.05)
    try:
        logs, replies = run_both(tess, ref, ["GET k", "SET k2 w", "EXISTS k3", "GET k3"])
        assert_same_events(logs, replies)
        assert events_of(logs[1])[:4] == [
            ("__keyspace@0__:k", "expired"), ("__keyevent@0__:expired", "k"),
            ("__keyspace@0__:k", "keymiss"), ("__keyevent@0__:keymiss", "k")]
    finally:
        for side in (tess, ref):
            side.cmd.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1")


def test_expired_keys_are_reported_before_the_write(pair):
    """A write on an expired key: 'expired' first, then the new key's 'new' and the write."""
    tess, ref = pair("KEA")
    for side in (tess, ref):
        side.cmd.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")
        side.cmd.rpush("l", "a")
        side.cmd.pexpire("l", 1)
        side.cmd.sadd("s", "a")
        side.cmd.pexpire("s", 1)
        side.events_until_mark()
    time.sleep(0.05)
    try:
        logs, replies = run_both(tess, ref, ["LPUSH l b", "SUNIONSTORE s2 s", "DEL s"])
        assert_same_events(logs, replies)
        assert logs[1][0][1][:2] == [("__keyspace@0__:l", "expired"),
                                     ("__keyevent@0__:expired", "l")]
    finally:
        for side in (tess, ref):
            side.cmd.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1")
