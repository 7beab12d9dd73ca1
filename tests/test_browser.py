"""The staff and admin tours in a real headless Chromium (Debian's, driven by playwright) against the real server.

A real SQLite store is filled through the CallRecorder interface, a real ``Bot`` (fake recogniser, real
espeak-ng voice) runs in the web process, and the content files are private copies. Every step saves a
screenshot; with ``VOICEBOT_SCREENSHOTS=1`` they go to ``tests/screenshots/`` (the README's pictures):

    VOICEBOT_SCREENSHOTS=1 .venv/bin/python -m pytest -q tests/test_browser.py
"""

from __future__ import annotations

import datetime as dt
import os
import random
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.admin_helpers import copy_content
from tests.web_helpers import PASSWORD, T0, FakeClock, add_user, make_store, seed_calls, serve_in_thread
from voicebot.call.bot import Bot
from voicebot.content.load import load_content
from voicebot.engines import make_synthesizer
from voicebot.engines.fakes import FakeTranscriber
from voicebot.records.calls import CallOutcome, TurnRecord
from voicebot.records.store import RecordStore

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--lang=de-DE",
]
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
WIDTH = 1000

WUNSCH = "ich hätte gern so ein eigenes Nummernschild"
"""What the caller of the misunderstood call said (becomes a new phrasing of ``wunschkennzeichen``)."""
NEW_ANSWER = (
    "Das {name} hat Montag bis Freitag von 7:30 Uhr bis 12 Uhr geöffnet, am Donnerstag auch von 13:30 Uhr "
    "bis 17:30 Uhr. Ohne Termin geht es am schnellsten am Vormittag."
)

if shutil.which(str(CHROMIUM)) is None:  # pragma: no cover - .ci/setup installs it
    pytest.skip("Debian's chromium is not installed (apt-get install chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright comes with the web extra")


def seed_history(store: RecordStore, days: int = 14, seed: int = 7) -> None:
    """Two weeks of plausible calls before T0 (CallRecorder interface), for the statistics page."""
    rng = random.Random(seed)
    answered = ["oeffnungszeiten", "anfahrt", "sperrmuell", "wohngeld", "abfuhrkalender", "kfz-abmeldung"]
    transfers = [("kfz-anmeldung", "zulassung"), ("elterngeld", "jugendamt"), ("bauantrag", "bauamt")]
    for day in range(days, 0, -1):
        date = T0 - dt.timedelta(days=day)
        if date.weekday() >= 5:
            continue
        for number in range(rng.randint(6, 14)):
            call_id = f"hist-{day}-{number}"
            at = date.replace(hour=rng.choice([6, 7, 7, 8, 8, 9, 10, 11, 12, 13]), minute=rng.randint(0, 59))
            store.call_started(call_id, f"+49170{rng.randint(1000000, 9999999)}", at)
            roll = rng.random()
            if roll < 0.55:
                topic = rng.choice(answered)
                store.turn(call_id, TurnRecord(0, at, topic.replace("-", " "), action="answer", topic=topic))
                store.call_ended(call_id, CallOutcome("answered", topic=topic, ended_at=at + dt.timedelta(seconds=40)))
            elif roll < 0.85:
                topic, department = rng.choice(transfers)
                store.turn(call_id, TurnRecord(0, at, topic, action="transfer", topic=topic, department=department))
                ended = at + dt.timedelta(seconds=25)
                store.call_ended(
                    call_id, CallOutcome("transferred", department=department, topic=topic, ended_at=ended)
                )
            else:
                store.turn(call_id, TurnRecord(0, at, "äh ja also wegen dem Ding", action="reprompt"))
                ended = at + dt.timedelta(seconds=18)
                store.call_ended(call_id, CallOutcome("hung_up", reason="Anrufer legte auf", ended_at=ended))
    store.flush()


def seed_misunderstood(store: RecordStore) -> str:
    """A call the bot could not place and put through to the switchboard."""
    call_id = "call-nummernschild"
    at = T0 + dt.timedelta(hours=3)
    store.call_started(call_id, "+49838192077", at, instance="bot-a")
    store.turn(call_id, TurnRecord(0, at, WUNSCH, action="reprompt", reason="nicht verstanden", reply="Wie bitte?"))
    store.turn(
        call_id,
        TurnRecord(
            1,
            at + dt.timedelta(seconds=9),
            "so ein Schild mit meinen Buchstaben",
            action="transfer",
            department="zentrale",
            reason="zwei Fehlversuche",
            reply="Ich verbinde Sie mit der Telefonzentrale.",
        ),
    )
    ended = at + dt.timedelta(seconds=14)
    store.call_ended(
        call_id, CallOutcome("transferred", department="zentrale", reason="zwei Fehlversuche", ended_at=ended)
    )
    store.flush()
    return call_id


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where this run's screenshots go."""
    if os.environ.get("VOICEBOT_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(exist_ok=True)
        return SCREENSHOTS
    folder = tmp_path / "screenshots"
    folder.mkdir()
    return folder


@pytest.fixture
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def _shot(page: object, path: Path, *, full_page: bool = False) -> None:
    """Save a screenshot; with Pillow at hand reduced to 256 colours (README pictures stay small)."""
    page.screenshot(path=str(path), full_page=full_page)  # type: ignore[attr-defined]
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow comes with the bench extra
        return
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)


def _login(page: object, base: str, name: str) -> None:
    page.goto(f"{base}/login")  # type: ignore[attr-defined]
    page.get_by_label("Benutzername").fill(name)  # type: ignore[attr-defined]
    page.get_by_label("Passwort").fill(PASSWORD)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Anmelden").click()  # type: ignore[attr-defined]
    page.wait_for_load_state()  # type: ignore[attr-defined]


def _logout(page: object) -> None:
    page.get_by_role("button", name="Abmelden").click()  # type: ignore[attr-defined]
    page.wait_for_url("**/login")  # type: ignore[attr-defined]


def test_staff_and_admin_tours(tmp_path: Path, browser: object, shots: Path) -> None:
    settings = copy_content(tmp_path)
    store = make_store(tmp_path)
    add_user(store, "anna", "staff")
    add_user(store, "chef", "admin")
    seed_history(store)
    seed_calls(store)
    call_id = seed_misunderstood(store)
    bot = Bot.from_settings(settings, transcriber=FakeTranscriber(), synthesizer=make_synthesizer(settings, "espeak"))
    clock = FakeClock(T0 + dt.timedelta(hours=4))
    expect = sync_api.expect
    try:
        with serve_in_thread(settings, store, clock=clock, bot=bot) as base:
            context = browser.new_context(viewport={"width": WIDTH, "height": 800}, locale="de-DE")  # type: ignore[attr-defined]
            page = context.new_page()

            # --- staff: the call list, a transferred call, feedback "falsch — richtig wäre …"
            _login(page, base, "anna")
            page.goto(f"{base}/calls")
            expect(page.get_by_role("heading", level=1)).to_be_visible()
            _shot(page, shots / "01-staff-calls.png")
            page.locator(f"a[href='/calls/{call_id}']").first.click()
            expect(page.get_by_text(WUNSCH).first).to_be_visible()
            page.get_by_label("falsch – richtig wäre:").check()
            page.locator("#fb-topic").select_option("wunschkennzeichen")
            page.locator("#fb-turn").select_option("0")
            page.get_by_label("Notiz (optional)").fill("Anrufer wollte ein Wunschkennzeichen reservieren.")
            _shot(page, shots / "02-staff-call-feedback.png", full_page=True)
            page.get_by_role("button", name="Rückmeldung speichern").click()
            expect(page.get_by_text("Danke, Ihre Rückmeldung ist gespeichert.")).to_be_visible()
            # staff cannot open the admin pages
            response = page.goto(f"{base}/admin/content")
            assert response is not None and response.status == 403
            page.goto(f"{base}/calls")
            _logout(page)

            # --- admin: edit an answer (a problem first, shown next to the field), the bot uses it
            _login(page, base, "chef")
            page.goto(f"{base}/admin/content")
            _shot(page, shots / "03-admin-content.png")
            page.goto(f"{base}/admin/content/topic/oeffnungszeiten")
            answer = page.locator("#answer")
            answer.fill("Rufen Sie {telefon} an.")
            page.get_by_role("button", name="Speichern").click()
            expect(page.locator("#err-answer")).to_contain_text("{telefon}")
            expect(answer).to_have_attribute("aria-invalid", "true")
            page.locator("#err-answer").scroll_into_view_if_needed()
            _shot(page, shots / "04-admin-problem-next-to-field.png")
            assert "{telefon}" not in settings.resolve(settings.content.faq).read_text(encoding="utf-8")
            answer.fill(NEW_ANSWER)
            page.get_by_role("button", name="Speichern").click()
            expect(page.get_by_text("Gespeichert.")).to_be_visible()
            spoken = NEW_ANSWER.replace("{name}", settings.district["name"])
            assert bot.content.topic("oeffnungszeiten").answer == NEW_ANSWER
            assert bot.prompt_text("greeting")  # the reloaded bot is whole
            page.goto(f"{base}/admin/try")
            page.get_by_label("Satz des Anrufers").fill("wann habt ihr offen")
            page.get_by_role("button", name="Testen").click()
            expect(page.locator("#reply")).to_contain_text(spoken)
            expect(page.locator("audio")).to_have_count(1)
            audio = page.request.get(base + (page.locator("audio").get_attribute("src") or ""))
            assert audio.status == 200 and audio.headers["content-type"] == "audio/wav"
            assert audio.body()[:4] == b"RIFF"
            _shot(page, shots / "05-admin-try-phrase.png", full_page=True)

            # --- admin: accept the proposed phrasing from the staff feedback
            page.goto(f"{base}/admin/proposals")
            row = page.locator("tr", has_text="Wunschkennzeichen").first
            expect(row.locator("input[name=utterance]")).to_have_value(WUNSCH)
            _shot(page, shots / "06-admin-proposals.png")
            row.get_by_role("button", name="Übernehmen").click()
            expect(page.get_by_role("status")).to_contain_text("Übernommen")
            assert load_content(settings).topic("wunschkennzeichen").phrasings[-1] == WUNSCH
            assert bot.content.topic("wunschkennzeichen").phrasings[-1] == WUNSCH
            understood = bot.matcher.understand(WUNSCH)
            assert understood.best is not None and understood.best.topic == "wunschkennzeichen"
            page.goto(f"{base}/admin/history")
            expect(page.get_by_text("topics.wunschkennzeichen.phrasings")).to_be_visible()
            _shot(page, shots / "07-admin-history.png")

            # --- admin: statistics
            page.goto(f"{base}/admin/stats")
            expect(page.locator("svg.chart").first).to_be_visible()
            assert page.locator("svg.chart").count() >= 5
            expect(page.locator("#automation-rate")).to_contain_text("%")
            _shot(page, shots / "08-admin-statistics.png", full_page=True)
            context.close()
    finally:
        store.close()
    for name in ("01-staff-calls.png", "05-admin-try-phrase.png", "08-admin-statistics.png"):
        assert (shots / name).stat().st_size > 10_000
