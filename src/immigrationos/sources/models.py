"""Typed models of the source catalog: what each agency feed carries and under which rules."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from immigrationos.context import Purpose


class FieldType(StrEnum):
    """Logical column types; the store maps each to a SQL type."""

    STRING = "string"
    DATE = "date"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    DECIMAL = "decimal"


class Sensitivity(StrEnum):
    """Handling class of a field; access control masks by it."""

    NONE = "none"
    PII = "pii"
    SENSITIVE_PII = "sensitive_pii"
    FTI = "fti"
    HEALTH = "health"
    CJI = "cji"


class IdentifierKind(StrEnum):
    """Strong identifiers that deterministic matching may link on."""

    A_NUMBER = "a_number"
    FIN = "fin"
    SSN = "ssn"
    ITIN = "itin"
    TIN = "tin"
    PASSPORT = "passport"
    FBI_NUMBER = "fbi_number"
    I94_NUMBER = "i94_number"
    VISA_NUMBER = "visa_number"
    RECEIPT_NUMBER = "receipt_number"
    REGISTRATION_ID = "registration_id"


class FieldSpec(BaseModel):
    """One column of a source feed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    type: FieldType
    required: bool = False
    sensitivity: Sensitivity
    enum: tuple[str, ...] | None = None
    identifier: IdentifierKind | None = None
    role: str | None = None
    description: str = ""


class SourceSpec(BaseModel):
    """One agency feed: schema, identifiers, legal authority, purposes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
    agency: str
    description: str
    legal_authority: str = Field(min_length=5)
    allowed_purposes: tuple[Purpose, ...]
    purpose_conditions: dict[Purpose, tuple[str, ...]] = Field(default_factory=dict)
    external_agency: bool
    written_by_system: bool = False  # records the system itself writes (redress corrections), never a feed
    record_id_field: str
    fields: tuple[FieldSpec, ...]

    @model_validator(mode="after")
    def _consistent(self) -> SourceSpec:
        names = [f.name for f in self.fields]
        duplicated = {n for n in names if names.count(n) > 1}
        if duplicated:
            raise ValueError(f"source {self.name}: duplicated fields {sorted(duplicated)}")
        if self.record_id_field not in names:
            raise ValueError(f"source {self.name}: record_id_field {self.record_id_field!r} absent")
        unknown = set(self.purpose_conditions) - set(self.allowed_purposes)
        if unknown:
            raise ValueError(f"source {self.name}: conditions for purposes it does not allow {unknown}")
        return self

    def field(self, name: str) -> FieldSpec:
        """The field named ``name``; KeyError if the source has none."""
        for spec in self.fields:
            if spec.name == name:
                return spec
        raise KeyError(name)

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @property
    def required_fields(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.required)

    @property
    def identifiers(self) -> dict[str, IdentifierKind]:
        """Field name -> identifier kind, for the fields that carry a strong identifier."""
        return {f.name: f.identifier for f in self.fields if f.identifier is not None}


class Catalog(BaseModel):
    """All sources, by name."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int
    sources: tuple[SourceSpec, ...]

    @model_validator(mode="after")
    def _unique_names(self) -> Catalog:
        names = [s.name for s in self.sources]
        if len(set(names)) != len(names):
            raise ValueError("source names must be unique")
        return self

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.sources)

    @property
    def feeds(self) -> tuple[SourceSpec, ...]:
        """The sources other agencies and the app send (not the records the system writes itself)."""
        return tuple(s for s in self.sources if not s.written_by_system)

    def source(self, name: str) -> SourceSpec:
        """The source named ``name``; raises the catalog error front ends show."""
        for spec in self.sources:
            if spec.name == name:
                return spec
        from immigrationos.errors import CatalogError

        raise CatalogError(f"unknown source {name!r}; the catalog has: {', '.join(self.names)}")
