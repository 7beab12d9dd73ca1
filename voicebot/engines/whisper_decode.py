"""Whisper on the caller's utterance only: a short encoder window, and the guard against invented text.

faster-whisper pads every utterance to Whisper's 30 s window (3000 log-mel frames) before encoding it; the
encoder's cost grows with the window, not with the speech (base model, two cores, quiet: 30 s ~860 ms,
10 s ~145 ms, 5 s ~60 ms). CTranslate2's Whisper encoder accepts fewer frames (the positional embeddings
are cut to the input), so :func:`decode_window` encodes the utterance plus a margin of zero frames (what
faster-whisper pads with), at least a minimum window (:func:`window_frames`), and runs the decoder on that
directly (``ctranslate2.models.Whisper.encode`` / ``generate``, no timestamp tokens). Audio that does not
fit into one short window goes the faster-whisper way instead.

Chosen by measurement (``shared/eval/speech_de``, 31 human clips, 392 words; corpus WER, greedy):

    window                          WER 16 kHz              WER 8 kHz A-law
    30 s (faster-whisper)           15.31                   21.94
    min 2 s, margin 0.5 / 1 / 2 s   20.66 / 20.15 / 17.60   27.04 / 25.26 / 23.98
    min 4 s, margin 1 s             16.84                   24.49
    min 5 s, margin 1 s             16.84                   24.74
    min 6 s, margin 0.5 / 1 / 2 s   15.31 / 15.31 / 14.80   20.41 / 20.92 / 20.15
    min 8 s, margin 1 s             15.31                   21.17
    min 10 s, margin 0.5 / 1 / 2 s  14.29 / 14.29 / 13.78   20.41 / 20.92 / 20.41
    (min 10 s, margin 1 s, with timestamp tokens: 16.33 / 22.45)

On a window of a few seconds Whisper loops ("Alles Clearance Alles Clearance ..." for a 0.9 s "Alles
klärchen") or cuts and splits words; from 6 s on the corpus WER holds, but single clips still read worse
("Mist, wie der nichts geschafft" with 6 or 8 s, "Mist wieder nichts geschafft" with 10 s and with 30 s;
the decoder's mean log-probability rises with the window). Defaults: at least 10 s, 2 s of margin: a 2-8 s
question is encoded as 10 s (~145 ms instead of ~860 ms), a 12 s one as 14 s.

:func:`invented_reason` is the pure guard against Whisper's known failure on noise and short windows: text
it makes up (subtitle credits, "Vielen Dank fürs Zuschauen"), loops of the same words, far more text than
the audio can hold, or a decode that itself says "no speech". It names the reason, the caller of it logs it
and treats the utterance as not understood.
"""

from __future__ import annotations

import collections
import math
import re
import threading
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

SAMPLE_RATE = 16000
"""Whisper's audio rate (Hz)."""
FRAMES_PER_SECOND = 100
"""Log-mel frames per second of audio (hop of 160 samples at 16 kHz)."""
FULL_WINDOW_FRAMES = 3000
"""Whisper's window: 30 s of log-mel frames (1500 encoder positions)."""
FULL_WINDOW_S = FULL_WINDOW_FRAMES / FRAMES_PER_SECOND
DEFAULT_MARGIN_S = 2.0
"""Padding after the utterance (seconds), chosen by measurement (see the module docstring)."""
DEFAULT_MIN_WINDOW_S = 10.0
"""Never encode less than this (seconds): on a window of a few seconds Whisper loops ("Alles Clearance Alles
Clearance ...") and its word error rate rises by a third; from 6 s on the corpus WER is that of the 30 s
window, from 10 s on single clips also read as in the 30 s window (measured)."""
TIMESTAMPS = False
"""Let Whisper write its timestamp tokens (as faster-whisper's ``without_timestamps=False``). Off: measured
one to two points better word error rate in short windows; the timestamps themselves are not used."""

MAX_TOKENS = 200
"""Upper bound of tokens decoded per window."""
TOKENS_PER_SECOND = 10
"""Tokens allowed per second of audio (German speech needs about 8)."""
NO_SPEECH_SURE = 0.8
"""A decode whose no-speech probability is above this heard no speech, whatever it wrote (measured on 240
short-window decodes of real speech, human and espeak, 16 kHz and 8 kHz: at most 0.50; a 50 Hz hum: 0.91)."""
NO_SPEECH_LIMIT = 0.5
"""Above this no-speech probability ...  """
NO_SPEECH_LOGPROB = -1.5
"""... together with a mean token log-probability below this, the decode heard no speech (real speech with
a no-speech probability near 0.5 had -1.1 to -1.3; silence and hiss: -1.8 to -3.0)."""
GUESS_LOGPROB = -2.0
"""A mean token log-probability below this is guessing, not hearing (real speech: -1.67 at the lowest)."""
COMPRESSION_LIMIT = 2.4
"""Text that zlib compresses better than this is a repetition loop (real speech: < 1.1 measured)."""
CHARS_PER_SECOND = 25.0
"""More letters per second of audio than this cannot have been said (read German speech: at most ~17)."""
CHARS_SLACK = 15
"""Letters allowed on top of ``CHARS_PER_SECOND`` (very short utterances, one long compound)."""
PHANTOM_PATTERNS = (
    r"untertitel",
    r"zuschauen",
    r"amara\.?\s*org",
    r"abonnier",
    r"copyright",
    r"www\.",
    r"\bswr\b",
)
"""Text Whisper learnt from subtitled videos and writes on hum or silence: a sentence containing one of
these is dropped (German telephone questions never contain them)."""
_PHANTOM = re.compile("|".join(PHANTOM_PATTERNS), re.IGNORECASE)
_SENTENCE = re.compile(r"(?<=[.!?…])\s+")


def window_frames(samples: int, rate: int, margin_s: float, min_window_s: float = DEFAULT_MIN_WINDOW_S) -> int:
    """Log-mel frames to encode for ``samples`` of audio at ``rate``: speech + margin, at least ``min_window_s``.

    The count is even (the encoder's first convolution halves it) and at most ``FULL_WINDOW_FRAMES``, which
    it is whenever the audio and its margin do not fit into one short window (the caller then takes the
    30 s path).
    """
    if rate <= 0 or samples < 0 or margin_s < 0 or min_window_s < 0:
        raise ValueError(
            f"window_frames: bad arguments samples={samples} rate={rate} margin_s={margin_s} min_window_s={min_window_s}"
        )
    content = samples * FRAMES_PER_SECOND // rate + 1
    wanted = max(math.ceil(min_window_s * FRAMES_PER_SECOND), content + math.ceil(margin_s * FRAMES_PER_SECOND))
    wanted += wanted % 2
    return min(FULL_WINDOW_FRAMES, wanted)


def fits_short_window(samples: int, rate: int, margin_s: float) -> bool:
    """True when the audio with its margin is shorter than Whisper's 30 s window."""
    return window_frames(samples, rate, margin_s, 0.0) < FULL_WINDOW_FRAMES


def max_new_tokens(seconds: float) -> int:
    """Tokens the decoder may write for ``seconds`` of audio (a cap stops repetition loops on noise early)."""
    return min(MAX_TOKENS, 16 + int(TOKENS_PER_SECOND * seconds))


def compression_ratio(text: str) -> float:
    """Bytes of ``text`` over bytes of its zlib compression (Whisper's repetition measure)."""
    data = text.encode("utf-8")
    return len(data) / len(zlib.compress(data)) if data else 0.0


def repeated_ngram(words: list[str], *, single: int = 4, longer: int = 3) -> str:
    """The first n-gram (n = 1..4) said ``single`` (n = 1) or ``longer`` (n > 1) times in a row, or ""."""
    lowered = [re.sub(r"[^\w]", "", w.lower()) for w in words]
    for size in range(1, 5):
        needed = single if size == 1 else longer
        for start in range(0, len(lowered) - size * needed + 1):
            gram = lowered[start : start + size]
            if not any(gram):
                continue
            if all(lowered[start + k * size : start + (k + 1) * size] == gram for k in range(1, needed)):
                return " ".join(gram)
    return ""


def drop_phantoms(text: str) -> tuple[str, list[str]]:
    """``text`` without its sentences that contain a phantom phrase; also the dropped sentences."""
    kept: list[str] = []
    dropped: list[str] = []
    for sentence in _SENTENCE.split(text.strip()):
        (dropped if _PHANTOM.search(sentence) else kept).append(sentence)
    return " ".join(s for s in kept if s), dropped


def invented_reason(text: str, seconds: float, no_speech_prob: float = 0.0, avg_logprob: float = 0.0) -> str:
    """Why ``text`` (decoded from ``seconds`` of audio) is not what was said, or "" when it may be.

    Phantom sentences are not judged here (see :func:`drop_phantoms`, applied first).
    """
    stripped = text.strip()
    if not stripped:
        return ""
    if no_speech_prob > NO_SPEECH_SURE or (no_speech_prob > NO_SPEECH_LIMIT and avg_logprob < NO_SPEECH_LOGPROB):
        return f"no speech (no_speech_prob {no_speech_prob:.2f}, avg_logprob {avg_logprob:.2f})"
    if avg_logprob < GUESS_LOGPROB:
        return f"guessing (avg_logprob {avg_logprob:.2f})"
    letters = sum(1 for ch in stripped if ch.isalnum())
    if letters > CHARS_PER_SECOND * seconds + CHARS_SLACK:
        return f"too long for the audio ({letters} letters in {seconds:.1f} s)"
    loop = repeated_ngram(re.split(r"[\s\-–/]+", stripped))
    if loop:
        return f"repetition loop ({loop!r})"
    ratio = compression_ratio(stripped)
    if ratio > COMPRESSION_LIMIT:
        return f"repetition loop (compression ratio {ratio:.2f})"
    return ""


def screen(text: str, seconds: float, no_speech_prob: float = 0.0, avg_logprob: float = 0.0) -> tuple[str, str]:
    """(text to use, reason it was changed or emptied; "" when untouched): phantoms dropped, then judged."""
    kept, dropped = drop_phantoms(text)
    reason = invented_reason(kept, seconds, no_speech_prob, avg_logprob)
    if reason:
        return "", reason
    if dropped:
        return kept, "phantom phrase " + " / ".join(repr(s) for s in dropped)
    return kept, ""


@dataclass(frozen=True)
class Decoded:
    """One short-window decode as Whisper gave it (before :func:`screen`)."""

    text: str
    avg_logprob: float
    """Mean log-probability of the tokens (the end token included, as faster-whisper computes it)."""
    no_speech_prob: float
    frames: int
    """Log-mel frames encoded."""


def log_mel(model: Any, audio: np.ndarray) -> np.ndarray:
    """faster-whisper's log-mel features of ``audio`` (float32, 16 kHz): ``[80, frames]``."""
    features: np.ndarray = model.feature_extractor(audio)
    return features[:, :-1] if features.shape[-1] > 1 else features


def pad_frames(features: np.ndarray, frames: int) -> np.ndarray:
    """``features`` cut or padded with zeros to ``frames`` (zeros: what faster-whisper pads its 30 s window with)."""
    if features.shape[-1] >= frames:
        return np.ascontiguousarray(features[:, :frames])
    return np.ascontiguousarray(np.pad(features, ((0, 0), (0, frames - features.shape[-1]))))


def encode_window(model: Any, audio: np.ndarray, *, margin_s: float, min_window_s: float = DEFAULT_MIN_WINDOW_S) -> Any:
    """The encoder output of ``audio`` (float32, 16 kHz, shorter than the 30 s window) padded to its short
    window: a CTranslate2 ``StorageView`` ``[1, frames // 2, d_model]`` that both :func:`ranked_languages` and
    :func:`decode_encoded` take, so identifying the language costs no second encoder pass."""
    import ctranslate2

    frames = window_frames(len(audio), SAMPLE_RATE, margin_s, min_window_s)
    features = pad_frames(log_mel(model, audio), frames)
    return model.model.encode(ctranslate2.StorageView.from_array(features[np.newaxis]), to_cpu=False)


def ranked_languages(model: Any, encoded: Any) -> list[tuple[str, float]]:
    """Whisper's language probabilities for an encoder output (``ctranslate2.models.Whisper.detect_language``
    accepts encoded features), best first, as ISO codes (``"<|en|>"`` -> ``"en"``)."""
    ranked = model.model.detect_language(encoded)[0]
    return [(str(token).strip("<|>"), float(probability)) for token, probability in ranked]


def decode_encoded(
    model: Any,
    tokenizer: Any,
    encoded: Any,
    seconds: float,
    *,
    beam_size: int,
    suppress_tokens: tuple[int, ...],
    timestamps: bool = TIMESTAMPS,
) -> Decoded:
    """Decode an encoder output of ``seconds`` of speech with ``tokenizer`` (its language)."""
    return decode_encoded_as(
        model,
        [tokenizer],
        encoded,
        seconds,
        beam_size=beam_size,
        suppress_tokens=suppress_tokens,
        timestamps=timestamps,
    )[0]


def decode_encoded_as(
    model: Any,
    tokenizers: Sequence[Any],
    encoded: Any,
    seconds: float,
    *,
    beam_size: int,
    suppress_tokens: tuple[int, ...],
    timestamps: bool = TIMESTAMPS,
) -> list[Decoded]:
    """Decode one encoder output ``[1, frames, d_model]`` in each tokenizer's language, in one batch.

    One batch of two costs about 0.6 of two decodes one after the other (measured: median 349 against 590 ms,
    6 fixtures, 1 thread): the decoder's weights are read once per step for every row."""
    prompts = [[*t.sot_sequence] if timestamps else [*t.sot_sequence, t.no_timestamps] for t in tokenizers]
    batch = encoded
    if len(prompts) > 1:
        import ctranslate2

        rows = np.ascontiguousarray(np.repeat(np.asarray(encoded), len(prompts), axis=0))
        batch = ctranslate2.StorageView.from_array(rows)
    results = model.model.generate(
        batch,
        prompts,
        beam_size=beam_size,
        max_length=max(len(p) for p in prompts) + max_new_tokens(seconds),
        return_scores=True,
        return_no_speech_prob=True,
        suppress_blank=True,
        suppress_tokens=list(suppress_tokens),
    )
    frames = 2 * int(encoded.shape[1])
    decoded = []
    for tokenizer, result in zip(tokenizers, results, strict=True):
        tokens = result.sequences_ids[0]
        # faster-whisper's mean log-probability: the score is the sum over the tokens and the end token.
        score = float(result.scores[0])
        avg_logprob = score * len(tokens) / (len(tokens) + 1) if tokens else score
        decoded.append(Decoded(tokenizer.decode(tokens).strip(), avg_logprob, float(result.no_speech_prob), frames))
    return decoded


CLEAR_LOGPROB = -0.6
"""A decode in an identified language other than the base one at least this sure (mean token log-probability)
stands as it is."""
MIN_OTHER_LOGPROB = -0.85
"""Below ``CLEAR_LOGPROB`` it stands only when at least this sure and ``OTHER_MARGIN`` surer than the decode of
the same encoder output in the base language."""
OTHER_MARGIN = 0.2
"""See ``MIN_OTHER_LOGPROB``. Measured on the 8 kHz A-law fixtures (Whisper base): identification alone said
English (>= 0.8) for 13 of 58 German espeak-ng utterances (9 with the former 30-s pass); with this check none,
and all 10 English ones kept English (their decodes -0.15..-0.77, at least 0.24 above the German decode)."""


def weighted_language(
    ranked: Sequence[tuple[str, float]], languages: Sequence[str], base: str, other_weight: float
) -> tuple[str, float]:
    """The most likely of ``languages`` in Whisper's ranking ``(code, probability)`` and its probability among
    them, each language other than ``base`` weighted by ``other_weight`` first (a prior); ``(base, 0.0)`` when
    none of them is ranked."""
    weights = {code: 1.0 if code == base else other_weight for code in languages}
    among = {code: float(p) * weights[code] for code, p in ranked if code in weights}
    total = sum(among.values())
    if total <= 0:
        return base, 0.0
    code = max(among, key=lambda key: among[key])
    return code, among[code] / total


def other_language_holds(other: Decoded, base: Decoded | None) -> bool:
    """Whether a decode in the identified language (not the base one) stands against ``base``, the decode in
    the base language (None: not made yet, only a clearly spoken ``other`` stands)."""
    if other.avg_logprob >= CLEAR_LOGPROB:
        return True
    if base is None:
        return False
    return other.avg_logprob >= MIN_OTHER_LOGPROB and other.avg_logprob >= base.avg_logprob + OTHER_MARGIN


def decode_window(
    model: Any,
    tokenizer: Any,
    audio: np.ndarray,
    *,
    margin_s: float,
    min_window_s: float = DEFAULT_MIN_WINDOW_S,
    beam_size: int,
    suppress_tokens: tuple[int, ...],
    timestamps: bool = TIMESTAMPS,
) -> Decoded:
    """Encode ``audio`` (float32, 16 kHz, shorter than the 30 s window) padded to its window, decode it.

    ``model`` is a loaded ``faster_whisper.WhisperModel`` (its CTranslate2 model and feature extractor are
    used), ``tokenizer`` its ``faster_whisper.tokenizer.Tokenizer`` for the language.
    """
    encoded = encode_window(model, audio, margin_s=margin_s, min_window_s=min_window_s)
    seconds = len(audio) / SAMPLE_RATE
    return decode_encoded(
        model, tokenizer, encoded, seconds, beam_size=beam_size, suppress_tokens=suppress_tokens, timestamps=timestamps
    )


class FifoSlots:
    """A counting semaphore that admits waiters strictly in arrival order.

    ``threading.Semaphore`` lets a thread that releases a slot take it straight back (or any woken waiter
    win), so under load one call's decode can wait behind several later ones (measured: p95 3.5x the p50
    with four calls). Here every decode waits at most for the ones that asked before it.
    """

    def __init__(self, slots: int) -> None:
        if slots < 1:
            raise ValueError(f"FifoSlots needs at least one slot, got {slots}")
        self._free = slots
        self._lock = threading.Lock()
        self._waiting: collections.deque[threading.Event] = collections.deque()

    def acquire(self) -> None:
        """Wait for a slot; earlier callers get theirs first."""
        with self._lock:
            if self._free > 0 and not self._waiting:
                self._free -= 1
                return
            turn = threading.Event()
            self._waiting.append(turn)
        turn.wait()  # release() handed its slot over to this waiter

    def release(self) -> None:
        """Give the slot to the longest waiter, or back to the pool."""
        with self._lock:
            if self._waiting:
                self._waiting.popleft().set()
            else:
                self._free += 1

    @property
    def waiting(self) -> int:
        """Callers waiting for a slot now."""
        with self._lock:
            return len(self._waiting)

    def __enter__(self) -> FifoSlots:
        self.acquire()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.release()
