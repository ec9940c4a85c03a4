"""Splink behind one small adapter: train (or load) the model, score profile pairs, hold risky links.

The model is trained without labels, as an agency must: u by random sampling; m by expectation
maximisation on record pairs that share an SSN or an A-number (almost always the same person, so
they show how names, birth dates and addresses vary within a person) and on pairs sharing name and
birth date (which show how often identifiers differ). It is saved as JSON beside the store and
reused, so person ids stay stable between runs until an operator retrains.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from splink import DuckDBAPI, Linker

from immigrationos.resolution import model
from immigrationos.resolution.clustering import CONFLICT_KINDS, IDENTITY_KINDS
from immigrationos.resolution.deterministic import dob_compatible
from immigrationos.resolution.profiles import PROFILES, RECORD_PROFILE
from immigrationos.resolution.reasons import FITS_TWO_PERSONS, SHARED_DESCRIPTION
from immigrationos.resolution.records import RECORDS, sound
from immigrationos.store.engine import Store

if TYPE_CHECKING:
    from immigrationos.resolution.pipeline import ResolveOptions

TRAINING_SAMPLE_PERCENT = 35
EM_RULES = (
    "l.ssn = r.ssn",
    "l.a_number = r.a_number",
    "l.dob = r.dob AND l.family1 = r.family1 AND l.given1 = r.given1",
)
LAMBDA_RULE = "l.dob = r.dob AND l.given_joined = r.given_joined AND l.family_joined = r.family_joined"
CANDIDATES = "res_candidate_links"
GROUP_FACTS = "_res_group_facts"
BIRTH_DATE_SPREAD_DAYS = 400  # a wrong day, or a year off by one with a wrong day: one person's spread


class SplinkEngine:
    """Training and prediction on the store's DuckDB connection."""

    def __init__(self, store: Store, home: Path, options: ResolveOptions) -> None:
        self.store = store
        self.options = options
        self.model_path = options.model_path or home / "resolution_model.json"
        self.db_api = DuckDBAPI(connection=store.conn)
        self.model_version = ""

    def ensure_model(self, *, retrain: bool) -> dict[str, Any]:
        if retrain or not self.model_path.exists():
            self.train()
        spec: dict[str, Any] = json.loads(self.model_path.read_text(encoding="utf-8"))
        self.model_version = hashlib.sha256(self.model_path.read_bytes()).hexdigest()[:12]
        return spec

    def train(self) -> None:
        self.store.execute(f"""CREATE OR REPLACE TEMP TABLE _train_records AS
            SELECT node AS profile_id, * EXCLUDE (node), {sound("given1")} AS given_sound,
                   {sound("family1")} AS family_sound  -- the blocking rules name them: Splink checks
            FROM {RECORDS} WHERE hash(rec) % 100 < {TRAINING_SAMPLE_PERCENT}""")  # a content hash: the same sample every time
        frame = self.db_api.register(cast(Any, self.store.conn.table("_train_records")))
        linker = Linker(frame, model.settings(set(self.store.conn.table("_train_records").columns)))
        linker.training.estimate_probability_two_random_records_match([LAMBDA_RULE], recall=0.5)
        linker.training.estimate_u_using_random_sampling(max_pairs=5e6, seed=1)
        for rule in EM_RULES:
            linker.training.estimate_parameters_using_expectation_maximisation(
                rule, estimate_without_term_frequencies=True
            )
        self.model_path.parent.mkdir(parents=True, exist_ok=True)
        linker.misc.save_model_to_json(str(self.model_path), overwrite=True)

    def profile_linker(self) -> Linker:
        spec = json.loads(self.model_path.read_text(encoding="utf-8"))
        spec["unique_id_column_name"] = "profile_id"
        spec["blocking_rules_to_generate_predictions"] = [
            {"blocking_rule": r} for r in model.blocking_rules(" AND l.comp <> r.comp")
        ]
        # A fresh API object: Splink caches term-frequency tables per API, and those of the training
        # sample must not stand in for the profiles' own (found by the load-order test).
        return Linker(
            DuckDBAPI(connection=self.store.conn).register(cast(Any, self.store.conn.table(PROFILES))), spec
        )

    def predict_profile_pairs(self) -> int:
        predictions = self.profile_linker().inference.predict(
            threshold_match_probability=self.options.review_threshold
        )
        return candidates_from(self.store, predictions.physical_name, self.options)


def candidates_from(store: Store, predictions: str, options: ResolveOptions) -> int:
    """Turn scored profile pairs (from any engine) into the candidate links the clustering reads."""
    store.execute(f"""
        CREATE OR REPLACE TEMP TABLE _reps AS SELECT profile_id, min(node) AS node FROM {RECORD_PROFILE} GROUP BY 1""")
    store.execute(_group_facts_sql())
    store.execute(_candidates_sql(predictions))
    for statement in _hold_contested_sql(options.auto_threshold, options.contest_margin):
        store.execute(statement)
    store.execute(f"DROP TABLE {GROUP_FACTS}")
    return int(store.scalar(f"SELECT count(*) FROM {CANDIDATES}"))


def _group_facts_sql() -> str:
    """What each identifier group says of birth date, country and identifiers, its records that lack
    them included (only groups that say something)."""
    facts = ("dob", "country", *IDENTITY_KINDS)
    lists = ", ".join(f"list(DISTINCT r.{f}) FILTER (WHERE r.{f} IS NOT NULL) AS {f}_list" for f in facts)
    return f"""
        CREATE OR REPLACE TABLE {GROUP_FACTS} AS
        SELECT rp.comp, min(r.rec) AS rec, {lists}
        FROM {RECORD_PROFILE} rp JOIN {RECORDS} r USING (node)
        WHERE {" OR ".join(f"r.{f} IS NOT NULL" for f in facts)} GROUP BY rp.comp"""


def _persons_differ(a: str, b: str) -> str:
    """Two identifier groups that cannot be one person: two values of one strong identifier, or an SSN
    on one side and an ITIN on the other (as the clustering refuses them)."""
    kinds = [
        f"(len({a}.{k}_list) > 0 AND len({b}.{k}_list) > 0 AND NOT list_has_any({a}.{k}_list, {b}.{k}_list))"
        for k in CONFLICT_KINDS
    ]
    ssn_itin = [
        f"(len({x}.ssn_list) > 0 AND len({y}.itin_list) > 0 AND coalesce(len({x}.itin_list), 0) = 0 "
        f"AND coalesce(len({y}.ssn_list), 0) = 0)"
        for x, y in ((a, b), (b, a))
    ]
    return "(" + " OR ".join(kinds + ssn_itin) + ")"


def _hold_contested_sql(auto_threshold: float, margin: float) -> list[str]:
    """Hold every link of an identifier group that fits two persons about equally well.

    A record (a visa application without a passport, say) whose best match and a near-best one lie in
    two groups that cannot be one person fits both: the stronger link is not evidence enough to choose,
    so a human does. "Near" is within ``margin`` match-weight units (a Bayes factor of 2**margin)."""
    accepted = f"hold_reason IS NULL AND match_probability >= {auto_threshold}"
    reason = (
        f"'{FITS_TWO_PERSONS} (records ' || min(g1.rec || ' and ' || g2.rec) || "  # one conflicting pair
        f"', within {margin:g} match-weight units): a human decides which, if either'"
    )
    return [
        f"""CREATE OR REPLACE TEMP TABLE _contested AS
            WITH scored AS (
                SELECT l_comp AS comp, r_comp AS other, match_weight AS w, {accepted} AS accepted FROM {CANDIDATES}
                UNION ALL SELECT r_comp, l_comp, match_weight, {accepted} FROM {CANDIDATES}),
            best AS (SELECT comp, max(w) AS w FROM scored WHERE accepted GROUP BY comp),
            near AS (SELECT s.comp, s.other FROM scored s JOIN best b USING (comp) WHERE s.w >= b.w - {margin})
            SELECT x.comp, {reason} AS reason
            FROM near x JOIN near y ON x.comp = y.comp AND x.other < y.other
            JOIN {GROUP_FACTS} g1 ON g1.comp = x.other JOIN {GROUP_FACTS} g2 ON g2.comp = y.other
            WHERE {_persons_differ("g1", "g2")} GROUP BY x.comp""",
        f"""CREATE OR REPLACE TEMP TABLE _contested_links AS
            SELECT c.profile_id_l, c.profile_id_r, min(k.reason) AS reason
            FROM {CANDIDATES} c JOIN _contested k ON k.comp IN (c.l_comp, c.r_comp)
            WHERE c.hold_reason IS NULL GROUP BY ALL""",
        f"""UPDATE {CANDIDATES} SET hold_reason = x.reason FROM _contested_links x
            WHERE {CANDIDATES}.profile_id_l = x.profile_id_l AND {CANDIDATES}.profile_id_r = x.profile_id_r""",
        "DROP TABLE _contested; DROP TABLE _contested_links",
    ]


def _birth_dates_apart(left: str, right: str) -> str:
    """Both sides have birth dates (their identifier groups'), and none of one
    side's is within a person's usual spread of the other's or a typical error of it."""
    alike = f"abs(a - b) <= {BIRTH_DATE_SPREAD_DAYS} OR {dob_compatible('a', 'b')}"
    return (
        f"({left} IS NOT NULL AND {right} IS NOT NULL AND NOT list_bool_or("
        f"list_transform({left}, lambda a: list_bool_or(list_transform({right}, lambda b: {alike})))))"
    )


def _candidates_sql(predictions: str) -> str:
    """Profile pairs mapped to components and representative records, with any reason to hold them.

    A name alone can be shared: two persons of one name whose birth dates lie years apart, or whose
    countries differ, are not made one by a link that only the name supports, even through a record that
    lacks them (an IRS filing, say): the identifier group it already belongs to has them."""
    same_home = "(l.postal_code = r.postal_code AND l.street = r.street)"
    twin = (
        f"(l.family_joined = r.family_joined AND {same_home} AND "
        f"(jaro_winkler_similarity(l.given_joined, r.given_joined) < 0.9 OR abs(l.birth_year - r.birth_year) > 1))"
    )
    fields = ("country", "sex", "a_number", "ssn", "fin", "passport")
    differs = {f: f"(l.{f} IS NOT NULL AND r.{f} IS NOT NULL AND l.{f} <> r.{f})" for f in fields}
    contradiction = "(" + " OR ".join(differs.values()) + ")"
    contradicted = ", ".join(f"CASE WHEN {cond} THEN '{f}' END" for f, cond in differs.items())
    return f"""
        CREATE OR REPLACE TABLE {CANDIDATES} AS
        WITH shared AS (  -- a name's sound and a birth date proven to belong to several persons
            SELECT given_sound, family_sound, dob FROM {PROFILES} WHERE dob IS NOT NULL GROUP BY ALL
            HAVING greatest(count(DISTINCT a_number), count(DISTINCT ssn), count(DISTINCT fin),
                            count(DISTINCT passport)) > 1),
        ambiguous AS (  -- the profiles that carry such a description (spelled in any way)
            SELECT p.profile_id FROM {PROFILES} p JOIN shared USING (given_sound, family_sound, dob))
        SELECT p.profile_id_l, p.profile_id_r, l.comp AS l_comp, r.comp AS r_comp, rl.node AS l_node, rr.node AS r_node,
               al.rec AS l_rec, ar.rec AS r_rec, p.match_probability, p.match_weight,
               'splink match weight ' || round(p.match_weight, 1) AS rule,
               CASE WHEN levenshtein(l.a_number, r.a_number) = 1 OR (l.a_number <> r.a_number
                         AND list_sort(string_split(l.a_number, '')) = list_sort(string_split(r.a_number, '')))
                    THEN 'A-numbers one digit apart or the same digits reordered: likely a typo, confirm and link'
                    WHEN {contradiction} THEN 'contradicting ' || concat_ws(', ', {contradicted}) || ': a person rarely differs there'
                    WHEN {_birth_dates_apart("kl.dob_list", "kr.dob_list")}
                         THEN 'birth dates over a year apart, and not a typing error of each other: likely two persons of one name'
                    WHEN len(kl.country_list) > 0 AND len(kr.country_list) > 0 AND NOT list_has_any(kl.country_list, kr.country_list)
                         THEN 'contradicting country (of the records each side is already linked to): a person rarely differs there'
                    WHEN {twin} THEN 'possible twin or Jr/Sr: same family name and address, different person data'
                    WHEN (sl.profile_id IS NOT NULL OR sr.profile_id IS NOT NULL) AND NOT coalesce({same_home}, false)
                         THEN '{SHARED_DESCRIPTION}: needs an identifier or address'
               END AS hold_reason
        FROM {predictions} p
        JOIN {PROFILES} l ON l.profile_id = p.profile_id_l JOIN {PROFILES} r ON r.profile_id = p.profile_id_r
        JOIN _reps rl ON rl.profile_id = p.profile_id_l JOIN _reps rr ON rr.profile_id = p.profile_id_r
        JOIN {RECORDS} al ON al.node = rl.node JOIN {RECORDS} ar ON ar.node = rr.node
        LEFT JOIN ambiguous sl ON sl.profile_id = l.profile_id
        LEFT JOIN ambiguous sr ON sr.profile_id = r.profile_id
        LEFT JOIN {GROUP_FACTS} kl ON kl.comp = l.comp LEFT JOIN {GROUP_FACTS} kr ON kr.comp = r.comp
        ORDER BY p.profile_id_l, p.profile_id_r"""
