"""What a person view may show to a given actor and purpose: sources the policy withholds are removed
from the timeline, the evidence and the conflicts (and said to be withheld); identity attributes are
masked for roles that do not see them."""

from __future__ import annotations

from immigrationos.access.policy import AccessPolicy, Decision
from immigrationos.context import RequestContext
from immigrationos.lifecycle.timeline import PersonLifecycle

MASK = "[masked]"


def _source(rec: str | None) -> str | None:
    return rec.split(":", 1)[0] if rec else None


def sources_in(view: PersonLifecycle) -> set[str]:
    found = {p.source for e in view.timeline for p in e.provenance}
    found |= {s for c in view.conflicts for recs in c.values.values() for r in recs if (s := _source(r))}
    found |= {s for e in view.status.evidence if (s := _source(e.get("record")))}
    return found


def mask_view(
    policy: AccessPolicy, ctx: RequestContext, view: PersonLifecycle
) -> tuple[PersonLifecycle, dict[str, Decision]]:
    """The view as this actor may see it, and the decision taken for every source it held."""
    decisions = {s: policy.decide(ctx, s) for s in sorted(sources_in(view))}
    allowed = {s for s, d in decisions.items() if d.allowed}
    timeline = []
    for event in view.timeline:
        kept = [p for p in event.provenance if p.source in allowed]
        if kept:
            timeline.append(event.model_copy(update={"provenance": kept}))
    evidence = [
        e
        if _source(e.get("record")) in allowed or e.get("record") is None
        else {**e, "record": "withheld", "event": None}
        for e in view.status.evidence
    ]
    sees = policy.sees_identity(ctx)
    conflicts = []
    for c in view.conflicts:
        values = {v: [r for r in recs if _source(r) in allowed] for v, recs in c.values.items()}
        values = {
            (v if sees else MASK + f" {i + 1}"): recs for i, (v, recs) in enumerate(values.items()) if recs
        }
        if len(values) > 1:
            conflicts.append(c.model_copy(update={"values": values}))
    safeguards = [
        s if sees or s.flag != "conflicting_birth_dates" else s.model_copy(update={"detail": MASK})
        for s in view.safeguards
    ]
    masked = view.model_copy(
        update={
            "timeline": timeline,
            "status": view.status.model_copy(update={"evidence": evidence}),
            "conflicts": conflicts,
            "safeguards": safeguards,
            "withheld": [f"{s}: {d.reason}" for s, d in decisions.items() if not d.allowed],
        }
    )
    return masked, decisions
