"""Programme metrics: the funnel, time from planned date to confirmed exit, money paid; and a chart.

The funnel counts cases that ever reached each step (a case now paid still counts as matched, travel
arranged if it was, and departed), from the cases' evidence and recorded transitions.
"""

from __future__ import annotations

import statistics
from decimal import Decimal
from pathlib import Path
from typing import Any

from immigrationos.departures.storage import CASES, TRANSITIONS, TXNS
from immigrationos.store.engine import Store

FUNNEL = ("registered", "matched", "travel_arranged", "departed", "stipend_paid")
EXCEPTIONS = ("overdue", "withdrawn", "reentered", "flagged")


def _percentile(values: list[int], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return float(ordered[min(len(ordered) - 1, int(p * len(ordered)))])


def metrics(store: Store) -> dict[str, Any]:
    live = f"(SELECT case_id FROM {CASES} WHERE closed_reason IS NULL OR closed_reason NOT LIKE 'merged%')"
    row = store.rows(f"""
        SELECT count(*),
               count(*) FILTER (WHERE confirmed_on IS NOT NULL OR case_id IN
                                (SELECT case_id FROM {TRANSITIONS} WHERE to_state = 'matched')),
               count(*) FILTER (WHERE travel_arranged),
               count(*) FILTER (WHERE confirmed_on IS NOT NULL),
               count(*) FILTER (WHERE case_id IN (SELECT case_id FROM {TXNS} WHERE kind = 'stipend'))
        FROM {CASES} WHERE case_id IN {live}""")[0]
    funnel = dict(zip(FUNNEL, (int(n) for n in row), strict=True))
    now = {
        str(s): int(n)
        for s, n in store.rows(f"SELECT state, count(*) FROM {CASES} WHERE case_id IN {live} GROUP BY 1")
    }
    days = [
        int(d)
        for (d,) in store.rows(
            f"SELECT confirmed_on - planned_departure FROM {CASES} WHERE confirmed_on IS NOT NULL AND planned_departure IS NOT NULL"
        )
    ]
    paid = {
        str(k): Decimal(a)
        for k, a in store.rows(f"SELECT kind, coalesce(sum(amount), 0) FROM {TXNS} GROUP BY 1")
    }
    grades = {
        str(g): int(n)
        for g, n in store.rows(
            f"SELECT coalesce(evidence_grade, 'none'), count(*) FROM {CASES} WHERE case_id IN {live} GROUP BY 1 ORDER BY 1"
        )
    }
    return {
        "funnel": funnel,
        "now": {state: now.get(state, 0) for state in (*FUNNEL, *EXCEPTIONS, "closed")},
        "evidence_grades": grades,
        "days_planned_to_confirmed_exit": {
            "median": statistics.median(days) if days else None,
            "p95": _percentile(days, 0.95),
            "cases": len(days),
        },
        "paid": {
            "stipends": str(paid.get("stipend", Decimal(0))),
            "travel": str(paid.get("travel", Decimal(0))),
        },
    }


def funnel_chart(data: dict[str, Any], path: Path) -> Path:
    """The funnel as a horizontal bar chart (PNG): people would rather look at a funnel than read it."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = list(data["funnel"].items())
    labels = [name.replace("_", " ") for name, _ in steps][::-1]
    values = [n for _, n in steps][::-1]
    fig, ax = plt.subplots(figsize=(7, 3.2), dpi=120)
    bars = ax.barh(labels, values, color="#3b6ea8")
    top = max(values) if values and max(values) else 1
    for bar, value in zip(bars, values, strict=True):
        ax.text(bar.get_width() + top * 0.01, bar.get_y() + bar.get_height() / 2, f"{value:,}", va="center")
    exceptions = ", ".join(f"{k} {data['now'][k]:,}" for k in EXCEPTIONS)
    ax.set_title(f"Self-departure funnel (now: {exceptions})", fontsize=9)
    ax.set_xlim(0, top * 1.15)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
