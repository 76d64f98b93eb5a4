"""tessera-check-rdb: accepts good files (ours and redis-server's), reports what they hold per
type, and refuses damaged ones with exit code 1 and the byte offset of the problem."""
import subprocess

import pytest

from conftest import BIN_DIR, ReferenceRedis
from test_80_dump_restore import make_values

CHECK = str(BIN_DIR / "tools" / "tessera-check-rdb")


def check(path, *args):
    return subprocess.run([CHECK, str(path), *args], capture_output=True, text=True, timeout=60)


@pytest.fixture
def saved_file(start_server, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    s = start_server(["--dir", str(data)])
    c = s.client()
    make_values(c)
    c.set("ttl", "v", px=100_000)
    c.select(5)
    c.set("other-db", "1")
    c.save()
    return data / "dump.rdb"


def test_good_file(saved_file):
    r = check(saved_file)
    assert r.returncode == 0, r.stdout + r.stderr
    out = r.stdout
    assert "RDB looks OK" in out
    assert "[info] RDB version 10" in out
    assert "[info] db 5: 1 keys, 0 with a TTL" in out
    assert "[info] string: 8" in out
    assert "[info] stream: 2" in out
    assert "keys read, 1 expires" in out
    assert check(saved_file, "--quiet").stdout == \
        f"[info] Checking RDB file {saved_file}\nRDB looks OK\n"


def test_a_file_written_by_redis(tmp_path):
    ref = ReferenceRedis(tmp_path / "ref")
    try:
        c = ref.client()
        make_values(c)
        c.save()
    finally:
        ref.stop()
    r = check(tmp_path / "ref" / "dump.rdb")
    assert r.returncode == 0, r.stdout
    assert "[info] hash: 2" in r.stdout


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage", "missing"])
def test_damaged_files(saved_file, damage):
    raw = bytearray(saved_file.read_bytes())
    if damage == "truncate":
        raw = raw[:len(raw) // 3]
    elif damage == "flip":
        raw[len(raw) // 2] ^= 0x40
    elif damage == "garbage":
        raw = bytearray(b"REDIS0010\xf0\xf0\xf0")
    if damage == "missing":
        saved_file.unlink()
    else:
        saved_file.write_bytes(bytes(raw))
    r = check(saved_file)
    assert r.returncode == 1
    assert "--- RDB ERROR DETECTED ---" in r.stdout
    if damage != "missing":
        assert "byte offset" in r.stdout


def test_usage_error():
    r = subprocess.run([CHECK], capture_output=True, text=True, timeout=30)
    assert r.returncode != 0
    assert "file" in (r.stdout + r.stderr).lower()
