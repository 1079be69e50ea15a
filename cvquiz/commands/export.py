"""Commands: export (being written)."""

from cvquiz.app import app  # noqa: F401
