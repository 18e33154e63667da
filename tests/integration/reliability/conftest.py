"""The desk fixtures of tests/integration/desk, reused; each test's result goes to the
reliability table when $STORYDESK_TEST_TABLE is set (tests.integration.reliability.table)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.desk.conftest import desk, engines, sqlite_desk  # noqa: F401
from tests.integration.reliability.table import record_test


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Any:
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" or (report.when == "setup" and not report.passed):
        reason = ""
        if report.skipped and isinstance(report.longrepr, tuple):
            reason = str(report.longrepr[2])
        record_test(item.nodeid, report.outcome, reason)
