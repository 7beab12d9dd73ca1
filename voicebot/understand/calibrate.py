"""Calibration of the matcher's ranked topic scores, so the thresholds of ``[dialogue]`` (answer 0.80,
confirm 0.55, margin 0.06) mean what they say. Pure.

- A clear lead over the runner-up raises the best score a little (clear winners are more often right).
- A vague utterance (two close topics that both explain all of it: "es geht um den Müll") is lifted to where
  the policy offers the two topics instead of asking again from scratch.
- An utterance naming another authority or an out-of-scope matter (``voicebot.understand.words.FOREIGN_WORDS``)
  is damped so that no topic is answered.
"""

from __future__ import annotations

Ranked = list[tuple[str, tuple[float, str]]]
"""Topic id and (score, method), best first."""

MARGIN_SPAN = 0.25
"""A lead over the runner-up this large closes MARGIN_GAIN of the gap to 1.0 (calibration: clear winners are
more often right)."""
MARGIN_GAIN = 0.6
MARGIN_DEAD = 0.06
"""A lead up to this large earns nothing (a close call stays a close call)."""
MARGIN_FROM = 0.65
"""Only scores at least this high get the margin calibration."""
FOREIGN_DAMPING = 0.5
"""Topic scores are scaled by this when the caller names another authority or an out-of-scope matter
(``voicebot.understand.words.FOREIGN_WORDS``): an exact phrasing drops to a reprompt, never an answer."""
VAGUE_FLOOR = 0.6
"""Where two close, unsure topics that both explain the whole utterance are lifted to (an offer of the two)."""
VAGUE_FROM = 0.35
"""Only topics at least this likely count as vague candidates."""
VAGUE_GAP = 0.12
"""Two topics this close are both candidates of a vague utterance."""
VAGUE_GAP_KEPT = 0.4
"""Share of their gap kept after lifting (so the runner-up stays within the [dialogue] margin)."""
VAGUE_EXPLAINED = 0.9
"""Both topics must explain at least this share of the utterance."""


def calibrate(ranked: Ranked, explained: dict[str, float], foreign: bool) -> Ranked:
    """The ranked scores after the margin, vague and foreign rules (see the module docstring).

    ``explained``: per topic the share of the utterance its vocabulary explains; ``foreign``: the utterance
    names a foreign matter.
    """
    if ranked and ranked[0][1][0] >= MARGIN_FROM:
        top, (score, method) = ranked[0]
        lead = score - (ranked[1][1][0] if len(ranked) > 1 else 0.0)
        share = min(1.0, max(0.0, lead - MARGIN_DEAD) / MARGIN_SPAN)
        ranked = [(top, (score + (1.0 - score) * MARGIN_GAIN * share, method)), *ranked[1:]]
    ranked = _lift_vague(ranked, explained)
    if foreign:
        ranked = [(topic, (score * FOREIGN_DAMPING, method)) for topic, (score, method) in ranked]
    return ranked


def _lift_vague(ranked: Ranked, explained: dict[str, float]) -> Ranked:
    """A vague utterance ("es geht um den Müll", "Kennzeichen"): two topics close together, each explaining all
    of it, neither sure. Lift the first to VAGUE_FLOOR and the second to within VAGUE_GAP_KEPT of their gap
    below it, where the policy offers the two (instead of asking again from scratch)."""
    if len(ranked) < 2:
        return ranked
    (first, (score, method)), (second, (runner, runner_method)) = ranked[0], ranked[1]
    gap = score - runner
    if not VAGUE_FROM <= score < VAGUE_FLOOR or gap > VAGUE_GAP:
        return ranked
    if min(explained.get(first, 0.0), explained.get(second, 0.0)) < VAGUE_EXPLAINED:
        return ranked
    lifted = VAGUE_FLOOR - VAGUE_GAP_KEPT * gap
    return [(first, (VAGUE_FLOOR, method)), (second, (lifted, runner_method)), *ranked[2:]]


__all__ = ["Ranked", "calibrate"]
