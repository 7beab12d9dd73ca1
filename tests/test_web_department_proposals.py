"""Feedback that names only a department proposes a department name (synonym); accepting writes it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.admin_helpers import copy_content
from tests.web_helpers import add_user, login, make_store, running_app, seed_calls
from voicebot.config.settings import Settings
from voicebot.content.load import load_content
from voicebot.records.store import RecordStore


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return copy_content(tmp_path)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[RecordStore]:
    records = make_store(tmp_path)
    seed_calls(records)
    add_user(records, "chef", "admin")
    yield records
    records.close()


async def test_department_only_feedback_becomes_a_synonym(settings: Settings, store: RecordStore) -> None:
    async with running_app(settings, store) as client:
        csrf = await login(client, "chef")
        saved = await client.post(
            "/calls/call-answered/feedback",
            data={"csrf": csrf, "verdict": "wrong", "department": "jugendamt", "turn": "0"},
            allow_redirects=False,
        )
        assert saved.status == 303
        page = await (await client.get("/admin/proposals")).text()
        assert "Neuer Name für die Abteilung" in page
        found = re.search(r'action="/admin/proposals/(\d+)" id="accept-\d+"', page)
        assert found is not None
        accepted = await client.post(
            f"/admin/proposals/{found.group(1)}",
            data={"csrf": csrf, "decision": "accept", "utterance": "Kinderamt"},
            allow_redirects=False,
        )
        assert accepted.status == 303, await accepted.text()
        again = await client.post(
            f"/admin/proposals/{'9' * 25}", data={"csrf": csrf, "decision": "accept"}, allow_redirects=False
        )
        assert again.status == 404
    department = next(d for d in load_content(settings).departments if d.id == "jugendamt")
    assert "Kinderamt" in department.synonyms
