"""The one rule every workflow of the system shares: a step the state machine does not allow is refused,
with the states it could take instead."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TypeVar

from immigrationos.errors import TransitionError

S = TypeVar("S", bound=StrEnum)


def require_transition(
    noun: str, ident: object, current: S, to: S, allowed: Mapping[S, frozenset[S]], why: str = ""
) -> S:
    """``current`` if ``to`` may follow it; otherwise a TransitionError naming what may."""
    if to not in allowed[current]:
        options = ", ".join(sorted(s.value for s in allowed[current])) or f"nothing (the {noun} is closed)"
        raise TransitionError(
            f"{noun} {ident} is {current.value}: it cannot become {to.value}{why}; "
            f"from {current.value} it may become {options}"
        )
    return current
