"""Fixtures of the tests in this folder (the shared ones are in the top conftest.py)."""

from tests.browser import browser, page  # noqa: F401  (fixtures)
