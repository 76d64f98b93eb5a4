"""Operating a sentinel at runtime: SENTINEL FAILOVER by hand, SET / MONITOR / REMOVE / RESET,
CKQUORUM, and a state file that keeps all of it across restarts while the configuration file
is never written."""
import hashlib
import threading
import time

from conftest import free_port
from helpers import absent_keys, command_error, writer_threads
from sentinel_support import MASTER, SLOW, SentinelProcess, ha, wait_for  # noqa: F401


def role(server):
    return server.client().execute_command("ROLE")


def digest(path):
    return hashlib.sha1(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns


def test_manual_failover_hands_over_without_losing_writes(ha):
    """SENTINEL FAILOVER with the master alive: the master hands over itself (FAILOVER TO),
    pausing writes until the replica has them all, so no acknowledged write is lost even in
    the default asynchronous mode, and the old master follows the new one at once."""
    h = ha(replicas=2, sentinels=3)
    s = h.sentinels[0]
    stop = threading.Event()
    acked = []
    threads = writer_threads(h.master.port, stop, acked, n=10)
    wait_for(lambda: len(acked) > 500, 20 * SLOW, what="writes before the failover")
    assert s.cmd("SENTINEL", "FAILOVER", MASTER) == "OK"
    new_addr = h.wait_moved(h.master.port, 10 * SLOW)
    stop.set()
    for t in threads:
        t.join(10)
    new = h.by_port(new_addr[1])
    assert role(new)[0] == "master"
    wait_for(lambda: role(h.master)[:3] == ["slave", "127.0.0.1", new.port], 10 * SLOW,
             what="the old master to follow")
    assert absent_keys(new.client(), [k for k, _ in acked]) == []
    wait_for(lambda: "+switch-master" in s.log_text(), 10 * SLOW, what="+switch-master")
    assert not any("+convert-to-slave" in x.log_text() for x in h.sentinels)


def test_set_monitor_remove_and_restart(ha, start_server):
    h = ha(replicas=1, sentinels=1, quorum=1)
    s = h.sentinels[0]
    config_before = digest(s.config_path)
    c = s.client()
    assert c.execute_command("SENTINEL", "SET", MASTER, "down-after-milliseconds", "4321",
                             "quorum", "3", "parallel-syncs", "2") == "OK"
    m = c.sentinel_master(MASTER)
    assert (m["down-after-milliseconds"], m["quorum"], m["parallel-syncs"]) == (4321, 3, 2)
    assert "NOQUORUM 1 usable Sentinels. Not enough available Sentinels to reach the " \
        "specified quorum for this master" in command_error(c, "SENTINEL", "CKQUORUM", MASTER)
    # A second master at runtime, then the first removed.
    other = start_server()
    assert c.execute_command("SENTINEL", "MONITOR", "other", "127.0.0.1", other.port, 1) == "OK"
    assert set(c.sentinel_masters()) == {MASTER, "other"}
    assert c.execute_command("SENTINEL", "REMOVE", MASTER) == "OK"
    assert set(c.sentinel_masters()) == {"other"}
    state = s.state_path.read_text()
    assert "sentinel monitor \"other\"" in state and f"sentinel removed \"{MASTER}\"" in state
    myid = s.cmd("SENTINEL", "MYID")
    s.stop()
    s.start()
    c = s.client()
    assert set(c.sentinel_masters()) == {"other"}, "REMOVE and MONITOR survive a restart"
    assert s.cmd("SENTINEL", "MYID") == myid
    # Put back: the SET values were for the removed definition; a new MONITOR starts fresh.
    assert c.execute_command("SENTINEL", "MONITOR", MASTER, "127.0.0.1", h.master.port, 1) == "OK"
    assert c.execute_command("SENTINEL", "SET", MASTER, "failover-timeout", "7777") == "OK"
    s.stop()
    s.start()
    m = s.client().sentinel_master(MASTER)
    assert m["failover-timeout"] == 7777 and m["port"] == h.master.port
    assert digest(s.config_path) == config_before, "the configuration file was written"


def test_restart_keeps_the_state_after_a_failover(ha):
    h = ha(replicas=2, sentinels=3)
    h.master.kill()
    new_addr = h.wait_moved(h.master.port, 10 * SLOW)
    s = h.sentinels[2]
    config_before = digest(s.config_path)
    epoch_before = s.master_info()["config-epoch"]
    s.stop()
    s.start()
    # Straight from the state file: the new master, its epoch, replicas and peers.
    assert s.master_addr() == new_addr
    m = s.master_info()
    assert m["config-epoch"] == epoch_before == 1
    assert m["num-other-sentinels"] == 2
    assert m["num-slaves"] == 2  # the other replica and the old master
    assert digest(s.config_path) == config_before
    assert s.client().info("sentinel")["master0"]["address"] == f"127.0.0.1:{new_addr[1]}"


def test_read_only_configuration_and_separate_state_file(ha, tmp_path):
    """The configuration file and its folder are read-only (as a container's mounted config);
    runtime changes and failovers go to the state file named by `sentinel state-file`."""
    h = ha(replicas=1, sentinels=0)
    conf_dir, state_dir = tmp_path / "ro", tmp_path / "state"
    conf_dir.mkdir()
    state_dir.mkdir()
    port = free_port()
    conf = conf_dir / "sentinel.conf"
    conf.write_text(f"port {port}\nbind 127.0.0.1\ndir {tmp_path / 'run'}\n"
                    f"sentinel monitor {MASTER} 127.0.0.1 {h.master.port} 1\n"
                    f"sentinel down-after-milliseconds {MASTER} 1000\n"
                    f"sentinel state-file {state_dir / 'state.conf'}\n")
    conf.chmod(0o444)
    conf_dir.chmod(0o555)
    try:
        s = SentinelProcess(tmp_path / "run", "", port=port, config_path=conf)
        h.sentinels.append(s)
        h.wait_discovered()
        before = digest(conf)
        assert s.cmd("SENTINEL", "SET", MASTER, "parallel-syncs", "3") == "OK"
        state = state_dir / "state.conf"
        assert f"sentinel parallel-syncs \"{MASTER}\" 3" in state.read_text()
        h.master.kill()
        h.wait_master(h.replicas[0].port, timeout=10 * SLOW)
        assert f"127.0.0.1 {h.replicas[0].port}" in state.read_text()
        assert digest(conf) == before
        assert sorted(p.name for p in conf_dir.iterdir()) == ["sentinel.conf"]
    finally:
        conf_dir.chmod(0o755)


def test_reset_forgets_and_rediscovers(ha):
    """RESET drops what was discovered: a replica that is gone for good stays forgotten, the
    live replica and the other sentinel are found again. (Right after the reset the lists may
    already be refilling: the master's INFO is asked at once.)"""
    h = ha(replicas=2, sentinels=2, quorum=2)
    s = h.sentinels[0]
    h.replicas[1].kill()
    wait_for(lambda: any("s_down" in r["flags"] for r in s.client().sentinel_slaves(MASTER)),
             5 * SLOW, what="the dead replica flagged")
    assert s.cmd("SENTINEL", "RESET", "nomatch") == 0
    assert s.cmd("SENTINEL", "RESET", "*") == 1
    assert "+reset-master master mymaster" in s.log_text()
    wait_for(lambda: s.master_info()["num-other-sentinels"] == 1, 10 * SLOW,
             what="the other sentinel again")
    wait_for(lambda: s.master_info()["num-slaves"] == 1, 10 * SLOW, what="the live replica again")
    time.sleep(1)
    replicas = s.client().sentinel_slaves(MASTER)
    assert [r["port"] for r in replicas] == [h.replicas[0].port]
    assert "s_down" not in replicas[0]["flags"]


def pairs(reply):
    return dict(zip(reply[::2], reply[1::2])) if isinstance(reply, list) else reply


def test_config_get_set_persist(ha):
    h = ha(replicas=0, sentinels=1, quorum=1)
    s = h.sentinels[0]
    c = s.client()
    assert c.execute_command("SENTINEL", "CONFIG", "SET", "announce-ip", "10.9.8.7") == "OK"
    assert pairs(c.execute_command("SENTINEL", "CONFIG", "GET", "announce-*")) == \
        {"announce-ip": "10.9.8.7", "announce-hostnames": "no", "announce-port": "0"}
    s.stop()
    s.start()
    got = s.client().execute_command("SENTINEL", "CONFIG", "GET", "announce-ip")
    assert pairs(got) == {"announce-ip": "10.9.8.7"}


def test_hostnames(ha):
    """resolve-hostnames lets a master be named by host name; announce-hostnames decides
    whether clients get the name or its address."""
    h = ha(replicas=0, sentinels=1, quorum=1)
    c = h.sentinels[0].client()
    assert "Invalid IP address or hostname" in command_error(
        c, "SENTINEL", "MONITOR", "byname", "localhost", h.master.port, 1)
    assert c.execute_command("SENTINEL", "CONFIG", "SET", "resolve-hostnames", "yes") == "OK"
    assert c.execute_command("SENTINEL", "MONITOR", "byname", "localhost", h.master.port, 1) == "OK"
    wait_for(lambda: c.sentinel_master("byname")["role-reported"] == "master" and
             "disconnected" not in c.sentinel_master("byname")["flags"], 5,
             what="the link to localhost")
    assert c.sentinel_get_master_addr_by_name("byname") == ("127.0.0.1", h.master.port)
    assert c.execute_command("SENTINEL", "CONFIG", "SET", "announce-hostnames", "yes") == "OK"
    assert c.sentinel_get_master_addr_by_name("byname") == ("localhost", h.master.port)
