from __future__ import annotations

from typing import Any

import pytest

from immigrationos.context import Purpose
from immigrationos.errors import CatalogError
from immigrationos.sources.catalog import parse_catalog
from immigrationos.sources.models import Catalog, IdentifierKind, Sensitivity

EXPECTED = {
    "cbp_i94",
    "state_visas",
    "uscis_benefits",
    "eoir_court",
    "ice_enforcement",
    "biometric_encounters",
    "ssa_numident",
    "irs_filings",
    "hhs_enrollment",
    "dol_labor",
    "hud_assistance",
    "criminal_history",
    "self_departure_app",
    "destination_arrivals",
}


def test_catalog_has_one_entry_per_agency_feed(catalog: Catalog) -> None:
    assert {s.name for s in catalog.feeds} == EXPECTED
    assert set(catalog.names) - EXPECTED == {"redress_corrections"}  # written by the system itself


def test_every_source_declares_authority_purposes_identifiers_and_sensitivity(catalog: Catalog) -> None:
    for spec in catalog.sources:
        assert "U.S.C." in spec.legal_authority or "CFR" in spec.legal_authority, spec.name
        assert spec.allowed_purposes, spec.name
        assert spec.identifiers or spec.written_by_system, f"{spec.name} carries no strong identifier"
        assert spec.field(spec.record_id_field).required
        personal = [f for f in spec.fields if f.role]
        assert all(f.sensitivity is not Sensitivity.NONE for f in personal), spec.name


def test_tax_data_is_federal_tax_information_throughout(catalog: Catalog) -> None:
    irs = catalog.source("irs_filings")
    assert {f.sensitivity for f in irs.fields} == {Sensitivity.FTI}
    assert Purpose.ENFORCEMENT in irs.purpose_conditions
    assert (
        "final_order_over_90_days_or_named_criminal_investigation"
        in irs.purpose_conditions[Purpose.ENFORCEMENT]
    )


def test_health_and_housing_data_are_never_for_enforcement(catalog: Catalog) -> None:
    for name in ("hhs_enrollment", "hud_assistance"):
        assert Purpose.ENFORCEMENT not in catalog.source(name).allowed_purposes


def test_strong_identifiers_are_declared_where_the_feeds_carry_them(catalog: Catalog) -> None:
    kinds = {k for s in catalog.sources for k in s.identifiers.values()}
    assert {
        IdentifierKind.A_NUMBER,
        IdentifierKind.FIN,
        IdentifierKind.SSN,
        IdentifierKind.TIN,
        IdentifierKind.PASSPORT,
        IdentifierKind.FBI_NUMBER,
        IdentifierKind.I94_NUMBER,
        IdentifierKind.VISA_NUMBER,
        IdentifierKind.RECEIPT_NUMBER,
    } <= kinds


def _doc(**source: Any) -> dict[str, Any]:
    base = {
        "name": "x",
        "title": "X",
        "agency": "A",
        "description": "d",
        "legal_authority": "1 U.S.C. 1",
        "allowed_purposes": ["oversight"],
        "external_agency": False,
        "record_id_field": "record_id",
        "fields": [{"name": "record_id", "type": "string", "required": True, "sensitivity": "none"}],
    }
    return {"version": 1, "sources": [{**base, **source}]}


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"record_id_field": "nope"}, "record_id_field"),
        ({"fields": [{"group": "missing"}]}, "unknown field group"),
        ({"allowed_purposes": ["snooping"]}, "invalid source catalog"),
        ({"fields": [{"name": "record_id", "type": "string", "sensitivity": "none"}] * 2}, "duplicated"),
        ({"purpose_conditions": {"enforcement": ["x"]}}, "conditions for purposes it does not allow"),
        (
            {"fields": [{"name": "record_id", "type": "uuid", "sensitivity": "none"}]},
            "invalid source catalog",
        ),
    ],
)
def test_invalid_catalogs_are_refused_with_a_reason(override: dict[str, Any], message: str) -> None:
    with pytest.raises(CatalogError, match=message):
        parse_catalog(_doc(**override))
