"""Geospatial commands: GEOADD GEODIST GEOHASH GEOPOS GEORADIUS GEORADIUSBYMEMBER (and _RO)
GEOSEARCH GEOSEARCHSTORE.

Positions, distances, hashes and search results must be Redis's to the last digit, so the
random tests run every command on Tessera and on a reference redis-server side by side.
"""
import random

import pytest

from helpers import command_error as err, same_reply


RAW_REPLIES = ("GEOSEARCH", "GEORADIUS", "GEORADIUSBYMEMBER", "GEORADIUS_RO",
               "GEORADIUSBYMEMBER_RO", "GEOPOS", "GEODIST", "GEOHASH")


def both(tess, ref, *args):
    """Runs a command on both servers; replies (or error texts) must be equal."""
    for c in (tess, ref):
        for name in RAW_REPLIES:  # compare the replies as sent, not as redis-py parses them
            c.set_response_callback(name, lambda reply, **options: reply)
    return same_reply(tess, ref, *args)


def test_documented_examples(r):
    assert r.geoadd("Sicily", [13.361389, 38.115556, "Palermo", 15.087269, 37.502669,
                               "Catania"]) == 2
    assert r.geodist("Sicily", "Palermo", "Catania") == 166274.1516
    assert r.geodist("Sicily", "Palermo", "Catania", "km") == 166.2742
    assert r.geodist("Sicily", "Palermo", "Catania", "mi") == 103.3182
    assert r.geodist("Sicily", "Foo", "Bar") is None
    assert r.geohash("Sicily", "Palermo", "Catania", "nope") == ["sqc8b49rny0", "sqdtr74hyu0",
                                                                  None]
    pos = r.geopos("Sicily", "Palermo", "NonExisting")
    assert pos[0] == pytest.approx((13.361389338970184, 38.1155563954963)) and pos[1] is None
    assert r.georadius("Sicily", 15, 37, 200, "km", withdist=True, sort="ASC") == \
        [["Catania", 56.4413], ["Palermo", 190.4424]]
    assert r.geosearch("Sicily", longitude=15, latitude=37, radius=200, unit="km",
                       sort="ASC") == ["Catania", "Palermo"]
    assert r.geosearch("Sicily", longitude=15, latitude=37, width=400, height=400, unit="km",
                       sort="ASC", withdist=True) == [["Catania", 56.4413], ["Palermo", 190.4424]]
    assert r.georadiusbymember("Sicily", "Palermo", 200, "km", sort="ASC") == \
        ["Palermo", "Catania"]
    assert r.type("Sicily") == "zset"
    assert r.zscore("Sicily", "Palermo") == 3479099956230698


def test_geoadd_options_and_errors(r):
    assert r.geoadd("g", [1, 2, "a"]) == 1
    assert r.geoadd("g", [1, 2, "a"], nx=True) == 0
    assert r.geoadd("g", [3, 4, "a", 5, 6, "b"], xx=True, ch=True) == 1
    assert r.zcard("g") == 1
    assert err(r, "GEOADD", "g", "200", "10", "x") == \
        "invalid longitude,latitude pair 200.000000,10.000000"
    assert err(r, "GEOADD", "g", "10", "86", "x") == \
        "invalid longitude,latitude pair 10.000000,86.000000"
    assert err(r, "GEOADD", "g", "abc", "10", "x") == "value is not a valid float"
    assert err(r, "GEOADD", "g", "NX", "XX", "1", "2", "x") == "syntax error"
    assert err(r, "GEOADD", "g", "1", "2", "x", "3") == "syntax error"
    r.set("s", "v")
    assert err(r, "GEOADD", "s", "1", "2", "x").startswith("WRONGTYPE")
    assert err(r, "GEOPOS", "s", "x").startswith("WRONGTYPE")


def test_search_errors(r):
    r.geoadd("g", [1, 2, "a"])
    cases = {
        ("GEORADIUS", "g", "0", "0", "10", "parsec"):
            "unsupported unit provided. please use M, KM, FT, MI",
        ("GEORADIUS", "g", "0", "0", "-1", "km"): "radius cannot be negative",
        ("GEORADIUS", "g", "0", "0", "x", "km"): "need numeric radius",
        ("GEORADIUS", "g", "0", "0", "1", "km", "COUNT", "0"): "COUNT must be > 0",
        ("GEORADIUS", "g", "0", "0", "1", "km", "ANY"): "the ANY argument requires COUNT argument",
        ("GEORADIUS", "g", "0", "0", "1", "km", "STORE", "d", "WITHDIST"):
            "STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD "
            "options",
        ("GEORADIUS_RO", "g", "0", "0", "1", "km", "STORE", "d"): "syntax error",
        ("GEORADIUSBYMEMBER", "g", "nosuch", "1", "km"): "could not decode requested zset member",
        ("GEOSEARCH", "g", "BYRADIUS", "1", "km", "ASC", "WITHDIST"):
            "exactly one of FROMMEMBER or FROMLONLAT can be specified for GEOSEARCH",
        ("GEOSEARCH", "g", "FROMLONLAT", "1", "2", "ASC", "WITHDIST"):
            "exactly one of BYRADIUS and BYBOX can be specified for GEOSEARCH",
        ("GEOSEARCH", "g", "FROMLONLAT", "1", "2", "BYBOX", "-1", "1", "km"):
            "height or width cannot be negative",
        ("GEOSEARCH", "g", "FROMLONLAT", "1", "2", "BYBOX", "w", "1", "km"): "need numeric width",
        ("GEOSEARCH", "g", "FROMLONLAT", "1", "2", "BYRADIUS", "1", "km", "STOREDIST"):
            "syntax error",
        ("GEOSEARCHSTORE", "d", "g", "FROMLONLAT", "1", "2", "BYRADIUS", "1", "km", "WITHHASH"):
            "GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options",
    }
    for args, message in cases.items():
        assert err(r, *args) == message, args


def test_missing_source_key(r):
    assert r.georadius("nokey", 0, 0, 10, "km") == []
    r.set("d", "old")
    assert r.georadiusbymember("nokey", "x", 1, "km", store="d") == 0
    assert r.exists("d") == 0  # the destination is deleted
    assert r.geopos("nokey", "a") == [None]
    assert r.geohash("nokey", "a") == [None]
    assert r.geodist("nokey", "a", "b") is None


def test_store_and_storedist(r):
    r.geoadd("Sicily", [13.361389, 38.115556, "Palermo", 15.087269, 37.502669, "Catania"])
    assert r.georadius("Sicily", 15, 37, 200, "km", store="dst") == 2
    assert r.zscore("dst", "Palermo") == r.zscore("Sicily", "Palermo")
    assert r.georadius("Sicily", 15, 37, 200, "km", store_dist="dist") == 2
    assert r.zscore("dist", "Catania") == pytest.approx(56.4413, abs=1e-3)
    assert r.execute_command("GEOSEARCHSTORE", "gs", "Sicily", "FROMMEMBER", "Palermo",
                             "BYRADIUS", "10", "km", "STOREDIST") == 1
    assert r.zrange("gs", 0, -1, withscores=True) == [("Palermo", 0.0)]
    assert r.execute_command("GEOSEARCHSTORE", "gs", "Sicily", "FROMLONLAT", "0", "0",
                             "BYRADIUS", "1", "km") == 0
    assert r.exists("gs") == 0


def _random_points(rng, n):
    centers = [(13.36, 38.11), (-122.4, 37.7), (0, 0), (179.9, 84.9), (-179.9, -84.9),
               (2.35, 48.85), (151.2, -33.8)]
    points = []
    for i in range(n):
        cx, cy = rng.choice(centers)
        lon = max(-180.0, min(180.0, cx + rng.uniform(-3, 3)))
        lat = max(-85.0, min(85.0, cy + rng.uniform(-3, 3)))
        points.append((lon, lat, f"m{i}"))
    return points, centers


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_searches_match_redis(server, reference, seed):
    tess = server.client(decode_responses=False)
    rng = random.Random(seed)
    points, centers = _random_points(rng, 400)
    for lon, lat, m in points:
        both(tess, reference, "GEOADD", "g", repr(lon), repr(lat), m)
    for i in range(30):  # members sharing a position: ties in every distance order
        both(tess, reference, "GEOADD", "g", "2.35", "48.85", f"same{i}")
    for _ in range(250):
        cx, cy = rng.choice(centers)
        radius = rng.choice([1, 10, 100, 500, 2000, 5000])
        unit = rng.choice(["km", "m", "mi", "ft"])
        opts = rng.sample(["WITHDIST", "WITHCOORD", "WITHHASH", "ASC", "DESC"],
                          rng.randint(0, 3))
        if "ASC" in opts and "DESC" in opts:
            opts.remove("DESC")
        # COUNT sorts partially (Redis's pqsort), so ties at one point come out as in Redis.
        if rng.random() < 0.4:
            opts += ["COUNT", str(rng.randint(1, 20))] + (["ANY"] if rng.random() < 0.3 else [])
        kind = rng.random()
        if kind < 0.3:
            args = ["GEORADIUS", "g", repr(cx), repr(cy), str(radius), unit] + opts
        elif kind < 0.5:
            args = ["GEORADIUSBYMEMBER", "g", f"m{rng.randrange(400)}", str(radius), unit] + opts
        else:
            shape = ["BYRADIUS", str(radius), unit] if rng.random() < 0.5 else \
                ["BYBOX", str(radius), str(radius * rng.uniform(0.3, 3)), unit]
            args = ["GEOSEARCH", "g", "FROMLONLAT", repr(cx), repr(cy)] + shape + opts
        both(tess, reference, *args)
    for _ in range(50):
        a, b = f"m{rng.randrange(400)}", f"m{rng.randrange(400)}"
        both(tess, reference, "GEODIST", "g", a, b, rng.choice(["m", "km", "mi", "ft"]))
        both(tess, reference, "GEOPOS", "g", a, "nosuch", b)
        both(tess, reference, "GEOHASH", "g", a, "nosuch", b)
    both(tess, reference, "DEBUG", "DIGEST")


def test_positions_at_the_limits_match_redis(server, reference):
    tess = server.client(decode_responses=False)
    both(tess, reference, "GEOADD", "g", "-180", "-85.05112878", "sw", "180", "85.05112878",
         "ne", "0", "0", "zero")
    both(tess, reference, "GEOPOS", "g", "sw", "ne", "zero")
    both(tess, reference, "GEOHASH", "g", "sw", "ne", "zero")
    both(tess, reference, "GEODIST", "g", "sw", "ne")
    both(tess, reference, "GEOSEARCH", "g", "FROMLONLAT", "0", "0", "BYRADIUS", "0", "m")
    both(tess, reference, "GEOSEARCH", "g", "FROMLONLAT", "179", "85", "BYBOX", "1000", "500",
         "km", "WITHCOORD")


def test_resp3_coordinates(server):
    c = server.raw()
    c.command("HELLO", "3")
    c.command("GEOADD", "g", "13.361389", "38.115556", "Palermo")
    pos = c.command("GEOPOS", "g", "Palermo")
    assert pos == [[pytest.approx(13.361389338970184), pytest.approx(38.1155563954963)]]
    assert all(isinstance(v, float) for v in pos[0])
