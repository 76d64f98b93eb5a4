"""The harness works and the server answers the basics with a real client."""


def test_ping_set_get(r):
    assert r.ping() is True
    assert r.set("k", "v") is True
    assert r.get("k") == "v"


def test_redis_cli_roundtrip(server):
    out = server.cli("SET", "cli-key", "hello")
    assert out.stdout.strip() == "OK"
    out = server.cli("GET", "cli-key")
    assert out.stdout.strip() == "hello"


def test_resp3_hello_with_redis_cli(server):
    out = server.cli("HELLO", "3", resp3=True)
    assert "proto" in out.stdout
    assert "3" in out.stdout


def test_raw_connection(server):
    with server.raw() as c:
        assert c.command("PING") == "PONG"
        assert c.command("ECHO", "x") == b"x"
