"""What more than one portal page shows or does: the pages import these, never each other."""
