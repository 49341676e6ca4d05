"""Traffic against a served model: steady load from many clients, slow clients, raw
requests. Every loop here is bounded in time and in count, and talks to loopback only."""

from __future__ import annotations

import json
import select
import socket
import statistics
import threading
import time
from dataclasses import dataclass, field

import httpx

#: Sessions the load clients take turns sending (desktop, mobile, tablet; short and long).
SESSIONS = [
    {"user_id": 1, "product_id": 2, "device": "desktop", "session_duration": 420.0,
     "page_views": 7},
    {"user_id": 3, "product_id": 1, "device": "mobile", "session_duration": 90.0,
     "page_views": 1},
    {"user_id": 2, "product_id": 5, "device": "tablet", "session_duration": 300.0,
     "page_views": 5},
]
#: No client sends more than this many requests, however fast the server answers.
MAX_REQUESTS_PER_CLIENT = 20_000


@dataclass
class LoadRun:
    """What steady traffic got back: answers, failures and latencies (seconds)."""

    seconds: float
    answered: int = 0
    failures: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)

    def percentile(self, q: int) -> float:
        return statistics.quantiles(self.latencies, n=100)[q - 1]

    def report(self, clients: int, rss_warm: int, rss_end: int) -> dict[str, float]:
        """The numbers a load test reports: volume, failures, latency, server memory."""
        return {"clients": clients, "seconds": self.seconds, "answered": self.answered,
                "failed": len(self.failures),
                "per_second": round(self.answered / self.seconds, 1),
                "p50_ms": round(self.percentile(50) * 1000, 1),
                "p99_ms": round(self.percentile(99) * 1000, 1),
                "rss_after_warm_up_mb": round(rss_warm / 2**20, 1),
                "rss_at_end_mb": round(rss_end / 2**20, 1)}


def steady_load(url: str, clients: int, seconds: float) -> LoadRun:
    """``clients`` threads, each asking for one prediction after another for ``seconds``."""
    run = LoadRun(seconds)
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(number: int) -> None:
        with httpx.Client(base_url=url, timeout=30) as http:
            for sent in range(MAX_REQUESTS_PER_CLIENT):
                if time.monotonic() >= deadline:
                    return
                started = time.perf_counter()
                try:
                    response = http.post("/predict", json=SESSIONS[(number + sent) % 3])
                    failure = None if response.status_code == 200 else \
                        f"HTTP {response.status_code}: {response.text[:200]}"
                except httpx.HTTPError as exc:
                    failure = f"{type(exc).__name__}: {exc}"
                with lock:
                    run.latencies.append(time.perf_counter() - started)
                    if failure:
                        run.failures.append(failure)
                    else:
                        run.answered += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return run


@dataclass(frozen=True)
class SlowClient:
    """What a client that trickled its request got back before the server let it go."""

    answer: bytes
    disconnected: bool


#: Slow clients: half trickle their headers, half their body, one byte per pace.
_HEAD = b"POST /predict HTTP/1.1\r\nHost: mmp\r\n"
_BODY = json.dumps(SESSIONS[0]).encode()
_HEAD_WITH_BODY = (b"POST /predict HTTP/1.1\r\nHost: mmp\r\nContent-Type: application/json\r\n"
                   b"Content-Length: %d\r\n\r\n" % len(_BODY))


def trickle(host: str, port: int, index: int, pace: float, give_up: float,
            connected: threading.Barrier) -> SlowClient:
    """Send a request one byte per ``pace`` seconds until the server answers or closes;
    wait at ``connected`` once the connection is open."""
    with socket.create_connection((host, port), timeout=give_up) as sock:
        connected.wait(timeout=give_up)
        if index % 2:  # the body trickles, after complete headers
            sock.sendall(_HEAD_WITH_BODY)
            pending = _BODY + b" " * 10_000
        else:  # the headers trickle
            pending = _HEAD + b"X-Slow: " + b"z" * 10_000
        deadline = time.monotonic() + give_up
        answer = b""
        while time.monotonic() < deadline:
            readable, _, _ = select.select([sock], [], [], pace)
            if readable:
                chunk = _read(sock)
                if not chunk:
                    return SlowClient(answer, disconnected=True)
                answer += chunk
            elif pending and not answer:
                try:
                    sock.send(pending[:1])
                except OSError:  # closed by the server between two bytes
                    return SlowClient(answer + _read(sock), disconnected=True)
                pending = pending[1:]
        return SlowClient(answer, disconnected=False)


def _read(sock: socket.socket) -> bytes:
    try:
        return sock.recv(65536)
    except ConnectionResetError:
        return b""


def raw_request(host: str, port: int, head: bytes, body: bytes = b"") -> bytes:
    """Send ``head`` (and ``body``), then read the answer until the server has sent it."""
    with socket.create_connection((host, port), timeout=30) as sock:
        sock.sendall(head + body)
        answer = b""
        while b"\r\n\r\n" not in answer or len(answer.partition(b"\r\n\r\n")[2]) < \
                _content_length(answer):
            chunk = _read(sock)
            if not chunk:
                break
            answer += chunk
        return answer


def _content_length(answer: bytes) -> int:
    for line in answer.partition(b"\r\n\r\n")[0].split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 0


def status_and_body(answer: bytes) -> tuple[int, dict]:
    """The status code and JSON body of a raw HTTP answer."""
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), json.loads(body or b"{}")
