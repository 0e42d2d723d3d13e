"""A bounded local load generator for bench/bench_publish.py: visits per second of a static site or a Streamlit page.

Static visits (:func:`static_load`): :data:`CLIENTS` concurrent visitors for :data:`LOAD_SECONDS` s, each visit
a new connection fetching, in turn, the files a first view fetches (gzip accepted). Streamlit visits
(:func:`socket_load`): :data:`SOCKET_CLIENTS` concurrent WebSocket sessions for :data:`SOCKET_SECONDS` s, each
running the page's script once, as a browser's visit does.

The load generator runs on the same cores as the server it measures: its figures are floors.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass

CLIENTS = 16
LOAD_SECONDS = 10.0
SOCKET_CLIENTS = 8
SOCKET_SECONDS = 20.0


@dataclass
class Load:
    """The visits a load test completed in ``seconds``, each one's duration, and the visits that failed."""

    visits: int
    seconds: float
    latencies: list[float]
    errors: int = 0

    @property
    def rate(self) -> float:
        return self.visits / self.seconds

    def summary(self) -> str:
        if not self.latencies:
            return f"aucune visite réussie ({self.errors} erreurs)"
        quantiles = statistics.quantiles(self.latencies, n=20) if len(self.latencies) > 1 else self.latencies * 19
        middle = statistics.median(self.latencies)
        return (f"{self.rate:,.1f} visites/s ; durée d'une visite : médiane {middle:.3f} s, "
                f"p95 {quantiles[18]:.3f} s" + (f" ; {self.errors} erreurs" if self.errors else ""))


async def _fetch_visit(host: str, port: int, paths: list[str], prefix: str) -> None:
    """One visit: a new connection, the first view's files in turn (reconnecting when the server closes)."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        for path in paths:
            writer.write(f"GET {prefix}{path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept-Encoding: gzip\r\n"
                         "Connection: keep-alive\r\n\r\n".encode())
            await writer.drain()
            status = await reader.readline()
            if b" 200 " not in status:
                raise OSError(status.decode(errors="replace").strip())
            length, closing = 0, status.startswith(b"HTTP/1.0")
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode().partition(":")
                if name.lower() == "content-length":
                    length = int(value)
                if name.lower() == "connection" and "close" in value.lower():
                    closing = True
            await reader.readexactly(length)
            if closing:
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
    finally:
        writer.close()


async def _load(visit, clients: int, seconds: float) -> Load:
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def client() -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            try:
                await visit()
                latencies.append(time.perf_counter() - start)
            except (OSError, asyncio.IncompleteReadError, ConnectionError):
                errors += 1

    began = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return Load(len(latencies), time.perf_counter() - began, latencies, errors)


def _run(coroutine) -> Load:
    """Run a load test on an event loop of its own thread (Playwright's synchronous API holds this one's)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def static_load(url: str, paths: list[str], prefix: str) -> Load:
    host, port = url.removeprefix("http://").split(":")
    return _run(_load(lambda: _fetch_visit(host, int(port), paths, prefix), CLIENTS, LOAD_SECONDS))


async def _socket_visit(url: str, query: str) -> None:
    """One visit of a Streamlit page: a session whose script runs once, until the server says it finished."""
    import websockets
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    async with websockets.connect(url.replace("http", "ws") + "/_stcore/stream", subprotocols=["streamlit"],
                                  max_size=None) as socket:
        message = BackMsg()
        message.rerun_script.query_string = query
        await socket.send(message.SerializeToString())
        while True:
            received = ForwardMsg()
            received.ParseFromString(await socket.recv())
            if received.WhichOneof("type") == "script_finished":
                return


def socket_load(url: str, query: str) -> Load:
    return _run(_load(lambda: _socket_visit(url, query), SOCKET_CLIENTS, SOCKET_SECONDS))
