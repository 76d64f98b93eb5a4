"""A full disk: a failed save or AOF write is reported in the log and INFO, writes are refused
exactly where Redis refuses them (MISCONF), nothing acknowledged is lost, and the server
recovers by itself when space returns. The data folder is a small tmpfs mounted for the test
(the suite runs as root on its machines)."""
import os
import subprocess

import pytest
import redis

from helpers import dataset_digest, start_in, wait_until

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root")


@pytest.fixture
def small_disk(tmp_path):
    mnt = tmp_path / "disk"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mnt)], check=True)
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False)


def fill(disk, leave):
    """Fills the disk with a file until `leave` bytes remain free; returns the file."""
    st = os.statvfs(disk)
    free = st.f_bavail * st.f_frsize
    filler = disk / "filler"
    with open(filler, "wb") as f:
        f.write(b"\0" * max(0, free - leave))
    return filler


def misconf(c):
    try:
        c.set("probe", "1")
    except redis.ResponseError as e:
        return str(e)
    return None


def test_bgsave_on_a_full_disk_stops_writes_until_space_returns(start_server, small_disk):
    s = start_in(start_server, small_disk, "--save", "1 1")
    c = s.client()
    c.set("big", os.urandom(300_000).hex())  # 600 KB that LZF cannot shrink
    filler = fill(small_disk, 100_000)
    assert c.bgsave() is True
    assert wait_until(lambda: c.info("persistence")["rdb_last_bgsave_status"] == "err", 10)
    assert "No space left on device" in s.log_text()
    assert misconf(c).startswith("MISCONF Redis is configured to save RDB snapshots")
    assert c.get("big") is not None  # reads go on
    assert not [p for p in small_disk.iterdir() if p.name.startswith("temp-")]
    assert not (small_disk / "dump.rdb").exists()
    filler.unlink()
    # The save point retries (no sooner than 5 s after the failure) and writes come back.
    assert wait_until(lambda: c.info("persistence")["rdb_last_bgsave_status"] == "ok", 20)
    assert misconf(c) is None
    before = dataset_digest(c)
    s.stop()
    assert dataset_digest(start_in(start_server, small_disk).client()) == before


@pytest.mark.parametrize("policy", ["everysec", "always"])
def test_aof_write_error_refuses_writes_and_loses_nothing_acknowledged(start_server, small_disk,
                                                                       policy):
    s = start_in(start_server, small_disk, "--appendonly", "yes", "--appendfsync", policy)
    c = s.client()
    filler = fill(small_disk, 64 * 1024)
    acked, outcome = [], None
    for i in range(200):
        value = os.urandom(2000).hex()
        try:
            c.set(f"k{i}", value)
            acked.append((f"k{i}", value))
        except redis.ConnectionError:
            outcome = "disconnected"  # appendfsync always: the unwritten turn has no reply
            break
        except redis.ResponseError as e:
            outcome = str(e)
            break
    assert outcome is not None, "the disk never filled up"
    if policy == "always":
        assert outcome == "disconnected"
        c = s.client()
    else:
        assert outcome == "MISCONF Errors writing to the AOF file: No space left on device"
    assert c.info("persistence")["aof_last_write_status"] == "err"
    assert misconf(c) == "MISCONF Errors writing to the AOF file: No space left on device"
    assert c.get(acked[-1][0]) == acked[-1][1]  # reads go on
    assert "writing to the AOF file" in s.log_text()
    filler.unlink()
    assert wait_until(lambda: c.info("persistence")["aof_last_write_status"] == "ok", 10)
    assert misconf(c) is None
    c.set("after", "1")
    s.stop()
    c2 = start_in(start_server, small_disk, "--appendonly", "yes").client()
    for key, value in acked:
        assert c2.get(key) == value
    assert c2.get("after") == "1"
