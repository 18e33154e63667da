"""Each test's result goes to the reliability table when $STORYDESK_TEST_TABLE is set
(tests.integration.reliability.table)."""

from tests.integration.reliability.table import pytest_runtest_makereport  # noqa: F401
