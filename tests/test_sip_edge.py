"""The recommended edge: Kamailio (sip/kamailio/dispatcher.cfg) in front of the bot with a source allow-list,
pike and ratelimit, and record-routing so that every in-dialog request reaches the bot from the host its INVITE
came from (the bot's own guard refuses any other).

Kamailio listens on 127.0.0.4 and the bot lets only 127.0.0.4 in: a call from 127.0.0.1 works end to end only
through the proxy (the caller's BYE and the transfer's NOTIFYs included); 127.0.0.2 is a stranger.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from voicebot_bench import sipwire
from voicebot_bench.kamailio import Kamailio, dispatcher_config
from voicebot_bench.sipcaller import CallPlan, Step, place_call

from tests.sip_helpers import KAMAILIO, BotProcess, free_rtp_base, free_udp_port, write_config
from tests.sip_raw import RawPeer

pytestmark = [pytest.mark.sip, pytest.mark.skipif(KAMAILIO is None, reason="kamailio is not installed")]

EDGE = "127.0.0.4"
LIMITS = {"PIKE_DENSITY": 30, "INVITE_RATE": 3}


@dataclass
class Edge:
    bot: BotProcess
    proxy: Kamailio

    @property
    def uri(self) -> str:
        return f"sip:voicebot@{EDGE}:{self.proxy.port}"


@pytest.fixture(scope="module")
def edge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Edge]:
    folder = tmp_path_factory.mktemp("edge")
    sip = {"port": free_udp_port(), "rtp_port": free_rtp_base(), "allowed_peers": [EDGE], "max_calls": 4}
    config = write_config(folder, sip=sip, vad={"no_input_ms": 4000})
    with BotProcess(config, "--line-test", "--grace", "1") as bot:
        text = dispatcher_config(folder, [bot.sip_port], pbx_network="127.0.0.1/32", limits=LIMITS)
        with Kamailio(text, folder, host=EDGE, settle_s=1.5) as proxy:
            yield Edge(bot, proxy)


def normal_call(edge: Edge, targets: tuple[str, ...] = ("sip:jugendamt@",)) -> None:
    """A call through the edge is answered and transferred; its REFER, NOTIFYs and BYE all pass the proxy."""
    deadline = time.monotonic() + 20
    while True:
        plan = CallPlan(edge.uri, steps=(Step("transfer", digits="4"),), quiet_ms=500, reply_timeout_s=10)
        report = asyncio.run(place_call(plan))
        if report.answered or time.monotonic() > deadline:
            break
        time.sleep(1.0)  # a 503 of the rate limit or of busy lines: try again, as a PBX would
    assert report.answered and report.error == "", (report, edge.proxy.log_tail(40), edge.bot.log[-3000:])
    assert report.refer_to.startswith(targets), report


def test_a_call_through_the_edge_is_answered_and_its_dialog_passes_the_proxy(edge: Edge) -> None:
    normal_call(edge)
    assert "not the dialog's peer" not in edge.bot.log and "refused BYE" not in edge.bot.log, edge.bot.log[-3000:]


def test_a_stranger_is_refused_by_the_edge_and_never_reaches_the_bot(edge: Edge) -> None:
    with RawPeer("127.0.0.2", edge.proxy.port, EDGE) as stranger:
        assert stranger.ask("INVITE") == 403
        assert stranger.ask("OPTIONS") == 403
    assert "127.0.0.2" not in edge.bot.log
    normal_call(edge)


def test_a_flood_is_cut_by_pike_and_the_line_keeps_working(edge: Edge) -> None:
    with RawPeer("127.0.0.3", edge.proxy.port, EDGE) as flooder:
        for index in range(200):  # 200 requests in about 1 s, bounded
            flooder.send(flooder.request("OPTIONS", f"flood-{index}@127.0.0.3"))
            time.sleep(0.005)
        answers = 0
        while flooder.wait(lambda m: m.is_response, timeout=1.0) is not None:
            answers += 1
    assert answers <= LIMITS["PIKE_DENSITY"] + 10, answers  # the rest was dropped, not answered
    assert "flooding (pike)" in edge.proxy.log or "pike" in edge.proxy.log
    assert "127.0.0.3" not in edge.bot.log
    normal_call(edge)


def test_new_calls_beyond_the_rate_get_503_from_the_edge(edge: Edge) -> None:
    statuses: list[str] = []
    with RawPeer("127.0.0.1", edge.proxy.port, EDGE) as pbx:
        ids = [f"burst-{index}-{sipwire.new_tag()}@127.0.0.1" for index in range(8)]
        for call_id in ids:
            pbx.send(pbx.request("INVITE", call_id))
        for call_id in ids:  # calls the bot took are never ACKed: it frees their lines within seconds
            reply = pbx.final(call_id, "INVITE", timeout=4.0)
            if reply is not None:
                statuses.append(reply.start.split(" ", 1)[1])
    limited = [status for status in statuses if status == "503 Too many calls"]
    assert limited, statuses
    assert "more than" in edge.proxy.log, edge.proxy.log_tail(20)
    # the unACKed calls of the burst still hold lines for a few seconds: then the bot's overflow line answers
    normal_call(edge, ("sip:jugendamt@", "sip:zentrale@"))
