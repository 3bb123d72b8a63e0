"""Load test of the REST API on loopback: N clients submit small runs and poll them to the end.

Starts its own server (``gramabm serve`` on 127.0.0.1, a fresh data directory, a random API key),
runs ``--clients`` threads that each submit ``--runs`` tiny simulations one after another and poll
each until it finishes, then stops the server. Everything is bounded: at most 32 clients, 50 runs
each, and ``--time-limit`` seconds in all (work still in flight then is counted as an error).

Prints HTTP latency (p50/p95 of every request, and of submissions alone), job turnaround
(submit → finished), throughput (finished runs and requests per second) and errors; with
``--json`` the last line is one JSON object with the same figures.

    .venv/bin/python benchmarks/bench_api.py --clients 4 --runs 3
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np

HOST = "127.0.0.1"
MAX_CLIENTS = 32
MAX_RUNS = 50
MAX_SECONDS = 900.0
POLL_INTERVAL = 0.1

SERVER = """
import sys
from pathlib import Path
from gramabm.cli.serve import serve
serve(host=sys.argv[1], port=int(sys.argv[2]), data_dir=Path(sys.argv[3]), log_level="warning")
"""


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    submits: list[float] = field(default_factory=list)
    turnarounds: list[float] = field(default_factory=list)
    requests: int = 0
    finished: int = 0
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def request(self, seconds: float, submit: bool = False) -> None:
        with self.lock:
            self.requests += 1
            self.latencies.append(seconds)
            if submit:
                self.submits.append(seconds)

    def error(self, text: str) -> None:
        with self.lock:
            self.errors.append(text)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def start_server(port: int, data_dir: Path, key: str, workers: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "GRAMABM_API_KEY": key, "GRAMABM_WORKERS": str(workers)}
    env.pop("GRAMABM_DASK_ADDRESS", None)
    return subprocess.Popen(
        [sys.executable, "-c", SERVER, HOST, str(port), str(data_dir)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def wait_ready(base: str, server: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"server exited: {server.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
        try:
            if httpx.get(f"{base}/ready", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server not ready after {timeout} s")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    server.terminate()  # uvicorn shuts down cleanly on SIGTERM (jobs marked interrupted)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def client_loop(
    base: str, key: str, runs: int, body: dict[str, Any], deadline: float, tally: Tally
) -> None:
    with httpx.Client(base_url=base, timeout=30, headers={"X-API-Key": key}) as client:
        for i in range(runs):
            if time.monotonic() > deadline:
                tally.error("time limit reached before submitting")
                return
            start = time.perf_counter()
            try:
                response = client.post("/simulations", json={**body, "seed": i})
            except httpx.HTTPError as exc:
                tally.error(f"submit: {exc}")
                continue
            tally.request(time.perf_counter() - start, submit=True)
            if response.status_code != 202:
                tally.error(f"submit: HTTP {response.status_code}")
                continue
            job_id = response.json()["id"]
            poll(client, job_id, start, deadline, tally)


def poll(client: httpx.Client, job_id: str, started: float, deadline: float, tally: Tally) -> None:
    while time.monotonic() < deadline:
        t0 = time.perf_counter()
        try:
            response = client.get(f"/simulations/{job_id}")
        except httpx.HTTPError as exc:
            tally.error(f"poll: {exc}")
            return
        tally.request(time.perf_counter() - t0)
        if response.status_code != 200:
            tally.error(f"poll: HTTP {response.status_code}")
            return
        status = response.json()["status"]
        if status == "succeeded":
            with tally.lock:
                tally.finished += 1
                tally.turnarounds.append(time.perf_counter() - started)
            return
        if status not in ("queued", "running"):
            tally.error(f"job {status}")
            return
        time.sleep(POLL_INTERVAL)
    tally.error("time limit reached while polling")


def pct(values: list[float], q: float) -> float | None:
    return float(np.percentile(values, q)) if values else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--runs", type=int, default=3, help="runs per client")
    parser.add_argument("--holders", type=int, default=200)
    parser.add_argument("--steps", type=int, default=48)
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument("--time-limit", type=float, default=180.0, help="seconds in all")
    parser.add_argument("--json", action="store_true", help="end with one JSON object")
    args = parser.parse_args(argv)
    if not 1 <= args.clients <= MAX_CLIENTS:
        parser.error(f"--clients must be 1..{MAX_CLIENTS}")
    if not 1 <= args.runs <= MAX_RUNS:
        parser.error(f"--runs must be 1..{MAX_RUNS}")
    if not 0 < args.time_limit <= MAX_SECONDS:
        parser.error(f"--time-limit must be in (0, {MAX_SECONDS:g}]")

    key = secrets.token_hex(16)
    port = free_port()
    base = f"http://{HOST}:{port}"
    body = {"holders": args.holders, "steps": args.steps}
    tally = Tally()
    with tempfile.TemporaryDirectory(prefix="gramabm-bench-api-") as tmp:
        server = start_server(port, Path(tmp), key, args.workers)
        try:
            wait_ready(base, server, timeout=120)
            started = time.perf_counter()
            deadline = time.monotonic() + args.time_limit
            threads = [
                threading.Thread(
                    target=client_loop, args=(base, key, args.runs, body, deadline, tally)
                )
                for _ in range(args.clients)
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            wall = time.perf_counter() - started
        finally:
            stop_server(server)

    result = {
        "clients": args.clients,
        "runs_per_client": args.runs,
        "holders": args.holders,
        "steps": args.steps,
        "server_workers": args.workers,
        "wall_s": round(wall, 3),
        "requests": tally.requests,
        "runs_finished": tally.finished,
        "errors": len(tally.errors),
        "error_kinds": sorted(set(tally.errors)),
        "latency_p50_ms": _ms(pct(tally.latencies, 50)),
        "latency_p95_ms": _ms(pct(tally.latencies, 95)),
        "submit_p50_ms": _ms(pct(tally.submits, 50)),
        "submit_p95_ms": _ms(pct(tally.submits, 95)),
        "turnaround_p50_s": _round(pct(tally.turnarounds, 50)),
        "turnaround_p95_s": _round(pct(tally.turnarounds, 95)),
        "runs_per_s": round(tally.finished / wall, 3) if wall else 0.0,
        "requests_per_s": round(tally.requests / wall, 1) if wall else 0.0,
    }
    print(
        f"{args.clients} clients × {args.runs} runs ({args.holders} holders × {args.steps} steps), "
        f"{args.workers} server workers, {wall:.1f} s"
    )
    print(
        f"HTTP latency p50 {result['latency_p50_ms']} ms, p95 {result['latency_p95_ms']} ms "
        f"(submit p50 {result['submit_p50_ms']} ms, p95 {result['submit_p95_ms']} ms)"
    )
    print(
        f"turnaround p50 {result['turnaround_p50_s']} s, p95 {result['turnaround_p95_s']} s; "
        f"throughput {result['runs_per_s']} runs/s, {result['requests_per_s']} requests/s"
    )
    print(f"finished {tally.finished}, errors {len(tally.errors)} {result['error_kinds'] or ''}")
    if args.json:
        print(json.dumps(result))
    return 0 if not tally.errors else 1


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(1000 * seconds, 2)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


if __name__ == "__main__":
    sys.exit(main())
