"""Which language does the call go on in? Decided per utterance from what the caller said. Pure.

- An explicit request switches at once, at any point of the call: "Do you speak English?", "English
  please", "in English", or the bare keyword "English" (for recognisers without language identification);
  "Sprechen Sie Deutsch?", "auf Deutsch", "German please" back.
- Until the call's language is settled (its first utterance that says anything about its language), the
  recogniser's identification (``Transcript.language``, Whisper) or, for typed text, the word-based guess
  (``voicebot.language.detect``) decides: sure (at least SURE) switches, less sure (at least UNSURE) is
  confirmed with the caller, below that the call stays in its language. A word-based guess that clearly
  says the call's own language overrules an unsure identification.
- Once settled, only a request switches: a caller's single English word in a German call is not a switch.
"""

from __future__ import annotations

from dataclasses import dataclass

from voicebot.language.detect import Guess, guess_language

SURE = 0.8
"""Identification probability from which the language is switched without asking."""
UNSURE = 0.5
"""Identification probability from which the caller is asked ("Would you like to continue in English?")."""
GUESS_SURE_WORDS = 2
"""Telling words a typed sentence needs for its guess to count as sure."""

_NAMES = {
    "en": ("english", "englisch", "inglese", "ingles"),
    "de": ("deutsch", "german", "germany", "deutsche"),
    "tr": ("turkish", "tuerkisch", "turkce", "turkce"),
}
_NEGATION = frozenset(str.split("not don't dont no kein keine nicht never"))
_ASK = frozenset(str.split("speak sprechen spreche in auf please bitte do you can talk continue weiter"))


@dataclass(frozen=True)
class LanguageChoice:
    """What to do about the language before the utterance is matched."""

    action: str
    """``keep`` (match in the call's language), ``switch`` (switch, then match the utterance in the new one),
    ``asked`` (the caller asked to switch: switch and say so, nothing to match), ``confirm`` (ask first)."""
    language: str
    """The language to switch to or confirm (the call's own for ``keep``)."""
    reason: str = ""
    """For the call record."""


def requested_language(text: str, languages: tuple[str, ...]) -> str:
    """The language the caller asks for by name ("Do you speak English?", "auf Deutsch"), or ""."""
    words = [word.strip(".,!?;:\"'").lower().replace("ü", "ue").replace("ç", "c") for word in text.split()]
    words = [word for word in words if word]
    if any(word in _NEGATION for word in words):  # "I don't speak German" asks for no German
        return ""
    for code in languages:
        names = _NAMES.get(code, ())
        if any(word in names for word in words) and (len(words) <= 2 or any(word in _ASK for word in words)):
            return code
    return ""


def choose_language(
    current: str,
    languages: tuple[str, ...],
    text: str,
    identified: str = "",
    probability: float = 0.0,
    settled: bool = False,
) -> LanguageChoice:
    """The language decision for one utterance (see the module docstring).

    ``identified``/``probability``: the recogniser's identification ("" for typed text or a recogniser without
    it); ``settled``: the call's language was already decided by an earlier utterance.
    """
    requested = requested_language(text, languages)
    if requested:
        if requested == current:
            return LanguageChoice("keep", current, "caller asked for the language already spoken")
        return LanguageChoice("asked", requested, f"caller asked for {requested}")
    if settled:
        return LanguageChoice("keep", current)
    guess = guess_language(text)
    if identified:
        return _by_identification(current, languages, identified, probability, guess)
    if guess.language and guess.language != current and guess.language in languages:
        sure = guess.evidence >= GUESS_SURE_WORDS and guess.confidence >= SURE
        return LanguageChoice("switch" if sure else "confirm", guess.language, f"words: {guess.confidence:.2f}")
    return LanguageChoice("keep", current)


def _by_identification(
    current: str, languages: tuple[str, ...], identified: str, probability: float, guess: Guess
) -> LanguageChoice:
    if identified == current or identified not in languages or probability < UNSURE:
        return LanguageChoice("keep", current)
    reason = f"identified {identified} ({probability:.2f})"
    if guess.language == current and guess.evidence >= GUESS_SURE_WORDS and probability < SURE:
        return LanguageChoice("keep", current, reason + ", but the words are " + current)
    return LanguageChoice("switch" if probability >= SURE else "confirm", identified, reason)


def language_settled(choice: LanguageChoice, text: str, identified: str) -> bool:
    """Did this utterance settle the call's language (it said something about it)?"""
    if not text.strip():
        return False
    return choice.action != "keep" or bool(identified) or bool(guess_language(text).language)


__all__ = ["SURE", "UNSURE", "LanguageChoice", "choose_language", "language_settled", "requested_language"]
