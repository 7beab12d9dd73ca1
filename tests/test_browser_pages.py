"""Issue 13's pages in a real headless Chromium: the German timeline, the live length hint, statistics that add
up, the phone layout (390×844: navigation fits, no horizontal scroll, filters folded) and the focus after
saving feedback. Screenshots as in ``test_browser.py`` (``VOICEBOT_SCREENSHOTS=1`` writes the README's)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from tests.admin_helpers import copy_content
from tests.test_browser import CHROMIUM, _login, _shot, browser, seed_history, shots, sync_api
from tests.web_helpers import T0, FakeClock, add_user, make_store, seed_calls, serve_in_thread
from voicebot.records.calls import CallOutcome, TurnRecord
from voicebot.records.store import RecordStore

pytestmark = pytest.mark.browser
__all__ = ["browser", "shots"]  # fixtures shared with test_browser.py
assert CHROMIUM.exists()

PHONE = {"width": 390, "height": 844}


def seed_german_timeline(store: RecordStore) -> str:
    """A department request with a callback offer and a hang-up: every code the old page showed in English."""
    call_id = "call-jugendamt"
    at = T0 + dt.timedelta(hours=2)
    store.call_started(call_id, "+4983815555", at)
    turns = [
        TurnRecord(0, at, "", action="greeting", reply="Landratsamt, guten Tag.", reason="Anruf angenommen",
                   timings_ms={"tts_ms": 15.0}),
        TurnRecord(1, at + dt.timedelta(seconds=6), "verbinden sie mich mit dem jugendamt", engine="whisper",
                   asr_confidence=0.22, candidates=(("mitarbeiter", 0.29), ("kinderbetreuung", 0.2)),
                   action="transfer", department="jugendamt", reason="Anrufer verlangte Jugendamt",
                   timings_ms={"asr_ms": 800.0, "match_ms": 4.0, "tts_ms": 20.0, "gap_ms": 1300.0}),
        TurnRecord(2, at + dt.timedelta(seconds=12), "", action="transfer_failed", department="jugendamt",
                   reason="Weiterleitung gescheitert (486 Busy Here)"),
    ]  # fmt: skip
    for turn in turns:
        store.turn(call_id, turn)
    store.call_ended(
        call_id,
        CallOutcome("hung_up", "jugendamt", None, "Anrufer legte auf (callback_offer)", at + dt.timedelta(seconds=30)),
    )
    store.flush()
    return call_id


def test_german_timeline_length_hint_statistics_and_phone_layout(tmp_path: Path, browser: object, shots: Path) -> None:
    settings = copy_content(tmp_path)
    store = make_store(tmp_path)
    add_user(store, "anna", "staff")
    add_user(store, "chef", "admin")
    seed_history(store)
    seed_calls(store)
    call_id = seed_german_timeline(store)
    clock = FakeClock(T0 + dt.timedelta(hours=4))
    expect = sync_api.expect
    try:
        with serve_in_thread(settings, store, clock=clock) as base:
            context = browser.new_context(viewport={"width": 1000, "height": 800}, locale="de-DE")  # type: ignore[attr-defined]
            page = context.new_page()
            _login(page, base, "anna")

            # --- the timeline in German words; certainty of what the decision was based on
            page.goto(f"{base}/calls/{call_id}")
            timeline = page.locator("ol.timeline")
            visible = timeline.inner_text()
            for code in ("greeting", "transfer_failed", "tts_ms", "gap_ms", "callback_offer", "Zeiten:", "whisper)"):
                assert code not in visible, code
            expect(timeline).to_contain_text("Begrüßung")
            expect(timeline).to_contain_text("Weiterleitung an Jugendamt angekündigt")
            expect(timeline).to_contain_text("Grundlage: Der Anrufer nannte die Abteilung Jugendamt")
            expect(timeline.get_by_text("Grundlage:")).to_have_count(1)  # not for the failed transfer
            expect(page.locator(".facts")).to_contain_text("Anrufer legte auf (beim Rückrufangebot)")
            expect(timeline.get_by_text("mit einem Mitarbeiter sprechen")).to_be_hidden()  # folded away
            expect(timeline.get_by_text("Pause bis zur Antwort")).to_be_hidden()
            timeline.locator("summary", has_text="Messwerte").nth(1).click()
            expect(timeline.get_by_text("Pause bis zur Antwort")).to_be_visible()
            _shot(page, shots / "09-staff-call-german.png", full_page=True)

            # --- feedback: the focus moves to the confirmation
            page.get_by_label("richtig", exact=True).check()
            page.get_by_role("button", name="Rückmeldung speichern").click()
            expect(page.locator("#gespeichert")).to_be_focused()

            # --- the phone: navigation in one row, no horizontal scroll, filters folded
            phone = browser.new_context(viewport=PHONE, locale="de-DE", is_mobile=True, has_touch=True)  # type: ignore[attr-defined]
            small = phone.new_page()
            _login(small, base, "chef")
            for path in ("/calls", f"/calls/{call_id}", "/callbacks", "/live", "/admin/stats", "/admin/content"):
                small.goto(base + path)
                width = small.evaluate("document.documentElement.scrollWidth")
                assert width <= PHONE["width"], (path, width)
                expect(small.locator(".nav")).to_be_hidden()  # folded into the menu
                header = small.locator(".site-header").bounding_box()
                assert header is not None and header["height"] < 70, (path, header)  # one row
            small.get_by_text("Menü").click()
            links = small.locator(".nav a")
            expect(links.first).to_be_visible()
            for index in range(links.count()):
                box = links.nth(index).bounding_box()
                assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
            assert small.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
            _shot(small, shots / "10-phone-menu.png")
            small.goto(base + "/calls")
            expect(small.locator("#filter-fold")).not_to_have_attribute("open", "")
            expect(small.get_by_label("Ergebnis")).to_be_hidden()
            _shot(small, shots / "10-phone-calls.png")
            phone.close()
            page.goto(f"{base}/calls")
            expect(page.locator("#filter-fold")).to_have_attribute("open", "")  # wide screens: open

            # --- statistics: every outcome, parts add up, base next to shares
            page.get_by_role("button", name="Abmelden").click()
            _login(page, base, "chef")
            page.goto(f"{base}/admin/stats")
            counts = [int(text) for text in page.locator("#breakdown tbody td:nth-child(2)").all_inner_texts()]
            total = int(page.locator("#breakdown-sum").inner_text())
            assert sum(counts) == total > 10
            labels = " ".join(page.locator("#breakdown tbody td:first-child").all_inner_texts())
            for word in ("beantwortet", "weitergeleitet", "Rückruf", "aufgelegt", "Überlauf", "technischer Fehler"):
                assert word in labels
            assert re.fullmatch(r"\d+ %", page.locator("#automation-rate").inner_text().strip())
            assert re.search(r"\(\d+ von \d+ angenommenen Anrufen\)", page.locator("#automation-base").inner_text())
            inside = page.locator("svg.chart").last.evaluate(
                """svg => { const box = svg.getBoundingClientRect();
                  return [...svg.querySelectorAll('text')].every(t => { const r = t.getBoundingClientRect();
                    return r.left >= box.left - 1 && r.right <= box.right + 1; }); }"""
            )
            assert inside, "a topic name in the chart is cut off"

            # --- the answer's speaking time, live while typing and on "Länge prüfen" without saving
            page.goto(f"{base}/admin/content/topic/oeffnungszeiten")
            hint = page.locator("#answer-length")
            expect(hint).to_contain_text("erlaubt sind höchstens 25")
            page.locator("#answer").fill("Kurz. " * 3)
            expect(hint).to_contain_text("etwa 1 Sekunden")
            page.locator("#answer").fill("Das ist ein langer Satz über die Öffnungszeiten. " * 9)
            expect(hint).to_contain_text("zu lang zum Vorlesen: etwa 34 Sekunden – erlaubt sind höchstens 25")
            expect(hint).to_have_class(re.compile(r"\bover\b"))
            _shot(page, shots / "11-admin-length-hint.png")
            faq = settings.resolve(settings.content.faq).read_text(encoding="utf-8")
            page.get_by_role("button", name="Länge prüfen").click()
            expect(page.locator("#answer-length")).to_contain_text("etwa 34 Sekunden")
            assert settings.resolve(settings.content.faq).read_text(encoding="utf-8") == faq
            context.close()
    finally:
        store.close()
