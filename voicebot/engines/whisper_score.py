"""Acoustic scoring of candidate texts with Whisper's own decoder (teacher-forced), for FAQ-constrained
recognition: the role the phrase grammar plays for vosk.

``WhisperScorer.listen(pcm)`` computes the log-mel features of one utterance and runs Whisper's encoder once
on a short window (the utterance plus ``pad_s`` of silence, not the 30 s window the free decode pays for:
about 0.13 s instead of 1 s for a 4 s question on two cores, and the decoder's cross-attention stays cheap).
``WhisperEvidence.score(texts)`` then forces each text and the end-of-text token through the decoder
(CTranslate2's ``Whisper.align``, which returns every forced token's probability) in batches of ``batch`` texts and returns the mean log-probability
per token: a length-normalised score, comparable between texts of the same utterance.

It shares the loaded model and the semaphore of a ``voicebot.engines.whisper_asr.WhisperTranscriber``, so
scoring and decoding together never queue more work in CTranslate2 than ``concurrency`` allows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from voicebot.engines.whisper_asr import WhisperTranscriber
from voicebot.engines.whisper_decode import FifoSlots
from voicebot.errors import AsrError

MAX_FRAMES = 3000
"""Whisper's window: 30 s of 10 ms feature frames; longer audio is scored on its first 30 s."""
MIN_LOGPROB = -20.0
"""Floor of one token's log-probability (a probability of 0 would make the mean minus infinity)."""
MAX_TOKENS = 96
"""Tokens of a candidate text scored at most (FAQ phrasings need 5-30)."""


class WhisperScorer:
    """Scores texts against utterances with a loaded Whisper model (thread-safe across utterances)."""

    name = "whisper"
    sample_rate = 16000

    def __init__(self, transcriber: WhisperTranscriber, *, pad_s: float = 1.0, batch: int = 8) -> None:
        """``pad_s``: silence appended before encoding (seconds); ``batch``: texts forced through the decoder
        at once (8 measured fastest on two cores)."""
        from faster_whisper.tokenizer import Tokenizer

        self._model = transcriber.model
        self._slots: FifoSlots = transcriber.slots
        self._tokenizer = Tokenizer(self._model.hf_tokenizer, True, task="transcribe", language=transcriber.language)
        self._start = [*self._tokenizer.sot_sequence, self._tokenizer.no_timestamps]
        self.pad_s = pad_s
        self.batch = max(1, batch)

    def tokens(self, text: str) -> list[int]:
        """The tokens Whisper would write for ``text`` (leading space, as in a transcript), then end-of-text: its
        probability is what keeps a text that covers only the start of the utterance ("Kann ich") from winning."""
        if not text.strip():
            return []
        return [*list(self._tokenizer.encode(" " + text.strip()))[:MAX_TOKENS], self._tokenizer.eot]

    def listen(self, pcm: bytes) -> WhisperEvidence:
        """Encode one utterance (16-bit mono PCM at 16 kHz) on a short window."""
        import ctranslate2

        audio = np.frombuffer(pcm[: len(pcm) // 2 * 2], dtype="<i2").astype(np.float32) / 32768.0
        audio = np.concatenate([audio, np.zeros(int(self.pad_s * self.sample_rate), dtype=np.float32)])
        try:
            features = self._model.feature_extractor(audio)[:, :MAX_FRAMES]
            frames = features.shape[1] + features.shape[1] % 2
            if frames > features.shape[1]:
                features = np.pad(features, ((0, 0), (0, 1)))
            view = ctranslate2.StorageView.from_array(np.ascontiguousarray(features[None], dtype=np.float32))
            with self._slots:
                encoded = np.array(self._model.model.encode(view, to_cpu=True))
        except Exception as error:
            raise AsrError(f"whisper: encoding the utterance for scoring failed: {error}") from error
        return WhisperEvidence(self, encoded, frames // 2)

    def _align(self, encoded: np.ndarray, tokens: list[list[int]], frames: int) -> list[list[float]]:
        import ctranslate2

        view = ctranslate2.StorageView.from_array(np.ascontiguousarray(np.repeat(encoded, len(tokens), axis=0)))
        with self._slots:
            results: list[Any] = self._model.model.align(view, self._start, tokens, [frames] * len(tokens))
        return [list(result.text_token_probs) for result in results]


class WhisperEvidence:
    """One encoded utterance; ``score`` forces candidate texts through the decoder against it."""

    def __init__(self, scorer: WhisperScorer, encoded: np.ndarray, frames: int) -> None:
        self._scorer = scorer
        self._encoded = encoded
        self._frames = frames
        self.scored = 0
        """Texts scored on this utterance so far."""

    def score(self, texts: Sequence[str]) -> list[float]:
        """Mean token log-probability of each text (``MIN_LOGPROB`` for a text without tokens)."""
        tokens = [self._scorer.tokens(text) for text in texts]
        scores = [MIN_LOGPROB] * len(texts)
        todo = [index for index, item in enumerate(tokens) if item]
        step = self._scorer.batch
        try:
            for start in range(0, len(todo), step):
                chunk = todo[start : start + step]
                probs = self._scorer._align(self._encoded, [tokens[i] for i in chunk], self._frames)
                for index, values in zip(chunk, probs, strict=True):
                    logs = [max(MIN_LOGPROB, math.log(p)) if p > 0 else MIN_LOGPROB for p in values]
                    scores[index] = sum(logs) / len(logs) if logs else MIN_LOGPROB
        except Exception as error:
            raise AsrError(f"whisper: scoring candidate texts failed: {error}") from error
        self.scored += len(texts)
        return scores


__all__ = ["WhisperEvidence", "WhisperScorer"]
