#!/usr/bin/python3
"""Failover time, side by side: tessera-sentinel watching tessera-server against Debian's Redis
Sentinel (`redis-server --sentinel`) watching redis-server, in the same topology on loopback:
a master, two replicas, three sentinels with down-after-milliseconds 1000 (quorum 2).

One sample: a fresh topology is started and discovered, the master gets SIGKILL at a random
moment of the ping cycle, and the clock runs until every sentinel answers the same new address
to SENTINEL GET-MASTER-ADDR-BY-NAME and a SET on that address succeeds. The two systems
alternate round by round. Prints p50/p90/p99/max per system and the tessera/redis ratio.

    tests/bench/failover.py [ROUNDS]       (default 20; TESSERA_BIN_DIR=build/release)
Not part of the test run."""
import os
import pathlib
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

import redis

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = pathlib.Path(os.environ.get("TESSERA_BIN_DIR", ROOT / "build" / "release"))
SERVER = {"tessera": [str(BIN / "server" / "tessera-server")], "redis": ["redis-server"]}
NAME = "mymaster"
DOWN_AFTER = 1000


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


class Topology:
    def __init__(self, kind, base_port, work):
        self.kind, self.work, self.procs = kind, work, []
        self.ports = [base_port, base_port + 1, base_port + 2]
        self.sentinel_ports = [base_port + 100, base_port + 101, base_port + 102]

    def spawn(self, cmd, name):
        out = open(self.work / f"{name}.log", "wb")
        p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=self.work,
                             start_new_session=True)
        self.procs.append(p)
        return p

    @staticmethod
    def wait_ping(port, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                if redis.Redis(port=port, socket_timeout=1).ping():
                    return
            except redis.RedisError:
                time.sleep(0.02)
        raise RuntimeError(f"nothing answers on {port}")

    def start(self):
        for i, port in enumerate(self.ports):
            d = self.work / f"s{port}"
            d.mkdir()
            cmd = SERVER[self.kind] + ["--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                       "--appendonly", "no", "--dir", str(d),
                                       "--repl-diskless-sync-delay", "0"]
            if i > 0:
                cmd += ["--replicaof", "127.0.0.1", str(self.ports[0])]
            proc = self.spawn(cmd, f"server-{port}")
            if i == 0:
                self.master_proc = proc
            self.wait_ping(port)
        m = redis.Redis(port=self.ports[0])
        deadline = time.time() + 20
        while m.info("replication").get("connected_slaves", 0) < 2:
            if time.time() > deadline:
                raise RuntimeError("replicas did not connect")
            time.sleep(0.05)
        for port in self.sentinel_ports:
            conf = self.work / f"sentinel-{port}.conf"
            conf.write_text(f"port {port}\nbind 127.0.0.1\ndir {self.work}\n"
                            f"sentinel monitor {NAME} 127.0.0.1 {self.ports[0]} 2\n"
                            f"sentinel down-after-milliseconds {NAME} {DOWN_AFTER}\n"
                            f"sentinel failover-timeout {NAME} 10000\n")
            cmd = ["redis-server", str(conf), "--sentinel"] if self.kind == "redis" else \
                [str(BIN / "sentinel" / "tessera-sentinel"), str(conf)]
            self.spawn(cmd, f"sentinel-{port}")
            self.wait_ping(port)
        deadline = time.time() + 30
        while not self.discovered():
            if time.time() > deadline:
                raise RuntimeError(f"{self.kind}: discovery did not finish")
            time.sleep(0.1)

    def discovered(self):
        for port in self.sentinel_ports:
            m = redis.Redis(port=port, decode_responses=True).sentinel_master(NAME)
            if m["num-slaves"] < 2 or m["num-other-sentinels"] < 2:
                return False
        return True

    def failover_seconds(self):
        clients = [redis.Redis(port=p, decode_responses=True, socket_timeout=1)
                   for p in self.sentinel_ports]
        old = ("127.0.0.1", str(self.ports[0]))
        time.sleep(random.uniform(0, 1))  # a random moment of the sentinels' ping cycle
        os.kill(self.master_proc.pid, signal.SIGKILL)
        t0 = time.monotonic()
        writer = None
        while time.monotonic() - t0 < 60:
            addrs = set()
            for c in clients:
                try:
                    addrs.add(tuple(c.execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME",
                                                      NAME)))
                except redis.RedisError:
                    addrs.add(None)
            if len(addrs) == 1 and None not in addrs and old not in addrs:
                host, port = addrs.pop()
                if writer is None or writer.connection_pool.connection_kwargs["port"] != int(port):
                    writer = redis.Redis(host=host, port=int(port), socket_timeout=1)
                try:
                    if writer.set("failover-probe", "1"):
                        return time.monotonic() - t0
                except redis.RedisError:
                    pass
            time.sleep(0.002)
        raise RuntimeError(f"{self.kind}: no failover within 60 s")

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            p.wait()


def sample(kind, base_port):
    work = pathlib.Path(tempfile.mkdtemp(prefix=f"tessera-failover-{kind}-"))
    t = Topology(kind, base_port, work)
    try:
        t.start()
        return t.failover_seconds()
    finally:
        t.stop()
        shutil.rmtree(work, ignore_errors=True)


def pct(values, p):
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(round(p / 100 * len(s) + 0.5)) - 1))
    return s[k]


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    results = {"tessera": [], "redis": []}
    for r in range(rounds):
        order = ["tessera", "redis"] if r % 2 == 0 else ["redis", "tessera"]
        for kind in order:
            secs = sample(kind, 18100 if kind == "tessera" else 18300)
            results[kind].append(secs)
            log(f"round {r + 1}/{rounds} {kind}: {secs:.3f} s")
    print(f"failover time, kill -9 of the master -> every sentinel names the new master and it "
          f"takes a SET ({rounds} rounds, down-after-milliseconds {DOWN_AFTER})")
    print("| system | p50 s | p90 s | p99 s | max s | mean s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for kind in ("tessera", "redis"):
        v = results[kind]
        print(f"| {kind} | {pct(v, 50):.3f} | {pct(v, 90):.3f} | {pct(v, 99):.3f} | "
              f"{max(v):.3f} | {statistics.mean(v):.3f} |")
    print(f"tessera/redis p50 ratio: {pct(results['tessera'], 50) / pct(results['redis'], 50):.2f}")


if __name__ == "__main__":
    main()
