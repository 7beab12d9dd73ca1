"""Kamailio as registrar and proxy (sip/kamailio/kamailio.cfg): the bot registers with digest
authentication and a call placed through Kamailio reaches it; a wrong password is refused and logged."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from voicebot_bench.sipcaller import CallPlan, Step, place_call
from voicebot_bench.sipdialog import options_ping

from tests.sip_helpers import KAMAILIO, ROOT, BotProcess, Kamailio, free_rtp_base, free_udp_port, write_config

pytestmark = [pytest.mark.sip, pytest.mark.skipif(KAMAILIO is None, reason="kamailio is installed by .ci/setup")]

PASSWORD = "test-passwort-123"


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kamailio]:
    folder = tmp_path_factory.mktemp("kamailio")
    config = (ROOT / "sip" / "kamailio" / "kamailio.cfg").read_text(encoding="utf-8")
    config = config.replace("geheim-bitte-aendern", PASSWORD)
    with Kamailio(config, folder) as kamailio:
        yield kamailio


def _bot_config(folder: Path, proxy: Kamailio, password: str) -> Path:
    (folder / "sip-password").write_text(password + "\n", encoding="utf-8")
    sip = {
        "mode": "register",
        "registrar": f"sip:127.0.0.1:{proxy.port}",
        "auth_user": "voicebot",
        "password_file": str(folder / "sip-password"),
        "register_seconds": 60,
        "port": free_udp_port(),
        "rtp_port": free_rtp_base(),
    }
    return write_config(folder, sip=sip)


def test_bot_registers_with_digest_auth_and_a_call_through_kamailio_reaches_it(proxy: Kamailio, tmp_path: Path) -> None:
    assert asyncio.run(options_ping(f"sip:127.0.0.1:{proxy.port}")) == 200
    with BotProcess(_bot_config(tmp_path, proxy, PASSWORD), "--line-test") as bot:
        assert bot.wait_log("registered at sip:127.0.0.1"), bot.log
        assert "listening on sip:voicebot@" in bot.log and "registered as voicebot" in bot.log
        plan = CallPlan(f"sip:voicebot@127.0.0.1:{proxy.port}", steps=(Step("switchboard", digits="0"),), quiet_ms=500)
        report = asyncio.run(place_call(plan))
        assert report.answered, (report, proxy.log)
        assert report.refer_to == "sip:zentrale@127.0.0.1:5090", bot.log + proxy.log
        assert "relayed to sip:voicebot@127.0.0.1" in proxy.log
    assert bot.wait_log("unregistered from")


def test_wrong_password_is_refused_and_logged_clearly(proxy: Kamailio, tmp_path: Path) -> None:
    with BotProcess(_bot_config(tmp_path, proxy, "falsch"), "--line-test") as bot:
        assert bot.wait_log("registration at sip:127.0.0.1"), bot.log
        assert "FAILED: 403" in bot.log or "FAILED: 401" in bot.log, bot.log
        report = asyncio.run(place_call(CallPlan(f"sip:voicebot@127.0.0.1:{proxy.port}", wait_greeting=False)))
        assert report.status == 404
