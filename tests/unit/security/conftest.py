"""The in-process desk harness of tests/unit/desk, reused."""

from tests.unit.desk.conftest import harness  # noqa: F401
