"""Errors in sentences: the one formatter of every error the portal shows a person.

It reads the product's error shapes: a domain error (its message, and for a validation failure the details
[{"field", "message"}] it carries), pydantic's ValidationError, and a value the page could not read at all
(ValueError and the like, with the field it was meant for). Field names become words ("due_date" -> "due date").
"""
import re

from pydantic import ValidationError

from domain.errors import DomainError, InvalidTransition, ValidationFailed

#: Field names that read better as other words than their own.
FIELD_WORDS = {
    "assigned_to": "assignee",
    "created_by": "creator",
    "case_id": "case",
    "user_id": "user",
    "phone": "phone number",
    "q": "search",
    "rows": "selection",
    "by": "date",
    "body": "comment",
}
#: A detail that starts with one of these follows the field's name as it is ("The due date must ...").
VERBS = ("must ", "is ", "are ", "does ", "do ", "cannot ", "can ", "has ", "have ", "should ", "may ", "was ",
         "were ", "needs ", "disagrees ", "contains ")
#: One of these follows "is" ("The username is already taken.").
STATES = ("not ", "already ", "required", "empty", "too ", "missing", "invalid", "unknown", "out of ")
#: One of these follows "must be" ("The target must be whole minutes from 1 to 525600.").
EXPECTED = ("one of ", "true or false", "whole ", "a ", "an ", "at least ", "at most ", "between ")


def field_words(field: str) -> str:
    """A field's name as words: "due_date" -> "due date", "assigned_to" -> "assignee"."""
    name = str(field)
    if name in FIELD_WORDS:
        return FIELD_WORDS[name]
    return re.sub(r"[_.]+", " ", re.sub(r"_id$", "", name)).strip()


def sentence(text: str) -> str:
    """`text` with a capital first letter and a full stop."""
    text = str(text).strip()
    if not text:
        return ""
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else f"{text}."


def about(field: str | None, phrase: str) -> str:
    """A sentence saying `phrase` ("must not be in the past", "already taken") of the field."""
    words = field_words(field) if field else ""
    # "Tag 2 ..." is a name of its own; "the tag 2" is not said.
    subject = (words if words[-1:].isdigit() else f"the {words}") if words else "the value"
    phrase = str(phrase).strip().rstrip(".")
    lower = phrase[:1].lower() + phrase[1:]
    if words and lower.lower().startswith(f"{words.lower()} "):
        return sentence(f"the {lower}")  # "case is closed" names its field already
    if lower.startswith(VERBS):
        return sentence(f"{subject} {lower}")
    if lower.startswith(STATES):
        return sentence(f"{subject} is {lower}")
    if lower.startswith("no such "):
        return sentence(f"{subject} does not exist")
    if lower.startswith(EXPECTED):
        return sentence(f"{subject} must be {lower}")
    return sentence(f"{subject}: {phrase}" if phrase else f"{subject} is not valid")


def _location(loc: tuple, field: str | None) -> str | None:
    """pydantic's location as a field name: ("tags", 0) -> "tag 1"; () -> `field`."""
    names = [str(part) for part in loc if not isinstance(part, int)]
    if not names:
        return field
    name = field_words(".".join(names))
    index = next((part for part in loc if isinstance(part, int)), None)
    return f"{name.removesuffix('s')} {index + 1}" if index is not None else name


def _pydantic_phrase(error: dict) -> str:
    """What is wrong with the value, as words that follow the field's name."""
    kind, limits, text = error["type"], error.get("ctx") or {}, str(error.get("msg", ""))
    if kind == "missing":
        return "is required"
    if kind.startswith(("datetime", "date")):
        return "is not a valid date"
    if kind.startswith("time"):
        return "is not a valid time"
    if kind == "string_too_short":
        return "is required" if limits.get("min_length") == 1 else f"needs at least {limits['min_length']} characters"
    if kind == "string_too_long":
        return f"may have at most {limits['max_length']} characters"
    if kind == "too_long":
        return f"may have at most {limits['max_length']} items"
    if kind == "too_short":
        return f"needs at least {limits['min_length']} items"
    if kind == "string_pattern_mismatch" and not str(error.get("input") or "").strip():
        return "is required"
    if kind in ("enum", "literal_error") and limits.get("expected"):
        return f"must be {limits['expected'].replace(chr(39), '')}"
    if kind.startswith("uuid"):
        return "is not one of the choices"
    if kind == "int_from_float":
        return "must be a whole number"
    if kind.endswith("_parsing") and kind.startswith(("int", "float", "decimal")):
        return "is not a valid number"
    bounds = {"greater_than_equal": ("must be at least", "ge"), "greater_than": ("must be more than", "gt"),
              "less_than_equal": ("must be at most", "le"), "less_than": ("must be less than", "lt")}
    if kind in bounds and bounds[kind][1] in limits:
        return f"{bounds[kind][0]} {limits[bounds[kind][1]]}"
    if kind.startswith("bool"):
        return "must be yes or no"
    if kind == "extra_forbidden":
        return "is not expected here"
    if kind == "value_error":
        return text.removeprefix("Value error, ")
    if text[:1].islower():  # the schema's own words ("must be an address like name@example.com")
        return text
    if kind == "string_pattern_mismatch":
        return "contains characters that are not allowed"
    return "is not valid"


def problems(error: BaseException, field: str | None = None) -> list[tuple[str | None, str]]:
    """(field, sentence) for each problem `error` reports, the field as the form knows it ("due_date", or None);
    `field` names the value when the error does not."""
    if isinstance(error, ValidationError):
        found = []
        for item in error.errors():
            names = [str(part) for part in item["loc"] if not isinstance(part, int)]
            found.append((names[0] if names else field, about(_location(item["loc"], field), _pydantic_phrase(item))))
        return found or [(field, about(field, "is not valid"))]
    if isinstance(error, DomainError):
        details = error.details if isinstance(error.details, list) else []
        items = [item for item in details if isinstance(item, dict) and item.get("message")]
        if isinstance(error, ValidationFailed) and items:
            return [(item.get("field"), about(item.get("field"), item["message"])) for item in items]
        text = sentence(error.message)
        if isinstance(error, InvalidTransition) and isinstance(error.details, dict) and "allowed" in error.details:
            allowed = [str(target) for target in error.details["allowed"] or []]
            text += f" It can move to {_either(allowed)}." if allowed else " It cannot move from here."
        fields = [item.get("field") for item in details if isinstance(item, dict) and item.get("field")]
        return [(name, text) for name in fields] or [(field, text)]
    if field:
        kind = "date" if field.endswith(("date", "_at")) else "value"
        return [(field, about(field, f"is not a valid {kind}"))]
    return [(None, "That value is not valid.")]


def _either(choices: list[str]) -> str:
    return choices[0] if len(choices) == 1 else f"{', '.join(choices[:-1])} or {choices[-1]}"


def error_sentence(error: BaseException, field: str | None = None) -> str:
    """The error as sentences for a message: "The due date is not a valid date." (each said once)."""
    said: list[str] = []
    for _name, text in problems(error, field):
        if text not in said:
            said.append(text)
    return " ".join(said)


def field_sentences(error: BaseException, field: str | None = None) -> dict[str, str]:
    """The first sentence per field, for the message under each form control: {"due_date": "The due date ..."}."""
    found: dict[str, str] = {}
    for name, text in problems(error, field):
        if name:
            found.setdefault(name, text)
    return found


def refusal(lead: str, error: BaseException, field: str | None = None) -> str:
    """The formatter's sentences after a lead: "Not saved: the due date is not a valid date."."""
    text = error_sentence(error, field)
    first_word = text.split(" ", 1)[0]
    # An ordinary first word goes on in lower case after the colon; an abbreviation ("SLA") keeps its capitals.
    if not any(letter.isupper() for letter in first_word[1:]):
        text = text[:1].lower() + text[1:]
    return f"{lead}: {text}"
