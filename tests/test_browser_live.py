"""The live switchboard page in Chromium during a real SIP call.

``voicebot run --web`` (Whisper base, espeak-ng, pjsua2) answers a call from the pure-Python SIP caller, who
asks for the Jugendamt by name (or presses 0 for the switchboard, should the recogniser mishear). The page is
opened before the call and never reloaded: its own script shows the call while it runs and then as
transferred, with the topic, the caller's (masked) words and the bot's reason.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import threading
from pathlib import Path

import pytest
from voicebot_bench.sipcaller import CallPlan, CallReport, Step, place_call

from tests.sip_helpers import (
    SIPP,
    BotProcess,
    departments_at,
    free_rtp_base,
    free_tcp_port,
    free_udp_port,
    write_config,
)
from tests.test_browser import _login, _shot, browser, shots, sync_api
from tests.test_sip_bot import speech8k
from tests.web_helpers import add_user
from voicebot.records.store import RecordStore

pytestmark = [pytest.mark.browser, pytest.mark.sip, pytest.mark.model, pytest.mark.slow]
__all__ = ["browser", "shots"]


@pytest.mark.skipif(shutil.which("espeak-ng") is None or SIPP is None, reason="needs espeak-ng and the SIP tools")
def test_the_live_page_follows_a_real_call_without_reloading(tmp_path: Path, browser: object, shots: Path) -> None:
    config = write_config(
        tmp_path,
        sip={"port": free_udp_port(), "rtp_port": free_rtp_base(), "max_calls": 2},
        vad={"no_input_ms": 4000, "max_utterance_ms": 8000},
        departments=departments_at("127.0.0.1", free_udp_port()),
    )
    store = RecordStore(tmp_path / "records.sqlite3")
    add_user(store, "anna", "staff")
    store.close()
    web_port = free_tcp_port()
    expect = sync_api.expect
    with BotProcess(
        config, "--grace", "3", "--web", "--web-port", str(web_port), instance="bot-live", ready_timeout_s=300
    ) as bot:
        base = f"http://127.0.0.1:{web_port}"
        assert bot.wait_log(f"web app on {base}/"), bot.log[-2000:]
        context = browser.new_context(viewport={"width": 1000, "height": 800}, locale="de-DE")  # type: ignore[attr-defined]
        page = context.new_page()
        _login(page, base, "anna")
        page.goto(f"{base}/live")
        expect(page.locator("#live-empty")).to_be_visible()
        page.evaluate("window.__notReloaded = true")

        reports: list[CallReport] = []
        plan = CallPlan(
            bot.uri,
            # a department by name; should the recogniser mishear it, "0" puts the caller through to the switchboard
            steps=(Step("question", pcm8k=speech8k("dept-jugendamt")), Step("zero", digits="0")),
            quiet_ms=2500,
            reply_timeout_s=60,
            hold_s=20,
        )
        caller = threading.Thread(target=lambda: reports.append(asyncio.run(place_call(plan))), daemon=True)
        caller.start()
        running = page.locator("li.live-call.live")
        expect(running).to_have_count(1, timeout=30_000)
        expect(running).to_contain_text("läuft")
        _shot(page, shots / "12-live-call-running.png")
        done = page.locator("li.live-call.transferred")
        try:
            expect(done).to_have_count(1, timeout=90_000)
        except AssertionError as error:
            raise AssertionError(f"{page.locator('#live-list').inner_text()}\n{reports}\n{bot.log[-3000:]}") from error
        text = done.inner_text()
        assert "Weitergeleitet" in text
        assert "Abteilung" in text and ("Jugendamt" in text or "Telefonzentrale" in text), text
        assert re.search(r"Anrufer sagte\n„.+“", text), text  # what the recogniser heard (it may mishear)
        assert "Grund" in text, text
        assert page.evaluate("window.__notReloaded") is True  # updated by the page's own script
        _shot(page, shots / "13-live-call-transferred.png")
        caller.join(60)
        assert reports and reports[0].answered, reports
        assert reports[0].refer_to.startswith(("sip:jugendamt@", "sip:zentrale@")), (reports, bot.log[-3000:])
        context.close()
