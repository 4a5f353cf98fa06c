"""History entries in words, shared by the task and case pages."""
import uuid
from datetime import datetime

from flask import g

from db.models import ChangeType
from domain.errors import NotFound
from notifications.events import target_words
from portal.components import times
from workflow import cases, users

FIELD_LABELS = {
    "title": "Title", "description": "Description", "status": "Status", "priority": "Priority",
    "due_date": "Due date", "assigned_to": "Assigned to", "case_id": "Case", "tags": "Tags",
}


def name(user_id: uuid.UUID | str | None) -> str:
    """A user's full name, "—" for nobody; looked up once per user per request."""
    if user_id is None:
        return "—"
    try:
        key = uuid.UUID(str(user_id))
    except ValueError:
        return "Unknown user"
    known = g.setdefault("user_names", {})
    if key not in known:
        known.update(users.full_names(user_ids={key}))
    return known.get(key, "Unknown user")


def remember_names(entries) -> None:
    """Look up everyone a list of history entries names in one query, before rendering it."""
    user_ids = set()
    for entry in entries:
        user_ids.add(entry.changed_by)
        for values in (entry.old_value or {}, entry.new_value or {}):
            user_ids.add(values.get("assigned_to"))
    known = g.setdefault("user_names", {})
    missing = set()
    for user_id in user_ids - {None}:
        try:
            missing.add(uuid.UUID(str(user_id)))
        except ValueError:
            continue
    known.update(users.full_names(user_ids=missing - set(known)))


def case_label(case_id) -> str:
    """"<reference> · <title>" of a case, "—" for none."""
    if case_id is None:
        return "—"
    try:
        case = cases.get_case(case_id=uuid.UUID(str(case_id)))
    except (NotFound, ValueError):
        return str(case_id)
    return f"{case.reference} · {case.title}"


def shown(field: str, value, user) -> str:
    """A history value in words, times in `user`'s zone."""
    if value is None or value == []:
        return "—"
    if field == "assigned_to":
        return name(value)
    if field == "case_id":
        return case_label(value)
    if field == "due_date":
        return times.moment(datetime.fromisoformat(value), user)
    if field == "tags":
        return ", ".join(value)
    if field in ("title", "description"):
        text = value if len(value) <= 80 else value[:79] + "…"
        return f"'{text}'"
    return str(value)


def case_move(old_case_id, new_case_id) -> str:
    """A task's move between cases in words: "Put in case …", "Moved from case … to case …", "Taken out of case …"."""
    if old_case_id is None:
        return f"Put in case {case_label(new_case_id)}"
    if new_case_id is None:
        return f"Taken out of case {case_label(old_case_id)}"
    return f"Moved from case {case_label(old_case_id)} to case {case_label(new_case_id)}"


def escalation_words(new: dict) -> str:
    """An SLA escalation's entry: "SLA warning: 75 % of the 24 h target used; notified the assignee",
    "SLA breached: the 4 h target passed; notified the assignee and 2 managers; priority raised to High"."""
    target = target_words(int(new.get("target_minutes") or 0), bool(new.get("business_hours")))
    if new.get("escalation") == "sla_warning":
        parts = [f"SLA warning: {new.get('percent')} % of the {target} target used",
                 "notified the assignee" if new.get("assignee_notified") else "no assignee to notify"]
    else:
        managers = int(new.get("managers_notified") or 0)
        told = (["the assignee"] if new.get("assignee_notified") else []) + (
            [f"{managers} manager{'s' if managers != 1 else ''}"] if managers else [])
        parts = [f"SLA breached: the {target} target passed",
                 f"notified {' and '.join(told)}" if told else "nobody notified"]
    if new.get("raised_priority"):
        parts.append(f"priority raised to {new['raised_priority']}")
    if new.get("returned_to_queue"):
        parts.append("returned to the queue")
    return "; ".join(parts)


def _change(field: str, old, new, user) -> str:
    if field == "case_id":
        return case_move(old, new)
    return f"{FIELD_LABELS.get(field, field)}: {shown(field, old, user)} → {shown(field, new, user)}"


def changes_in_words(entry, user) -> list[str]:
    """One line per change of a history entry, as `user` reads it (times in their zone)."""
    if entry.change_type == ChangeType.CREATION:
        return ["Created"]
    old, new = entry.old_value or {}, entry.new_value or {}
    if "deleted_at" in new:
        return ["Deleted"]
    if "escalation" in new:
        return [escalation_words(new)]
    if "reason" in new:
        # Auto-assignment's pick: who, and the rule's reason ("least loaded: 3 open, weighted load 5").
        return [f"Assigned to {name(new.get('assigned_to'))} automatically ({new['reason']})"]
    if "attachment" in new:
        # An attachment's entry names the file on one side only: added, or removed.
        added, removed = new.get("attachment"), old.get("attachment")
        return [f"attached '{added}'" if added is not None else f"removed attachment '{removed}'"]
    return [_change(field, old.get(field), value, user) for field, value in new.items()]
