"""Wall time and peak memory (this process and its children) of a benchmark step."""

from __future__ import annotations

import resource
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psutil


@dataclass
class Measurement:
    seconds: float = 0.0
    peak_rss_mb: float = 0.0


@contextmanager
def measure() -> Iterator[Measurement]:
    """Sample RSS every 50 ms (ru_maxrss alone cannot be reset between steps)."""
    result = Measurement()
    proc = psutil.Process()
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            result.peak_rss_mb = max(result.peak_rss_mb, proc.memory_info().rss / 2**20)
            stop.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    start = time.perf_counter()
    try:
        yield result
    finally:
        result.seconds = time.perf_counter() - start
        stop.set()
        sampler.join()
        result.peak_rss_mb = max(result.peak_rss_mb, proc.memory_info().rss / 2**20)


def process_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
