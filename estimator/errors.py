"""Exception types raised by the library; the CLI turns each into a one-line error."""

from __future__ import annotations


class EstimatorError(Exception):
    """Base class for every error a user can fix (bad id, bad file, bad value)."""

    def with_prefix(self, prefix: str) -> EstimatorError:
        """The same error (same type and fields) with `prefix: ` in front of its message."""
        exc = self.__class__.__new__(self.__class__)
        exc.__dict__.update(self.__dict__)
        Exception.__init__(exc, f"{prefix}: {self}")
        return exc


class CatalogError(EstimatorError):
    """A YAML table is malformed or fails validation; the message names file:line and field."""


class UnknownIdError(EstimatorError):
    """A model, GPU, provider or price id is not in the catalog."""

    def __init__(self, kind: str, wanted: str, matches: list[str] | None = None, known: list[str] | None = None):
        self.kind, self.wanted, self.matches = kind, wanted, matches or []
        hint = f"; did you mean {', '.join(self.matches)}?" if self.matches else ""
        if not self.matches and known:  # nothing close: a short table is listed whole
            hint = f"; known: {', '.join(known)}"
        super().__init__(f"unknown {kind} '{wanted}'{hint}")


class ConfigurationError(EstimatorError):
    """The scenario is impossible (does not fit, unsupported method, bad quantity)."""


class DatasetError(EstimatorError):
    """A dataset cannot be read (missing, binary, empty, wrong format)."""


class OutputError(EstimatorError, OSError):
    """An output cannot be written (read-only directory, parent is a file, a device as target, disk full).
    Also an OSError, so callers that catch OS errors around a write still do."""


def close_matches(word: str, choices, n: int = 3, cutoff: float = 0.6) -> list[str]:
    """difflib's close matches for a 'did you mean' hint, imported only when an error needs one."""
    import difflib

    return difflib.get_close_matches(word, list(choices), n=n, cutoff=cutoff)
