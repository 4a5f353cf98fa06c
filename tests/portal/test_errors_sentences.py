"""The one error formatter: the product's error shapes as sentences a person reads."""
from datetime import datetime

import pytest
from pydantic import TypeAdapter, ValidationError

from domain.errors import Conflict, Forbidden, InvalidTransition, NotFound, StaleVersion, ValidationFailed
from domain.schemas import TaskCreate, UserCreate
from portal.components.errors import error_sentence, field_sentences, field_words, sentence


def invalid(model, **fields) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        model(**fields)
    return caught.value


@pytest.mark.parametrize("field, words", [
    ("due_date", "due date"), ("assigned_to", "assignee"), ("case_id", "case"), ("full_name", "full name"),
    ("business_hours.High", "business hours High"), ("title", "title"),
])
def test_field_names_become_words(field, words):
    assert field_words(field) == words


def test_a_sentence_starts_with_a_capital_and_ends_with_a_full_stop():
    assert sentence("the task was changed") == "The task was changed."
    assert sentence("Saved?") == "Saved?"
    assert sentence("  ") == ""


def test_a_date_the_page_could_not_read_is_said_with_its_field():
    with pytest.raises(ValidationError) as caught:
        TypeAdapter(datetime).validate_python("next Tuesday-ish")
    assert error_sentence(caught.value, field="due_date") == "The due date is not a valid date."


def test_a_value_error_without_pydantic_still_names_its_field():
    assert error_sentence(ValueError("'Done' is not a valid TaskStatus"), field="status") == "The status is not a valid value."
    assert error_sentence(TypeError("bad"), field="due_date") == "The due date is not a valid date."
    assert error_sentence(KeyError("x")) == "That value is not valid."


def test_pydantic_errors_become_one_sentence_per_field():
    error = invalid(TaskCreate, title="", priority="Urgent", due_date="tomorrow", assigned_to="nobody", tags=["x" * 80])
    assert field_sentences(error) == {
        "title": "The title is required.",
        "priority": "The priority must be Low, Medium, High or Critical.",
        "due_date": "The due date is not a valid date.",
        "assigned_to": "The assignee is not one of the choices.",
        "tags": "Tag 1 may have at most 50 characters.",
    }
    assert error_sentence(error).startswith("The title is required. The priority must be Low, Medium, High or Critical.")


def test_a_schema_message_of_its_own_is_kept():
    error = invalid(UserCreate, username="pat", email="not-an-address", full_name="Pat", role="Agent", password="x" * 12)
    assert error_sentence(error) == "The email must be an address like name@example.com."


def test_too_short_and_blank_are_told_apart():
    error = invalid(UserCreate, username="pat", email="pat@example.com", full_name="Pat", role="Agent", password="short")
    assert error_sentence(error) == "The password needs at least 10 characters."
    error = invalid(UserCreate, username="", email="pat@example.com", full_name="Pat", role="Agent", password="x" * 12)
    assert error_sentence(error) == "The username is required."


@pytest.mark.parametrize("details, expected", [
    ([{"field": "due_date", "message": "must not be in the past"}], "The due date must not be in the past."),
    ([{"field": "assigned_to", "message": "must be an active user"}], "The assignee must be an active user."),
    ([{"field": "case_id", "message": "no such case"}], "The case does not exist."),
    ([{"field": "case_id", "message": "case is closed"}], "The case is closed."),
    ([{"field": "rows", "message": "empty"}], "The selection is empty."),
    ([{"field": "username", "message": "already taken"}], "The username is already taken."),
    ([{"field": "target", "message": "whole minutes from 1 to 525600"}], "The target must be whole minutes from 1 to 525600."),
    ([{"field": "due_date", "message": "must not be in the past"}, {"field": "title", "message": "required"}],
     "The due date must not be in the past. The title is required."),
])
def test_validation_details_become_sentences(details, expected):
    assert error_sentence(ValidationFailed("invalid fields", details)) == expected


def test_validation_details_land_on_their_fields():
    error = ValidationFailed("due date is in the past", [{"field": "due_date", "message": "must not be in the past"}])
    assert field_sentences(error) == {"due_date": "The due date must not be in the past."}


def test_other_domain_errors_say_their_message_as_a_sentence():
    assert error_sentence(NotFound("task not found")) == "Task not found."
    assert error_sentence(Forbidden("only admins may create users")) == "Only admins may create users."
    stale = StaleVersion("the task was changed by someone else; reload it and try again", {"current_version": 4})
    assert error_sentence(stale) == "The task was changed by someone else; reload it and try again."


def test_a_conflict_on_a_field_is_said_once_and_placed_on_that_field():
    error = Conflict("a user with this username already exists", [{"field": "username", "message": "already taken"}])
    assert error_sentence(error) == "A user with this username already exists."
    assert field_sentences(error) == {"username": "A user with this username already exists."}
    assert field_sentences(Conflict("you cannot deactivate yourself")) == {}


def test_a_refused_move_says_where_the_task_can_go():
    error = InvalidTransition("cannot move a task from New to Completed",
                              {"from": "New", "to": "Completed", "allowed": ["In Progress", "On Hold", "Cancelled"]})
    assert error_sentence(error) == "Cannot move a task from New to Completed. It can move to In Progress, On Hold or Cancelled."
    nowhere = InvalidTransition("cannot move a task from Completed to New", {"allowed": []})
    assert error_sentence(nowhere) == "Cannot move a task from Completed to New. It cannot move from here."
