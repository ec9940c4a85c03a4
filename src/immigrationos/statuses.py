"""The shared vocabulary of immigration statuses.

The generator's ground truth and the lifecycle's derived status use these same values, so evaluation
compares like with like. Kept at the package root because it is vocabulary, not logic.
"""

from __future__ import annotations

from enum import StrEnum


class ImmigrationStatus(StrEnum):
    """Status of a person at a date, as the law would assign it."""

    US_CITIZEN = "us_citizen"
    LPR = "lpr"
    REFUGEE_ASYLEE = "refugee_asylee"
    NONIMMIGRANT_IN_STATUS = "nonimmigrant_in_status"
    TEMPORARY_PROTECTION = "temporary_protection"  # parole, TPS, DACA, deferred action in force
    PENDING_PROTECTION = "pending_protection"  # asylum or other protective application pending
    IN_REMOVAL_PROCEEDINGS = "in_removal_proceedings"
    FINAL_ORDER = "final_order"
    OVERSTAY = "overstay"
    PRESENT_WITHOUT_ADMISSION = "present_without_admission"
    DEPARTED = "departed"
    REMOVED = "removed"
    UNKNOWN = "unknown"


class Category(StrEnum):
    """Population blocks the generator draws persons from (BASE_RATES section 7.1)."""

    US_CITIZEN_MIXED_HOUSEHOLD = "us_citizen_mixed_household"
    NATURALIZED = "naturalized"
    LPR = "lpr"
    NONIMMIGRANT = "nonimmigrant"
    REFUGEE_ASYLEE = "refugee_asylee"
    VISITOR = "visitor"
    UNAUTHORIZED_UNPROTECTED = "unauthorized_unprotected"
    PENDING_ASYLUM = "pending_asylum"
    PAROLE = "parole"
    TPS = "tps"
    DACA = "daca"
    OTHER_DEFERRED = "other_deferred"
