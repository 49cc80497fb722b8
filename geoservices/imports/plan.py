"""The dry-run diff of an import, shared by boundary and facility imports."""
from __future__ import annotations

from dataclasses import dataclass, field

CREATED = "created"
UPDATED = "updated"
UNCHANGED = "unchanged"
FAILED = "failed"
SKIPPED = "skipped"

ACTIONS = (CREATED, UPDATED, UNCHANGED, SKIPPED, FAILED)


@dataclass
class RowChange:
    """What an import would do to one feature or row.

    ``number`` is the feature's position in the layer (from 1) or the row's
    line in the table (the header is line 1). ``values`` contains the new
    values to store; ``changed`` names the fields that differ from the
    stored row, and ``stored_values`` contains their stored values for the
    preview; ``messages`` explain a failure or a flag.
    """

    number: int
    key: str
    action: str
    label: str = ""
    changed: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    values: dict = field(default_factory=dict)
    stored_values: dict = field(default_factory=dict)


@dataclass
class ImportPlan:
    """The diff of one uploaded file against the stored rows."""

    kind: str
    target: str
    file_name: str
    file_sha256: str
    rows: list[RowChange] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    details: dict = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        """Return the number of rows per action, every action included."""
        totals = {action: 0 for action in ACTIONS}
        for row in self.rows:
            totals[row.action] += 1
        return totals

    def failures(self) -> list[str]:
        """Return the messages of every failed row, in file order."""
        return [message for row in self.rows if row.action == FAILED for message in row.messages]

    def warnings(self) -> list[str]:
        """Return the messages of rows that will be applied with a flag or a note."""
        return [message for row in self.rows if row.action != FAILED for message in row.messages]

    @property
    def can_apply(self) -> bool:
        return not any(row.action == FAILED for row in self.rows)

    def changes(self) -> list[RowChange]:
        """Return the rows that would be created or updated."""
        return [row for row in self.rows if row.action in (CREATED, UPDATED)]

    def summary(self) -> str:
        """Return the counts as one line, e.g. ``created 3, updated 1, ...``."""
        return ", ".join(f"{action} {count}" for action, count in self.counts().items())
