"""Every finding built while a rule test runs has its message scanned (science.md §9)."""

import pytest

from runload.findings import Finding, check_message


@pytest.fixture(autouse=True)
def scanned_messages(monkeypatch):
    """Record every Finding message; fail the test if one breaks the wording rules."""
    seen: list[str] = []
    original = Finding.__post_init__

    def recording(self):
        original(self)
        seen.append(self.message)

    monkeypatch.setattr(Finding, "__post_init__", recording)
    yield seen
    bad = {m: check_message(m) for m in seen if check_message(m)}
    assert not bad, f"messages break the wording rules: {bad}"
