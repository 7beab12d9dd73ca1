"""The tables of ``voicebot bench accuracy``, each number next to the committed result's.

Ratio keys (``bench/voicebot_bench/results/accuracy.json``), so that "before" always means the same set:

* ``route_<stage>_<system>``: share of right routes on the cases *not* tagged ``heldout`` (the set the
  matcher was tuned on); ``route_<stage>_<system>_heldout`` on the held-out cases;
* ``fixture_wer_<stage>`` / ``fixture_wer_<stage>_heldout``: mean WER of the spoken fixtures, same split;
* ``fixture_wer_<voice>`` and ``route_gen_matcher_<voice>``: per voice profile over the generated
  conditions; ``wer_speech_de_<condition>``: corpus WER on the human clips; ``greeting_vs_goal``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from voicebot_bench import report
from voicebot_bench.accuracy import Heard, RouteResult, Summary, summarize
from voicebot_bench.fixture_audio import CONDITIONS

Ratios = dict[str, dict[str, Any]]

COMMITTED = {"text": "typed text", "asr16k": "16 kHz PCM, own voices", "asr8k": "8 kHz A-law, own voices"}
"""What the committed stages are."""


def stage_label(stage: str) -> str:
    """What an input stage is, for tables."""
    if stage in COMMITTED:
        return COMMITTED[stage]
    name = stage.removeprefix("asr-")
    return CONDITIONS[name].label + ", sweep voices" if name in CONDITIONS else stage


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _pct(value: float | None) -> float | None:
    return None if value is None else value * 100


def route_ratios(
    results: Sequence[RouteResult], heldout: set[str], ratios: Ratios
) -> tuple[list[Summary], list[Summary]]:
    """Summaries per (stage, system) of the tuned and the held-out set; their accuracies added to ``ratios``."""
    tuned = summarize([r for r in results if r.case not in heldout])
    held = summarize([r for r in results if r.case in heldout])
    for summary in tuned:
        ratios[f"route_{summary.stage}_{summary.system}"] = report.ratio(summary.accuracy, "higher")
    for summary in held:
        ratios[f"route_{summary.stage}_{summary.system}_heldout"] = report.ratio(summary.accuracy, "higher")
    return tuned, held


def wer_ratios(heard: Sequence[Heard], heldout: set[str], ratios: Ratios) -> None:
    """Mean fixture WER per stage (tuned / held-out) and per voice over the generated conditions."""
    speech = [h for h in heard if h.voice]
    for stage in dict.fromkeys(h.stage for h in speech):
        for suffix, rows in (
            ("", [h.wer for h in speech if h.stage == stage and h.case not in heldout]),
            ("_heldout", [h.wer for h in speech if h.stage == stage and h.case in heldout]),
        ):
            value = _mean(rows)
            if value is not None:
                ratios[f"fixture_wer_{stage}{suffix}"] = report.ratio(value, "lower")
    for voice in dict.fromkeys(h.voice for h in speech if h.stage.startswith("asr-")):
        value = _mean([h.wer for h in speech if h.voice == voice and h.stage.startswith("asr-")])
        if value is not None:
            ratios[f"fixture_wer_{voice}"] = report.ratio(value, "lower")


def route_table(tuned: Sequence[Summary], held: Sequence[Summary], ratios: Ratios, before: Mapping[str, float]) -> str:
    """One row per input stage: WER, matcher (tuned and held-out) and baseline, each with its "before"."""
    rows: list[list[Any]] = []
    for stage in dict.fromkeys(s.stage for s in [*tuned, *held]):
        row: list[Any] = [stage, stage_label(stage)]
        wer_key = f"fixture_wer_{stage}"
        row += [_pct(ratios.get(wer_key, {}).get("value")), _pct(before.get(wer_key))]
        for system, suffix, summaries in (
            ("matcher", "", tuned),
            ("matcher", "_heldout", held),
            ("baseline", "", tuned),
        ):
            key = f"route_{stage}_{system}{suffix}"
            found = [s.total for s in summaries if s.stage == stage and s.system == system]
            row += [found[0] if found else None, _pct(ratios.get(key, {}).get("value")), _pct(before.get(key))]
        known = [s.known for s in [*tuned, *held] if s.stage == stage and s.system == "matcher"]
        row.append(sum(known))
        rows.append(row)
    headers = ["input", "what", "WER %", "before", "n", "matcher %", "before", "n held-out", "held-out %"]
    headers += ["before", "n", "baseline %", "before", "known fail"]
    return report.table(headers, rows)


def voice_table(heard: Sequence[Heard], results: Sequence[RouteResult], ratios: Ratios) -> str:
    """Mean WER per voice profile: own-voice committed versions, then each generated condition."""
    speech = [h for h in heard if h.voice]
    stages = [s for s in dict.fromkeys(h.stage for h in speech)]
    voice_of = {(h.case, h.stage): h.voice for h in heard}
    rows: list[list[Any]] = []
    for voice in dict.fromkeys(h.voice for h in speech):
        row: list[Any] = [voice]
        for stage in stages:
            row.append(_pct(_mean([h.wer for h in speech if h.voice == voice and h.stage == stage])))
        generated = [
            r
            for r in results
            if r.system == "matcher" and r.stage.startswith("asr-") and voice_of.get((r.case, r.stage)) == voice
        ]
        accuracy = sum(r.correct for r in generated) / len(generated) if generated else None
        if accuracy is not None:
            ratios[f"route_gen_matcher_{voice}"] = report.ratio(accuracy, "higher")
        row += [len(generated) or None, _pct(accuracy)]
        rows.append(row)
    headers = ["voice", *(f"WER % {s.removeprefix('asr')}".replace("% -", "% ") for s in stages)]
    return report.table([*headers, "n gen", "route % gen"], rows)


def human_wer_table(rows: Iterable[list[Any]], before: Mapping[str, float]) -> str:
    """The WER on the human clips with the committed value beside it."""
    out = [[*row[:4], _pct(before.get(f"wer_speech_de_{row[0]}")), *row[4:]] for row in rows]
    return report.table(["condition", "clips", "audio s", "WER %", "before", "sub", "del", "ins", "RTF"], out)


def print_misses(results: Sequence[RouteResult], say: Callable[[str], None], stages: Iterable[str]) -> None:
    """The matcher's misses at the listed stages that are not known failures; counts for the others."""
    tracked = set(stages)
    misses = [r for r in results if r.system == "matcher" and not r.correct and r.known is None]
    listed = [r for r in misses if r.stage in tracked]
    if listed:
        say("")
        say(f"matcher misses not listed as known failures ({len(listed)}):")
        for r in listed:
            got = "/".join(str(part) for part in r.got)
            want = "/".join(str(part) for part in r.expected)
            say(f"  {r.stage:7} {r.case:34} got {got:40} want {want:40} heard {r.heard[:70]!r}")
    other = [r for r in misses if r.stage not in tracked]
    if other:
        counts = {stage: sum(r.stage == stage for r in other) for stage in dict.fromkeys(r.stage for r in other)}
        say("misses in the generated conditions (not listed one by one; see decisions in the JSON): ")
        say("  " + ", ".join(f"{stage} {count}" for stage, count in counts.items()))
