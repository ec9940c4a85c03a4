"""Conflict rules of the clustering, on hand-built graphs: each test fails if its rule is removed."""

from __future__ import annotations

from immigrationos.resolution.clustering import SSN_MEETS_ITIN, ConstrainedUnionFind, Edge

IDS = {
    1: {"a_number": {"111111111"}},
    2: {},
    3: {"a_number": {"222222222"}},
    4: {"fin": {"9"}},
    5: {"fin": {"8"}},
}


def fuzzy(a: int, b: int, p: float = 0.9999) -> Edge:
    return Edge(3, -p, a, b, "probabilistic", "test", p)


def test_a_chain_of_fuzzy_links_never_joins_two_a_numbers() -> None:
    uf = ConstrainedUnionFind(IDS)
    uf.apply([fuzzy(1, 2), fuzzy(2, 3)])
    assert uf.find(1) == uf.find(2)
    assert uf.find(3) != uf.find(1)
    assert [r.reason for r in uf.refused] == ["would join different a_number"]


def test_the_stronger_link_wins_whatever_the_input_order() -> None:
    for edges in ([fuzzy(1, 2, 0.99991), fuzzy(2, 3, 0.99999)], [fuzzy(2, 3, 0.99999), fuzzy(1, 2, 0.99991)]):
        uf = ConstrainedUnionFind(IDS)
        uf.apply(edges)
        assert uf.find(2) == uf.find(3) != uf.find(1)


def test_a_fingerprint_link_joins_despite_different_a_numbers_and_flags_it() -> None:
    uf = ConstrainedUnionFind(IDS)
    uf.apply([Edge(1, -1.0, 1, 3, "fin", "shared fin")])
    assert uf.find(1) == uf.find(3)
    assert "a_number" in uf.flags[0].reason


def test_two_fingerprints_are_never_joined_by_a_fuzzy_link() -> None:
    uf = ConstrainedUnionFind(IDS)
    uf.apply([fuzzy(4, 5)])
    assert uf.find(4) != uf.find(5)


def test_a_steward_separation_blocks_any_chain() -> None:
    uf = ConstrainedUnionFind({}, separated=[(10, 12)])
    uf.apply([fuzzy(10, 11), fuzzy(11, 12)])
    assert uf.find(10) == uf.find(11) != uf.find(12)
    assert uf.refused[0].reason == "a steward separated these records"


def test_a_steward_link_joins_even_different_identifiers() -> None:
    uf = ConstrainedUnionFind(IDS)
    uf.apply([Edge(0, -1.0, 1, 3, "steward", "steward decision")])
    assert uf.find(1) == uf.find(3)


def identifier(a: int, b: int, kind: str) -> Edge:
    return Edge(2, -1.0, a, b, "identifier", kind)


TYPO_IDS = {
    1: {"a_number": {"012345678"}, "passport": {"MEX:X1"}},
    2: {"a_number": {"012345687"}, "passport": {"MEX:X1"}},  # last two digits swapped
    3: {"a_number": {"012345679"}, "ssn": {"123456789"}},
    4: {"a_number": {"012345671"}, "ssn": {"123456789"}},  # one digit off, but tied only by an SSN
    5: {"a_number": {"099999999"}, "passport": {"MEX:X1"}},  # a different A-number altogether
}


def test_an_a_number_typo_on_records_sharing_a_passport_is_joined_and_flagged() -> None:
    uf = ConstrainedUnionFind(TYPO_IDS)
    uf.apply([identifier(1, 2, "passport"), identifier(3, 4, "ssn"), identifier(1, 5, "passport")])
    assert uf.find(1) == uf.find(2)
    assert [f.reason for f in uf.flags] == ["A-numbers one typo apart, joined on a shared passport"]
    assert uf.find(3) != uf.find(4)  # an SSN is not enough to call a different A-number a typo
    assert uf.find(5) != uf.find(1)  # nor is a passport for an A-number that is not one typo away
    assert len(uf.refused) == 2


def test_a_probable_link_never_puts_an_ssn_and_an_itin_in_one_person() -> None:
    """The chain 1 - 2 - 3 would give one person the SSN of 1 and the ITIN of 3."""
    ids = {1: {"ssn": {"123456789"}}, 2: {}, 3: {"itin": {"912345678"}}, 4: {"itin": {"912345678"}}}
    uf = ConstrainedUnionFind(ids)
    uf.apply([fuzzy(1, 2, 0.99999), fuzzy(2, 3)])
    assert uf.find(1) == uf.find(2) != uf.find(3)
    assert [r.reason for r in uf.refused] == [SSN_MEETS_ITIN]
    uf = ConstrainedUnionFind(ids)
    uf.apply([identifier(1, 3, "passport"), fuzzy(1, 4)])  # an identifier may; then the ITIN is no news
    assert uf.find(1) == uf.find(3) == uf.find(4)
    assert not uf.refused
