"""The desk fixtures of tests/integration/desk, reused."""

from tests.integration.desk.conftest import desk, engines, sqlite_desk  # noqa: F401
