"""The docker-compose HA topology (docker/compose/ha) under real faults: a writer on the host
uses redis-py's Sentinel client; the master's container is stopped, paused, and cut off the
network in turn. Each time the writer must reach the new master; the test reports how long
writes failed and how many acknowledged writes were lost, without and with the synchronous
mode (MIN_SYNC_REPLICAS=1, where none may be lost).

Needs a Docker engine and docker-compose; skipped (with the reason printed) without them."""
import json
import os
import pathlib
import shutil
import subprocess
import threading
import time

import pytest
import redis
import redis.sentinel

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN_DIR = pathlib.Path(os.environ.get("TESSERA_BIN_DIR", ROOT / "build" / "release"))
COMPOSE_FILE = ROOT / "docker" / "compose" / "ha" / "docker-compose.yml"
PREFIX = "172.31.251"          # a subnet of its own, apart from the example's default
GATEWAY = f"{PREFIX}.1"
PROJECT = "tessera-ha-test"
IMAGE = "tessera:ha-test"
PORTS = {"master": 6380, "replica1": 6381, "replica2": 6382}
RESULTS = pathlib.Path(os.environ.get("TESSERA_RESULTS_DIR", ROOT / "build" / "results"))


def compose_cmd():
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    return None


def docker_ready():
    if shutil.which("docker") is None:
        return "no docker command"
    if subprocess.run(["docker", "info"], capture_output=True).returncode != 0:
        return "no Docker engine answers"
    if compose_cmd() is None:
        return "no docker-compose"
    return None


why_not = docker_ready()
pytestmark = pytest.mark.skipif(why_not is not None, reason=f"docker tests skipped: {why_not}")


def run(*args, env=None, check=True):
    return subprocess.run(list(args), capture_output=True, text=True, env=env, check=check,
                          timeout=180)


class Topology:
    def __init__(self, min_sync):
        self.env = dict(os.environ, TESSERA_IMAGE=IMAGE, MIN_SYNC_REPLICAS=str(min_sync),
                        HA_SUBNET=f"{PREFIX}.0/24", HA_GATEWAY=GATEWAY, HA_PREFIX=PREFIX,
                        ANNOUNCE_IP=GATEWAY, PUBLISH_IP=GATEWAY)
        self.compose = compose_cmd() + ["-p", PROJECT, "-f", str(COMPOSE_FILE)]

    def up(self):
        run(*self.compose, "down", "-v", "--remove-orphans", env=self.env, check=False)
        run(*self.compose, "up", "-d", env=self.env)
        wait(lambda: self.online_replicas(6380) == 2, 30, "two online replicas")
        wait(self.discovered, 30, "sentinel discovery")

    def down(self):
        if os.environ.get("TESSERA_KEEP_DOCKER"):
            return
        run(*self.compose, "down", "-v", "--remove-orphans", env=self.env, check=False)

    def container(self, service):
        return run(*self.compose, "ps", "-q", service, env=self.env).stdout.strip()

    def service_of(self, port):
        return next(s for s, p in PORTS.items() if p == port)

    @staticmethod
    def client(port):
        return redis.Redis(host=GATEWAY, port=port, socket_timeout=2, decode_responses=True)

    def online_replicas(self, port):
        try:
            info = self.client(port).info("replication")
        except redis.RedisError:
            return 0
        return sum(1 for k, v in info.items() if k.startswith("slave") and
                   isinstance(v, dict) and v.get("state") == "online")

    def discovered(self):
        for port in (26380, 26381, 26382):
            try:
                m = self.client(port).sentinel_master("mymaster")
            except redis.RedisError:
                return False
            if m["num-slaves"] < 2 or m["num-other-sentinels"] < 2:
                return False
        return True

    def logs(self):
        return run(*self.compose, "logs", "--no-color", "--tail", "60", env=self.env,
                   check=False).stdout


def wait(pred, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if pred():
                return True
        except redis.RedisError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


class Writer:
    """Writes unique keys through redis-py's Sentinel client; records each acknowledgement
    with the master's port and time, and each failure."""

    def __init__(self):
        self.sentinel = redis.sentinel.Sentinel(
            [(GATEWAY, p) for p in (26380, 26381, 26382)], socket_timeout=1)
        self.master = self.sentinel.master_for("mymaster", socket_timeout=1)
        self.acked = []          # (key, port, time)
        self.failures = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    def loop(self):
        i = 0
        while not self.stop.is_set():
            key = f"w{time.monotonic_ns()}:{i}"
            try:
                self.master.set(key, i)
                port = self.master.connection_pool.connection_kwargs.get("port")
                addr = self.master.connection_pool.get_master_address()
                self.acked.append((key, addr[1] if addr else port, time.monotonic()))
                i += 1
            except (redis.ConnectionError, redis.TimeoutError, redis.ResponseError):
                self.failures += 1
                time.sleep(0.01)

    def close(self):
        self.stop.set()
        self.thread.join(10)


def lost_writes(topo, port, keys):
    c = topo.client(port)
    missing = 0
    for i in range(0, len(keys), 1000):
        pipe = c.pipeline(transaction=False)
        for k in keys[i:i + 1000]:
            pipe.exists(k)
        missing += sum(1 for there in pipe.execute() if not there)
    return missing


def fault(topo, kind, master_port):
    service = topo.service_of(master_port)
    cid = topo.container(service)
    net = f"{PROJECT}_ha"  # docker-compose's <project>_<network>
    if kind == "stop":
        run("docker", "stop", "-t", "5", cid)
        return lambda: run("docker", "start", cid)
    if kind == "pause":
        run("docker", "pause", cid)
        return lambda: run("docker", "unpause", cid)
    ip = f"{PREFIX}.{10 + list(PORTS).index(service)}"
    run("docker", "network", "disconnect", net, cid)
    return lambda: run("docker", "network", "connect", "--ip", ip, net, cid)


def one_fault(topo, kind):
    sentinel = redis.sentinel.Sentinel([(GATEWAY, 26380)], socket_timeout=1)
    old_port = sentinel.discover_master("mymaster")[1]
    w = Writer()
    try:
        wait(lambda: len(w.acked) > 300, 20, "writes before the fault")
        restore = fault(topo, kind, old_port)
        t_fault = time.monotonic()
        wait(lambda: any(p != old_port for _, p, t in w.acked[-50:] if t > t_fault), 30,
             f"the writer on a new master after docker {kind}")
        wait(lambda: sum(1 for _, p, t in w.acked if t > t_fault and p != old_port) > 200, 20,
             "writes on the new master")
    finally:
        w.close()
    last_old = max((t for _, p, t in w.acked if p == old_port), default=t_fault)
    first_new = min(t for _, p, t in w.acked if p != old_port and t > t_fault)
    new_port = w.acked[-1][1]
    lost = lost_writes(topo, new_port, [k for k, _, _ in w.acked])
    restore()
    # The old master returns as a replica of the new one; the set is whole again.
    wait(lambda: topo.client(old_port).execute_command("ROLE")[0] == "slave", 30,
         "the old master to rejoin as a replica")
    wait(lambda: topo.online_replicas(new_port) == 2, 30, "both replicas online again")
    return {"fault": kind, "unavailable_s": round(first_new - last_old, 3), "lost": lost,
            "acked": len(w.acked), "old": old_port, "new": new_port}


@pytest.fixture(scope="module")
def image():
    env = dict(os.environ, TESSERA_BUILD_DIR=str(BIN_DIR))
    run(str(ROOT / "docker" / "build-local-image.sh"), IMAGE, env=env)
    return IMAGE


@pytest.mark.parametrize("min_sync", [0, 1], ids=["async", "sync"])
def test_failover_under_docker_faults(image, min_sync):
    topo = Topology(min_sync)
    try:
        topo.up()
        results = [one_fault(topo, kind) for kind in ("stop", "pause", "disconnect")]
    except Exception:
        print(topo.logs())
        raise
    finally:
        topo.down()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"docker-ha-{'sync' if min_sync else 'async'}.json").write_text(
        json.dumps(results, indent=1))
    for r in results:
        print(f"min-sync-replicas {min_sync}: docker {r['fault']}: writes failed for "
              f"{r['unavailable_s']} s, {r['lost']} of {r['acked']} acknowledged writes lost "
              f"(master {r['old']} -> {r['new']})")
        assert r["new"] != r["old"]
        assert r["unavailable_s"] < 10
        if min_sync:
            assert r["lost"] == 0, r
