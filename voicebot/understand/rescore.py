"""FAQ-constrained understanding of a spoken turn: the transcript's reading, corrected by scoring candidate
texts against the audio (Whisper), or the best of a recogniser's alternatives (vosk n-best).

``Rescorer.understand(text, evidence, alternatives)``:

- with ``alternatives`` (n-best readings of the engine, ``Transcript.alternatives``) every reading is matched and
  the one whose best candidate scores highest is taken (ties: the engine's order) — :func:`best_alternative`;
- with ``evidence`` (``voicebot.ports.AcousticEvidence``: the utterance encoded once) the candidate texts of
  ``voicebot.understand.hypotheses`` are scored on it and fused with the text reading
  (``voicebot.understand.fusion``);
- when scoring fails the text reading stands (logged): acoustic evidence only ever adds to it.

Pure apart from calling the evidence it is given; no engine is imported here.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from voicebot.content.model import Content
from voicebot.ports import AcousticEvidence
from voicebot.understand.fusion import Calibration, Reader, Scored, fuse
from voicebot.understand.hypotheses import Hypotheses
from voicebot.understand.understanding import Understanding

_LOGGER: Final = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rescored:
    """The reading of one turn and what it took."""

    understanding: Understanding
    text_only: Understanding
    """The reading of the transcript alone (what the bot would have done without the audio)."""
    scored: tuple[Scored, ...] = ()
    """The candidate texts with their acoustic scores (empty without evidence or when scoring failed)."""
    error: str = ""
    """Why acoustic scoring was skipped (empty when it ran or was not asked for)."""


def best_alternative(read: Reader, texts: Sequence[str]) -> Understanding:
    """The reading of the alternative whose best candidate scores highest (a department or signal counts as a
    reading too: 0.5); the first text wins ties. ``texts`` must not be empty."""
    readings = [read(text) for text in texts]

    def strength(reading: Understanding) -> float:
        best = reading.best.score if reading.best else 0.0
        named = 0.5 if reading.department is not None or reading.signals else 0.0
        return max(best, named)

    return max(readings, key=strength)  # max keeps the first of equals


class Rescorer:
    """Reads spoken turns against one ``Content`` with its matcher (build once per content)."""

    def __init__(
        self, content: Content, read: Reader, calibration: Calibration | None = None, *, limit: int = 24
    ) -> None:
        self.read = read
        self.calibration = calibration or Calibration()
        self.hypotheses = Hypotheses(content, limit=limit)

    def understand(
        self, text: str, evidence: AcousticEvidence | None = None, alternatives: Sequence[str] = ()
    ) -> Rescored:
        """The turn's reading (see the module docstring)."""
        texts = [text, *(alt for alt in alternatives if alt != text)]
        plain = best_alternative(self.read, texts) if len(texts) > 1 else self.read(text)
        if evidence is None or not text.strip():
            return Rescored(plain, plain)
        hypotheses = self.hypotheses.build(plain.text, plain)
        try:
            acoustic = evidence.score([hypothesis.text for hypothesis in hypotheses])
        except Exception as error:  # the engine failed: the text reading stands
            _LOGGER.warning("acoustic rescoring failed, using the transcript alone: %s", error)
            return Rescored(plain, plain, error=f"{type(error).__name__}: {error}")
        if len(acoustic) != len(hypotheses):
            return Rescored(plain, plain, error=f"{len(acoustic)} scores for {len(hypotheses)} texts")
        scored = tuple(
            Scored(hypothesis, value, plain if hypothesis.kind == "transcript" else self.read(hypothesis.text))
            for hypothesis, value in zip(hypotheses, acoustic, strict=True)
        )
        return Rescored(fuse(plain, scored, self.calibration), plain, scored)


__all__ = ["Rescored", "Rescorer", "best_alternative"]
