"""Spreadsheet-safe CSV cells (OWASP's CSV injection advice): text a spreadsheet would evaluate as a
formula starts with `'`, so it shows as written. One rule, in Python for frames and in SQL for COPY."""
from sqlalchemy import ColumnElement, case, func, literal

#: First characters that make Excel, LibreOffice or Google Sheets read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """`value`, with `'` in front when it is text a spreadsheet would evaluate; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_text(column) -> ColumnElement:
    """The same rule as SQL, for a text column (PostgreSQL's COPY and the keyset pages write the result)."""
    # One bound value per character, not an expanding IN: COPY takes the statement as rendered text.
    starts = [literal(start) for start in FORMULA_STARTS]
    return case((func.substr(column, 1, 1).in_(starts), literal("'").concat(column)), else_=column)
