"""Clustering with conflict rules: a union-find that refuses merges the evidence forbids.

Edges are applied strongest first (steward links, fingerprints, corroborated identifiers, then
probabilistic links by probability). A merge is refused, and sent to review, when it would put two
different strong identifiers of one kind into one person (unless the edge itself is a fingerprint or a
steward's decision, which may only flag it), or join two records a steward has separated. A probable link
is also refused when it would put an SSN and an ITIN in one person: the IRS issues an ITIN only to a
person without an SSN, so only a human may decide that one person held both. One exception:
two A-numbers one typo apart on records that share a passport are a typo, joined and flagged. Applying edges
in a total order (strength, then record keys) makes the result independent of load order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

CONFLICT_KINDS = ("a_number", "fin", "ssn", "fbi_number", "passport")
IDENTITY_KINDS = (*CONFLICT_KINDS, "itin")  # what a component carries: its conflicts, and the ITIN
# A passport is renewed under a new number, so only fuzzy links treat two passports as two persons.
FLAG_ONLY_TIERS = {
    "steward": set(CONFLICT_KINDS),
    "fin": {"a_number", "ssn", "fbi_number", "passport"},
    "identifier": {"passport"},
}
SSN_MEETS_ITIN = (
    "would put an SSN and an ITIN in one person: an ITIN is issued only to a person without an SSN"
)


def one_typo_apart(a: str, b: str) -> bool:
    """Same length, and one digit different or two neighbouring digits swapped."""
    if len(a) != len(b) or a == b:
        return False
    diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
    return len(diff) == 1 or (
        len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
    )


def typo_only(left: set[str], right: set[str]) -> bool:
    """Every value on one side is a typo of a value on the other (a mistyped A-number, not another one)."""
    return all(any(one_typo_apart(x, y) for y in left) for x in right)


@dataclass(frozen=True, order=True)
class Edge:
    """A proposed link between two records, with the tier and rule that produced it."""

    rank: int  # lower applies first
    strength: float  # within a rank, higher applies first (stored negated for sorting)
    left: int
    right: int
    tier: str = field(compare=False)
    rule: str = field(compare=False)
    probability: float = field(compare=False, default=1.0)


@dataclass
class Refusal:
    edge: Edge
    reason: str


@dataclass
class Flag:
    edge: Edge
    reason: str


class ConstrainedUnionFind:
    """Union-find over record keys, carrying each component's identifier values and separations."""

    def __init__(
        self, identifiers: dict[int, dict[str, set[str]]], separated: Iterable[tuple[int, int]] = ()
    ) -> None:
        self.parent: dict[int, int] = {}
        self.ids: dict[int, dict[str, set[str]]] = {}
        self.size: dict[int, int] = {}
        self._identifiers = identifiers
        self.apart: dict[int, set[int]] = {}
        for a, b in separated:
            self.apart.setdefault(a, set()).add(b)
            self.apart.setdefault(b, set()).add(a)
        self.refused: list[Refusal] = []
        self.flags: list[Flag] = []

    def find(self, key: int) -> int:
        parent = self.parent.setdefault(key, key)
        if parent == key:
            if key not in self.ids:
                self.ids[key] = {k: set(v) for k, v in self._identifiers.get(key, {}).items()}
                self.size[key] = 1
            return key
        root = self.find(parent)
        self.parent[key] = root
        return root

    def _members_apart(self, a: int, b: int) -> bool:
        """Whether any record of component ``a`` was separated from one of component ``b``."""
        for member, others in self.apart.items():
            if self.find(member) == a and any(self.find(o) == b for o in others):
                return True
        return False

    def _conflicts(self, a: int, b: int) -> set[str]:
        ia, ib = self.ids[a], self.ids[b]
        return {k for k in CONFLICT_KINDS if ia.get(k) and ib.get(k) and not ia[k] & ib[k]}

    def _ssn_meets_itin(self, a: int, b: int) -> bool:
        """One side holds an SSN and no ITIN, the other an ITIN and no SSN."""
        ia, ib = self.ids[a], self.ids[b]
        return any(
            x.get("ssn") and y.get("itin") and not x.get("itin") and not y.get("ssn")
            for x, y in ((ia, ib), (ib, ia))
        )

    def union(self, edge: Edge) -> bool:
        a, b = self.find(edge.left), self.find(edge.right)
        if a == b:
            return True
        if self.apart and self._members_apart(a, b):
            self.refused.append(Refusal(edge, "a steward separated these records"))
            return False
        conflicts = self._conflicts(a, b)
        if (
            conflicts == {"a_number"}
            and edge.tier == "identifier"
            and edge.rule == "passport"
            and typo_only(self.ids[a]["a_number"], self.ids[b]["a_number"])
        ):  # one passport, an A-number typed one digit wrong: the passport decides, the typo is flagged
            conflicts = set()
            self.flags.append(Flag(edge, "A-numbers one typo apart, joined on a shared passport"))
        if conflicts - FLAG_ONLY_TIERS.get(edge.tier, set()):
            self.refused.append(Refusal(edge, f"would join different {', '.join(sorted(conflicts))}"))
            return False
        if edge.tier == "probabilistic" and self._ssn_meets_itin(a, b):
            self.refused.append(Refusal(edge, SSN_MEETS_ITIN))
            return False
        if conflicts:
            self.flags.append(Flag(edge, f"joined despite different {', '.join(sorted(conflicts))}"))
        if self.size[a] < self.size[b]:
            a, b = b, a
        self.parent[b] = a
        self.size[a] += self.size.pop(b)
        merged = self.ids.pop(b)
        for kind, values in merged.items():
            self.ids[a].setdefault(kind, set()).update(values)
        return True

    def apply(self, edges: Iterable[Edge]) -> list[Edge]:
        """Apply edges in their total order; returns the ones that merged or confirmed a link."""
        return [e for e in sorted(edges) if self.union(e)]

    def components(self, keys: Iterable[int]) -> dict[int, int]:
        """Record key -> component root, for every key (singletons included)."""
        return {k: self.find(k) for k in keys}
