"""The Bootstrap colours of priorities, task statuses and case statuses, the same on every page."""
from db.models import CaseStatus

PRIORITY_COLOURS = {"Critical": "danger", "High": "warning", "Medium": "info", "Low": "secondary"}
STATUS_COLOURS = {"New": "primary", "In Progress": "info", "On Hold": "warning", "Completed": "success", "Cancelled": "secondary"}
CASE_STATUS_COLOURS = {CaseStatus.OPEN: "success", CaseStatus.CLOSED: "secondary"}
