"""The true facts of a chunk of persons: one numpy column per fact, dates as datetime64[D].

Everything a source later reports is derived from these columns, so the ground truth and the records
can never disagree about what really happened.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from immigrationos.synth.params import WorldParams

NAT = np.datetime64("NaT", "D")
DAY = np.timedelta64(1, "D")


@dataclass
class Facts:
    """Columns of true facts for ``n`` persons; missing dates are NaT, missing strings None."""

    n: int
    as_of: np.datetime64
    rng: np.random.Generator
    params: WorldParams
    cols: dict[str, np.ndarray] = field(default_factory=dict)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.cols[name]

    def __setitem__(self, name: str, values: np.ndarray) -> None:
        self.cols[name] = values

    def dates(self, *names: str) -> None:
        """Create empty date columns."""
        for name in names:
            self.cols[name] = np.full(self.n, NAT, dtype="datetime64[D]")

    def strings(self, *names: str) -> None:
        """Create empty string columns."""
        for name in names:
            self.cols[name] = np.full(self.n, None, dtype=object)

    def flags(self, *names: str) -> None:
        """Create all-false boolean columns."""
        for name in names:
            self.cols[name] = np.zeros(self.n, dtype=bool)

    def chance(self, p: float | np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        """Boolean draw per person with probability ``p``, false outside ``mask``."""
        hit = self.rng.random(self.n) < p
        return hit if mask is None else hit & mask

    def days_before(self, anchor: np.ndarray | np.datetime64, lo: int, hi: int) -> np.ndarray:
        """Dates uniformly between ``hi`` and ``lo`` days before ``anchor``."""
        return anchor - self.rng.integers(lo, hi + 1, self.n) * DAY

    def days_after(self, anchor: np.ndarray | np.datetime64, lo: int, hi: int) -> np.ndarray:
        """Dates uniformly between ``lo`` and ``hi`` days after ``anchor``."""
        return anchor + self.rng.integers(lo, hi + 1, self.n) * DAY

    def between(self, earliest: np.ndarray | np.datetime64, latest: np.ndarray | np.datetime64) -> np.ndarray:
        """Dates uniform between two bounds per person; the latest bound wins where they cross."""
        lo = np.broadcast_to(np.asarray(earliest, dtype="datetime64[D]"), (self.n,))
        hi = np.broadcast_to(np.asarray(latest, dtype="datetime64[D]"), (self.n,))
        span = np.maximum((hi - lo).astype(np.int64), 0)
        return np.asarray(hi - (self.rng.random(self.n) * (span + 1)).astype(np.int64) * DAY)

    def after_birth(self, years: float) -> np.ndarray:
        """The date a person reaches an age: the earliest a life event can happen."""
        return np.asarray(self.cols["dob"] + int(years * 365.25) * DAY)

    def put(self, name: str, mask: np.ndarray, values: np.ndarray | object) -> None:
        """Set ``name`` where ``mask`` holds, from a full-length array or a scalar."""
        column = self.cols[name]
        column[mask] = values[mask] if isinstance(values, np.ndarray) else values


def bijective_codes(index: np.ndarray, modulus: int, multiplier: int, offset: int) -> np.ndarray:
    """Map distinct indices to distinct pseudo-random codes below ``modulus`` (an affine bijection).

    Identifiers must be unique and must not reveal the person's index (record ids leaking the
    person would let entity resolution cheat); an affine map with a multiplier coprime to the
    modulus gives both without a collision check.
    """
    idx = index.astype(object) if modulus > 2**31 else index.astype(np.int64)
    return np.asarray((idx * multiplier + offset) % modulus)


def digits(codes: np.ndarray, width: int) -> np.ndarray:
    """Zero-padded decimal strings of integer codes."""
    return np.array([str(int(c)).zfill(width) for c in codes], dtype=object)


def choose(condition: Any, yes: Any, no: Any) -> np.ndarray:
    """``np.where`` for object columns, where ``None`` stands for a missing value."""
    return np.asarray(np.where(condition, yes, no), dtype=object)
