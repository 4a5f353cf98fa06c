"""Bulk changes: one change applied to many tasks, each task its own versioned transaction."""
import uuid
from dataclasses import dataclass
from typing import Any

from db import session
from db.models import Priority, TaskStatus, User
from domain import rules
from domain.errors import DomainError, Forbidden, ValidationFailed
from workflow import tasks

#: More rows than this in one request is refused: the caller should narrow the selection.
MAX_ROWS = 500
#: The fields a bulk change may set, and the type each value must have (None unassigns).
BULK_FIELDS = {"status": TaskStatus, "priority": Priority, "assigned_to": uuid.UUID}

CHANGED = "changed"
UNCHANGED = "unchanged"
REFUSED = "refused"


@dataclass(frozen=True)
class RowResult:
    """What happened to one row: changed, unchanged (already so) or refused with the reason."""

    task_id: uuid.UUID
    title: str
    outcome: str
    code: str | None = None
    message: str = ""
    details: Any = None
    version: int | None = None

    @property
    def ok(self) -> bool:
        return self.outcome != REFUSED


def may_bulk_update(user: User) -> bool:
    """Viewers change nothing, so they get no bulk actions; every row is still checked on its own."""
    return user.role in rules.WRITERS


def _validate(rows: list[tuple[uuid.UUID, int]], changes: dict[str, Any]) -> None:
    if not rows:
        raise ValidationFailed("select at least one task", [{"field": "rows", "message": "empty"}])
    if len(rows) > MAX_ROWS:
        raise ValidationFailed(
            f"at most {MAX_ROWS} tasks at a time", [{"field": "rows", "message": f"at most {MAX_ROWS}"}]
        )
    if len(changes) != 1 or not set(changes) <= set(BULK_FIELDS):
        raise ValidationFailed(
            "change exactly one of " + ", ".join(BULK_FIELDS),
            [{"field": "changes", "message": f"one of {sorted(BULK_FIELDS)}"}],
        )
    (field, value), = changes.items()
    if not isinstance(value, BULK_FIELDS[field]) and not (field == "assigned_to" and value is None):
        raise ValidationFailed(f"not a valid {field}", [{"field": field, "message": "not a valid value"}])


def bulk_update(*, actor: User, rows: list[tuple[uuid.UUID, int]], changes: dict[str, Any]) -> list[RowResult]:
    """Apply `changes` to each (task id, version) through the workflow; a refused row leaves the others alone."""
    if not may_bulk_update(actor):
        raise Forbidden("your role cannot change tasks")
    _validate(rows, changes)
    versions: dict[uuid.UUID, int] = {}
    for task_id, version in rows:
        versions.setdefault(task_id, version)  # a task listed twice is changed once
    titles = tasks.titles(task_ids=set(versions))
    results = []
    for task_id, version in versions.items():
        title = titles.get(task_id, "(unknown task)")
        try:
            task = tasks.update_task(actor=actor, task_id=task_id, changes=changes, expected_version=version)
        except DomainError as exc:
            # Refusals raised before anything changed still hold the row's transaction open: end it.
            session.rollback()
            results.append(RowResult(task_id, title, REFUSED, exc.code, exc.message, exc.details))
            continue
        outcome = CHANGED if task.version != version else UNCHANGED
        results.append(RowResult(task_id, title, outcome, version=task.version))
    return results


def summary(results: list[RowResult]) -> str:
    """'3 changed, 1 refused' (zero counts left out)."""
    counts = {outcome: sum(r.outcome == outcome for r in results) for outcome in (CHANGED, UNCHANGED, REFUSED)}
    parts = [f"{count} {outcome}" for outcome, count in counts.items() if count]
    return ", ".join(parts) or "nothing to change"
