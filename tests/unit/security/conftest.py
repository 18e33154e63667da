"""The in-process desk harness of tests/unit/desk, reused; each test's result goes to the
reliability table when $STORYDESK_TEST_TABLE is set (tests.integration.reliability.table)."""

from tests.integration.reliability.conftest import pytest_runtest_makereport  # noqa: F401
from tests.unit.desk.conftest import harness  # noqa: F401
