"""The project's own exception types; front ends translate them into messages and exit codes."""

from __future__ import annotations


class ImmosError(Exception):
    """Base of every error this system raises on purpose."""


class ConfigurationError(ImmosError):
    """A setting, catalog or parameter file is invalid."""


class CatalogError(ConfigurationError):
    """The source catalog is inconsistent or names an unknown source or field."""


class ContextError(ImmosError):
    """A service was called without a valid request context (actor and purpose)."""


class IngestError(ImmosError):
    """A whole file could not be ingested; the message names the file and the reason."""

    def __init__(self, path: str, reason: str, *, field: str | None = None) -> None:
        self.path = path
        self.reason = reason
        self.field = field
        where = f" (field {field!r})" if field else ""
        super().__init__(f"{path}{where}: {reason}")


class GenerationError(ImmosError):
    """The synthetic-world parameters cannot produce a consistent world."""


class StoreError(ImmosError):
    """The store is missing, locked by another process, or of an incompatible version."""


class NotFoundError(ImmosError):
    """A person, record or case named by the caller does not exist."""


class TransitionError(ImmosError):
    """A workflow step that the case's state, or the policy, does not allow; the message says why."""


class AuditError(ImmosError):
    """The audit log could not record an access, or does not verify; the request is refused."""


class AccessDeniedError(ImmosError):
    """The actor's roles and declared purpose do not allow the request; the message says why."""
