"""An attachment's name is one line for display: no folders, control characters or line separators."""
import pytest

from workflow.attachments import clean_filename


@pytest.mark.parametrize(
    ("sent", "shown"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\report.pdf", "report.pdf"),
        ("in\r\nvoice.pdf", "invoice.pdf"),
        ("line\u2028sep\u2029.txt", "linesep.txt"),
        ("bell\x07.csv", "bell.csv"),
        ("", "file"),
    ],
)
def test_names_are_cleaned(sent, shown):
    assert clean_filename(sent) == shown
