"""Sentinel test support: tessera-sentinel processes (or Debian's Redis Sentinel, run as
`redis-server --sentinel`, as the reference) and a fixture that builds a watched HA set of real
tessera-server processes on loopback: one master, its replicas, and sentinels watching it.

Test files import the fixtures from here (`from sentinel_support import ha, ...`)."""
import os
import pathlib
import signal
import subprocess
import time

import pytest
import redis

from conftest import BIN_DIR, SANITIZED, ManagedProcess, free_port

SENTINEL_BIN = str(BIN_DIR / "sentinel" / "tessera-sentinel")
MASTER = "mymaster"


class SentinelProcess(ManagedProcess):
    """One sentinel. `reference=True` runs Debian's Redis Sentinel instead (its config file
    must be writable: Redis rewrites it)."""

    kind = "sentinel"
    host = "127.0.0.1"
    ready_replies = (b"+", b"-")  # any answer: a sentinel with requirepass says NOAUTH

    def __init__(self, workdir, config_text, port=None, reference=False, args=(), wait=True,
                 config_path=None):
        """With `config_path`, that file is used as it is (its port must be `port`)."""
        self.workdir = pathlib.Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.bus_port = self.port + 10000
        self.reference = reference
        self.config_path = config_path or self.workdir / f"sentinel-{self.port}.conf"
        if config_path is None and not self.config_path.exists():
            self.config_path.write_text(
                f"port {self.port}\nbind 127.0.0.1\ndir {self.workdir}\n" + config_text)
        self.log_path = self.workdir / f"sentinel-{self.port}.log"
        self.args = list(args)
        self.proc = None
        self.start(wait=wait)

    def start(self, wait=True):
        if self.reference:
            cmd = ["redis-server", str(self.config_path), "--sentinel"]
        else:
            cmd = [SENTINEL_BIN, str(self.config_path)]
        cmd += [str(a) for a in self.args]
        self.log = open(self.log_path, "ab")
        env = dict(os.environ)
        env.setdefault("ASAN_OPTIONS", "detect_leaks=0:abort_on_error=1")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT,
                                     cwd=self.workdir, env=env, start_new_session=True)
        self.stopped = False
        if wait:
            self.wait_ready()


    @property
    def state_path(self):
        return self.workdir / f"sentinel-state-{self.port}.conf"

    def client(self, **kwargs):
        kwargs.setdefault("decode_responses", True)
        kwargs.setdefault("socket_timeout", 10)
        return redis.Redis(host="127.0.0.1", port=self.port, **kwargs)

    def cmd(self, *args):
        with self.client() as c:
            return c.execute_command(*args)

    def master_addr(self, name=MASTER):
        try:
            r = self.cmd("SENTINEL", "GET-MASTER-ADDR-BY-NAME", name)
        except (redis.ConnectionError, redis.TimeoutError):
            return None
        return None if r is None else (r[0], int(r[1]))

    def master_info(self, name=MASTER):
        return self.client().sentinel_master(name)

    def pause(self):
        os.kill(self.proc.pid, signal.SIGSTOP)

    def resume(self):
        os.kill(self.proc.pid, signal.SIGCONT)


def sentinel_config(master_port, quorum=2, down_after=1000, failover_timeout=10000,
                    name=MASTER, extra=""):
    return (f"sentinel monitor {name} 127.0.0.1 {master_port} {quorum}\n"
            f"sentinel down-after-milliseconds {name} {down_after}\n"
            f"sentinel failover-timeout {name} {failover_timeout}\n" + extra)


def wait_for(pred, timeout, interval=0.02, what="condition"):
    """Polls pred() until it returns something true; a server that answers with an error
    meanwhile (LOADING while it syncs, a dropped connection) counts as not yet."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            last = pred()
        except redis.RedisError as e:
            last = e
        else:
            if last:
                return last
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


class HASet:
    """A master, its replicas and the sentinels watching it."""

    def __init__(self, start_server, tmp_path, sentinels_list):
        self.start_server = start_server
        self.tmp_path = tmp_path
        self.sentinels = sentinels_list
        self.master = None
        self.replicas = []

    def servers(self):
        return [self.master, *self.replicas]

    def by_port(self, port):
        return next(s for s in self.servers() if s.port == port)

    def add_sentinel(self, quorum=2, down_after=1000, failover_timeout=10000, extra="",
                     reference=False, args=()):
        n = len(self.sentinels)
        s = SentinelProcess(self.tmp_path / f"sentinel{n}",
                            sentinel_config(self.master.port, quorum, down_after,
                                            failover_timeout, extra=extra),
                            reference=reference, args=args)
        self.sentinels.append(s)
        return s

    def wait_discovered(self, timeout=30):
        """Every sentinel knows every replica and every other sentinel."""
        want_replicas = len(self.replicas)
        want_sentinels = len(self.sentinels) - 1

        def done():
            for s in self.sentinels:
                if not s.alive() or s.stopped:
                    continue
                info = s.master_info()
                if info["num-slaves"] < want_replicas or \
                        info["num-other-sentinels"] < want_sentinels:
                    return False
            return True
        wait_for(done, timeout, interval=0.1, what="discovery")

    def agreed_master(self):
        addrs = {s.master_addr() for s in self.sentinels if not s.stopped and s.alive()}
        return addrs.pop() if len(addrs) == 1 else None

    def wait_moved(self, old_port, timeout=15):
        """Waits until every sentinel names the same master, on another port than old_port;
        returns its address."""
        def moved():
            now = self.agreed_master()
            return now if now is not None and now[1] != old_port else None
        return wait_for(moved, timeout, what="every sentinel to name a new master")

    def wait_master(self, port, timeout=15):
        return wait_for(lambda: self.agreed_master() == ("127.0.0.1", port), timeout,
                        what=f"every sentinel to name port {port}")


def start_replica(start_server, master, *args, port=None):
    return start_server(["--replicaof", "127.0.0.1", master.port, *args], port=port)


def wait_online(master, n, timeout=20, password=None):
    def ok():
        info = master.client(password=password).info("replication")
        return sum(1 for k, v in info.items()
                   if k.startswith("slave") and isinstance(v, dict) and
                   v.get("state") == "online") >= n
    wait_for(ok, timeout, interval=0.05, what=f"{n} online replicas")


@pytest.fixture
def ha(start_server, tmp_path):
    """Factory: ha(replicas=2, sentinels=3, ...) -> HASet, discovered and ready. Sentinels are
    stopped afterwards with a check that they exit cleanly and logged no sanitizer report."""
    made = []

    def build(replicas=2, sentinels=3, quorum=2, down_after=1000, failover_timeout=10000,
              server_args=(), replica_args=(), sentinel_extra="", discover=True, password=None):
        h = HASet(start_server, tmp_path, [])
        made.append(h)
        server_args = ["--repl-diskless-sync-delay", "0", *server_args]
        h.master = start_server(list(server_args))
        for i in range(replicas):
            args = list(server_args) + list(replica_args[i] if replica_args else ())
            h.replicas.append(start_replica(start_server, h.master, *args))
        if replicas:
            wait_online(h.master, replicas, password=password)
        for _ in range(sentinels):
            h.add_sentinel(quorum, down_after, failover_timeout, extra=sentinel_extra)
        if discover:
            h.wait_discovered()
        return h

    yield build
    problems = [p for p in (s.finish() for h in made for s in h.sentinels) if p]
    assert not problems, "\n".join(problems)


class EventListener:
    """A pattern subscription to every event of one sentinel, read on demand."""

    def __init__(self, sentinel):
        self.client = sentinel.client()
        self.pubsub = self.client.pubsub()
        self.pubsub.psubscribe("*")
        self.events = []

    def poll(self, timeout=0.05):
        while True:
            m = self.pubsub.get_message(timeout=timeout)
            if m is None:
                return self.events
            if m["type"] == "pmessage":
                self.events.append((m["channel"], m["data"]))

    def wait(self, channel, timeout=15):
        def seen():
            self.poll()
            return [d for c, d in self.events if c == channel]
        return wait_for(seen, timeout, what=f"event {channel}")

    def close(self):
        self.pubsub.close()
        self.client.close()


# Sanitized builds are several times slower: generous bounds for what is timed.
SLOW = 3 if SANITIZED else 1
