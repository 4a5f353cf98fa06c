"""Use cases: every change of domain data is validated, made, recorded in history and committed here, and only here."""
