"""Spoken texts: markup and unspeakable characters refused (``voicebot check`` and the admin form), the
speaking-time hint and its limit setting, refused big inputs not echoed."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient

from tests.admin_helpers import copy_content
from tests.web_helpers import add_user, login, make_store, running_app
from voicebot.config.load import settings_from_dict
from voicebot.config.settings import Settings
from voicebot.content.check import check_content
from voicebot.content.load import load_content
from voicebot.content.speakable import length_message, markup, shown_seconds, unspeakable
from voicebot.errors import ConfigError
from voicebot.records.store import RecordStore


@pytest.mark.parametrize(
    ("text", "tags"),
    [
        ("Hallo <script>alert(1)</script> Welt", ["<script>", "</script>"]),
        ("fett <b>hier</b>", ["<b>", "</b>"]),
        ("ein <img src=x onerror=alert(1)", ["<img"]),
        ("3 < 4 und 5 > 2", []),
    ],
)
def test_markup_is_found(text: str, tags: list[str]) -> None:
    assert markup(text) == tags


def test_unspeakable_characters() -> None:
    assert unspeakable("Öffnungszeiten: Mo–Fr 8–12 Uhr, 5 % „Gebühr“ (ca. 30 €).") == []
    assert unspeakable("Bitte *jetzt* #anrufen 😀 ~ | \x07") == ["*", "#", "😀", "~", "|", "\x07"]


def test_the_length_message_never_reads_25_of_25() -> None:
    assert length_message(25.3, 25) == (
        "Die Antwort ist zu lang zum Vorlesen: etwa 26 Sekunden – erlaubt sind höchstens 25. Bitte kürzen oder den Rest unter „Mehr dazu“ schreiben."
    )
    assert length_message(31.0, 25).endswith(
        "etwa 31 Sekunden – erlaubt sind höchstens 25. Bitte kürzen oder den Rest unter „Mehr dazu“ schreiben."
    )
    assert length_message(12.4, 25) == "etwa 12 Sekunden – erlaubt sind höchstens 25"
    assert shown_seconds(12.5, 25) == 13


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return copy_content(tmp_path)


def _replace_answer(settings: Settings, new: str) -> None:
    path = settings.resolve(settings.content.faq)
    text = path.read_text(encoding="utf-8")
    content = load_content(settings)
    old = content.topic("oeffnungszeiten").answer
    first_line = old.split()[0]
    assert first_line in text
    path.write_text(text.replace(first_line, new + " " + first_line, 1), encoding="utf-8")


def test_voicebot_check_refuses_markup_and_unspeakable_characters(settings: Settings) -> None:
    _replace_answer(settings, "<script>alert(1)</script> *")
    problems = check_content(load_content(settings), settings)
    messages = [p.message for p in problems if p.field == "topics.oeffnungszeiten.answer"]
    assert any("markup" in m and "<script>" in m for m in messages), messages


def test_the_answer_limit_is_a_setting(settings: Settings) -> None:
    content = load_content(settings)
    shortest = min(len(t.answer) for t in content.topics if t.answer)
    strict = settings_from_dict(_with_limit(settings, 5), settings.path)
    problems = check_content(content, strict)
    assert any("max_answer_seconds" in p.message for p in problems)
    assert shortest > 5 * 13
    with pytest.raises(ConfigError, match="between 5 and 120"):
        settings_from_dict(_with_limit(settings, 1000), settings.path)


def _with_limit(settings: Settings, seconds: float) -> dict[str, object]:
    import tomllib

    data = tomllib.loads(settings.path.read_text(encoding="utf-8"))
    data["content"]["max_answer_seconds"] = seconds
    return data


@pytest.fixture
def store(tmp_path: Path) -> Iterator[RecordStore]:
    records = make_store(tmp_path)
    add_user(records, "chef", "admin")
    yield records
    records.close()


def _form(settings: Settings, **changes: str) -> dict[str, str]:
    topic = load_content(settings).topic("oeffnungszeiten")
    form = {
        "title": topic.title,
        "department": topic.department,
        "keywords": ", ".join(topic.keywords),
        "phrasings": "\n".join(topic.phrasings),
        "answer": topic.answer,
    }
    form.update(changes)
    return form


async def test_the_admin_form_refuses_markup_shows_the_length_and_does_not_echo_a_megabyte(
    settings: Settings, store: RecordStore
) -> None:
    faq_before = settings.resolve(settings.content.faq).read_text(encoding="utf-8")
    client: TestClient  # type: ignore[type-arg]
    async with running_app(settings, store) as client:
        csrf = await login(client, "chef")
        page = await (await client.get("/admin/content/topic/oeffnungszeiten")).text()
        assert re.search(r'id="answer-length-text">etwa \d+ Sekunden – erlaubt sind höchstens 25<', page)
        url = "/admin/content/topic/oeffnungszeiten"
        tagged = await client.post(url, data={"csrf": csrf, **_form(settings, title="Zeiten <script>x</script>")})
        assert tagged.status == 422
        assert "keine Auszeichnungen" in html.unescape(await tagged.text())
        long_answer = "Das ist ein langer Satz über die Öffnungszeiten. " * 20
        preview = await client.post(url, data={"csrf": csrf, "preview": "1", **_form(settings, answer=long_answer)})
        assert preview.status == 200
        text = await preview.text()
        assert re.search(r"zu lang zum Vorlesen: etwa \d+ Sekunden – erlaubt sind höchstens 25", text)
        huge = "Öffnungszeiten " * 70_000  # about 1 MB
        refused = await client.post(url, data={"csrf": csrf, **_form(settings, answer=huge)})
        assert refused.status == 422
        body = await refused.text()
        assert len(body) < 200_000
        assert "viel zu lang und wurde verworfen" in body
    assert settings.resolve(settings.content.faq).read_text(encoding="utf-8") == faq_before
