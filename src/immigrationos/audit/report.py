"""Oversight reports for auditors, read from the audit log: who accessed what, for which purpose and from
which sources (tax-data accesses listed on their own), what was denied, and what looks wrong."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from immigrationos.access.agreements import agreements
from immigrationos.access.policy import require_purpose
from immigrationos.audit import log as audit
from immigrationos.audit.storage import LOG
from immigrationos.context import Purpose, RequestContext, require_context
from immigrationos.store.engine import Store

TAX_SOURCES = ("irs_filings",)


@dataclass(frozen=True)
class Thresholds:
    persons_without_case_per_day: int = 50  # a user reading more persons than this, none on a case
    working_hours: tuple[int, int] = (7, 19)  # UTC hours; accesses outside them are listed


def _rows(store: Store, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    cursor = store.conn.execute(sql, params or [])
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


def oversight_report(
    ctx: RequestContext, store: Store, thresholds: Thresholds | None = None
) -> dict[str, Any]:
    """The report, for an oversight purpose only; reading the log is itself recorded in it (after the
    report is drawn, so the report shows the log as it was)."""
    require_context(ctx)
    require_purpose(ctx, frozenset({Purpose.OVERSIGHT}), "the oversight report", store)
    report = _report(store, thresholds or Thresholds())
    audit.record(ctx, store, "audit.report", justification=f"{report['entries']} entries")
    return report


def _report(store: Store, t: Thresholds) -> dict[str, Any]:
    start, end = t.working_hours
    return {
        "entries": int(store.scalar(f"SELECT count(*) FROM {LOG}")),
        "by_user_and_purpose": _rows(
            store,
            f"""SELECT actor, purpose, event, outcome, count(*) AS n, count(DISTINCT subject_person) AS persons
                FROM {LOG} GROUP BY ALL ORDER BY actor, purpose, event, outcome""",
        ),
        "by_source": _rows(
            store,
            f"""SELECT source, purpose, count(*) AS n FROM (SELECT unnest(sources) AS source, purpose FROM {LOG})
                GROUP BY ALL ORDER BY source, purpose""",
        ),
        "tax_data_accesses": _rows(
            store,
            f"""SELECT seq, logged_at, actor, purpose, event, outcome, subject_person, justification FROM {LOG}
                WHERE list_has_any(sources, [{", ".join(f"'{s}'" for s in TAX_SOURCES)}]) ORDER BY seq""",
        ),
        "denied": _rows(
            store,
            f"""SELECT seq, logged_at, actor, purpose, event, subject_person, justification FROM {LOG}
                WHERE outcome IN ('denied', 'refused') ORDER BY seq""",
        ),
        "outside_disclosures": _rows(
            store,
            """SELECT recipient, agreement_id, purpose, count(*) AS n, count(DISTINCT person_id) AS persons,
                      sum(statements) AS statements_sent FROM acc_disclosures GROUP BY ALL ORDER BY recipient""",
        ),
        "agreements": [
            {
                "agreement": a.agreement.agreement_id,
                "sources": sorted(a.agreement.fields),
                "last_day": a.last_day.isoformat(),
                "in_force_today": a.active_on(date.today()),
                "renewed": a.renewed_until is not None,
            }
            for a in agreements(store)
        ],
        "anomalies": {
            "many_persons_without_a_case": _rows(
                store,
                f"""SELECT actor, logged_at::DATE AS day, count(DISTINCT subject_person) AS persons FROM {LOG}
                    WHERE event = 'person.view' AND subject_person NOT IN (SELECT person_id FROM pri_entries)
                      AND subject_person NOT IN (SELECT person_id FROM dep_cases)
                    GROUP BY ALL HAVING count(DISTINCT subject_person) > ? ORDER BY persons DESC""",
                [t.persons_without_case_per_day],
            ),
            "bulk_attempts": _rows(
                store,
                f"""SELECT seq, logged_at, actor, purpose, event, outcome FROM {LOG}
                    WHERE event LIKE '%bulk%' OR event LIKE '%export%' ORDER BY seq""",
            ),
            "outside_working_hours": _rows(
                store,
                f"""SELECT seq, logged_at, actor, purpose, event, outcome FROM {LOG}
                    WHERE hour(logged_at AT TIME ZONE 'UTC') < ? OR hour(logged_at AT TIME ZONE 'UTC') >= ?
                    ORDER BY seq""",
                [start, end],
            ),
        },
    }
