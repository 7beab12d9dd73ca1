"""Scale-out: Kamailio's dispatcher (sip/kamailio/dispatcher.cfg) in front of two bot instances.

Calls are spread round robin over both; when one instance is stopped, new calls go to the other and no
call is lost; when it comes back it receives calls again. Both instances write their records into ONE
shared SQLite file (WAL), each call stamped with the instance that took it.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import pytest
from voicebot_bench.kamailio import dispatcher_config
from voicebot_bench.sipcaller import CallPlan, CallReport, Step, place_call

from tests.sip_helpers import KAMAILIO, BotProcess, Kamailio, free_rtp_base, free_udp_port, write_config

pytestmark = [pytest.mark.sip, pytest.mark.skipif(KAMAILIO is None, reason="kamailio is installed by .ci/setup")]


def _instance(folder: Path, name: str, port: int, database: Path) -> BotProcess:
    folder.mkdir(exist_ok=True)
    config = write_config(folder, sip={"port": port, "rtp_port": free_rtp_base()}, records={"database": str(database)})
    return BotProcess(config, "--line-test", "--grace", "1", instance=name)


def _calls(proxy_port: int, count: int) -> list[CallReport]:
    """``count`` short calls one after the other through the dispatcher (each presses 0 and is referred)."""
    plan = CallPlan(f"sip:voicebot@127.0.0.1:{proxy_port}", steps=(Step("switchboard", digits="0"),), quiet_ms=400)

    async def run() -> list[CallReport]:
        return [await place_call(plan) for _ in range(count)]

    return asyncio.run(run())


def _answered_by(reports: list[CallReport]) -> list[int]:
    return [int(r.contact.rsplit(":", 1)[1].split(";")[0]) if r.contact else 0 for r in reports]


def _wait_active(proxy: Kamailio, port: int, timeout: float = 10.0) -> None:
    """Until a probe of the dispatcher reaches the instance on ``port`` (OPTIONS health checks every 1 s)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port in _answered_by(_calls(proxy.port, 2)):
            return
        time.sleep(0.5)
    raise AssertionError(f"instance on {port} never received calls again:\n{proxy.log}")


def test_dispatcher_spreads_calls_fails_over_and_takes_a_returning_instance_back(tmp_path: Path) -> None:
    database = tmp_path / "shared-records.sqlite3"
    port_a, port_b = free_udp_port(), free_udp_port()
    bot_a = _instance(tmp_path / "a", "bot-a", port_a, database)
    bot_b = _instance(tmp_path / "b", "bot-b", port_b, database)
    config = dispatcher_config(tmp_path, [port_a, port_b])  # the shipped dispatcher.cfg, callers from 127.0.0.1
    with bot_a, bot_b, Kamailio(config, tmp_path) as proxy:
        time.sleep(1.5)  # first OPTIONS round of the health checks
        # 1. spread over both
        first = _calls(proxy.port, 6)
        assert all(r.answered and r.refer_to == "sip:zentrale@127.0.0.1:5090" for r in first), first
        assert set(_answered_by(first)) == {port_a, port_b}, proxy.log
        # 2. instance A stops: every new call goes to B, none is lost
        assert bot_a.terminate() == 0
        during = _calls(proxy.port, 4)
        assert all(r.answered for r in during), (during, proxy.log)
        assert set(_answered_by(during)) == {port_b}
        # 3. A comes back (same port): it receives calls again
        bot_a = _instance(tmp_path / "a", "bot-a", port_a, database).start()
        try:
            _wait_active(proxy, port_a)
        finally:
            assert bot_a.terminate() == 0
    # 4. one shared record database, each call stamped with its instance
    with sqlite3.connect(database) as conn:
        per_instance = dict(conn.execute("SELECT instance, COUNT(*) FROM calls GROUP BY instance").fetchall())
    assert per_instance.get("bot-a", 0) >= 2 and per_instance.get("bot-b", 0) >= 5, per_instance
