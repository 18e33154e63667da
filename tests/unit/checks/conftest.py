"""Each checks test starts with empty check caches.

The claims memo and the text, date and consistency caches are filled by every check; left
from earlier tests (or, under mutmut, from the clean run the mutant runs fork from), they would
answer a test with verdicts the code under test never computed.
"""

from __future__ import annotations

import pytest

from agent.checks import claims


@pytest.fixture(autouse=True)
def _fresh_check_caches() -> None:
    claims.forget_checks()
