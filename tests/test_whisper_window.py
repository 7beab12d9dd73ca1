"""Whisper's short encoder window and the guard against invented text: the pure parts (no model)."""

from __future__ import annotations

import numpy as np
import pytest

from voicebot.engines.whisper_decode import (
    FULL_WINDOW_FRAMES,
    compression_ratio,
    drop_phantoms,
    fits_short_window,
    invented_reason,
    max_new_tokens,
    pad_frames,
    repeated_ngram,
    screen,
    window_frames,
)

# --- the window ------------------------------------------------------------------------------------


def test_window_is_the_utterance_plus_the_margin_in_even_frames() -> None:
    assert window_frames(8 * 16000, 16000, 1.0) == 902  # 801 frames of speech + 100 of margin, made even
    assert window_frames(8 * 16000, 16000, 0.0) == 802
    assert window_frames(12 * 16000, 16000, 1.0) == 1302
    assert window_frames(8 * 8000, 8000, 1.0) == 902  # the rate of the samples counts, not their number
    assert all(window_frames(n, 16000, 0.37, 0.0) % 2 == 0 for n in range(0, 16000 * 5, 997))


def test_a_short_utterance_gets_the_minimum_window() -> None:
    assert window_frames(16000 // 2, 16000, 0.5) == 600  # the default minimum: 6 s
    assert window_frames(4 * 16000, 16000, 1.0) == 600
    assert window_frames(0, 16000, 0.0, 2.0) == 200
    assert window_frames(4 * 16000, 16000, 1.0, 2.0) == 502


def test_window_grows_with_the_utterance() -> None:
    sizes = [window_frames(seconds * 16000, 16000, 1.0) for seconds in range(1, 29)]
    assert sizes == sorted(sizes) and len(set(sizes)) > 20
    assert sizes[0] == sizes[3] == 600  # 1..4 s (+ 1 s margin): the minimum window


def test_audio_that_does_not_fit_gets_the_30_s_window() -> None:
    assert window_frames(29 * 16000, 16000, 1.0) == FULL_WINDOW_FRAMES
    assert window_frames(45 * 16000, 16000, 1.0) == FULL_WINDOW_FRAMES
    assert window_frames(1 * 16000, 16000, 1.0, 40.0) == FULL_WINDOW_FRAMES
    assert fits_short_window(12 * 16000, 16000, 1.0)
    assert fits_short_window(28 * 16000, 16000, 1.0)
    assert not fits_short_window(29 * 16000, 16000, 1.0)
    assert not fits_short_window(40 * 16000, 16000, 0.0)


def test_window_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        window_frames(100, 0, 1.0)
    with pytest.raises(ValueError):
        window_frames(100, 16000, -1.0)
    with pytest.raises(ValueError):
        window_frames(100, 16000, 1.0, -2.0)


def test_padding_fills_with_zeros_and_cuts_longer_features() -> None:
    features = np.ones((80, 10), dtype=np.float32)
    padded = pad_frames(features, 16)
    assert padded.shape == (80, 16) and padded[:, :10].min() == 1.0 and padded[:, 10:].max() == 0.0
    assert padded.flags["C_CONTIGUOUS"]
    assert pad_frames(features, 4).shape == (80, 4)


def test_token_budget_follows_the_audio_length() -> None:
    assert max_new_tokens(0.0) == 16
    assert max_new_tokens(3.0) == 46
    assert max_new_tokens(60.0) == 200


# --- invented text ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("Wann hat die Zulassungsstelle geöffnet?", 2.5),
        ("Ich brauche einen neuen Personalausweis, meiner ist abgelaufen.", 4.0),
        ("nein nein nein", 1.5),
        ("ja ja", 0.8),
        ("Wohngeld", 0.6),
        ("Die Kfz-Zulassungsstelle in der Hauptstraße, bitte.", 3.0),
        ("Vielen Dank, auf Wiederhören.", 1.5),
        ("", 2.0),
    ],
)
def test_real_questions_pass(text: str, seconds: float) -> None:
    assert invented_reason(text, seconds) == ""
    assert screen(text, seconds) == (text.strip(), "")


def test_a_repetition_loop_is_caught() -> None:
    assert "repetition" in invented_reason("Ich, ich, ich, ich möchte", 3.0)
    assert "repetition" in invented_reason("Das ist gut. Das ist gut. Das ist gut.", 5.0)
    assert repeated_ngram(["a", "b", "c", "a", "b", "c", "a", "b", "c"]) == "a b c"
    assert repeated_ngram(["ja", "ja", "ja"]) == ""
    assert repeated_ngram(["das", "ist", "das", "ist"]) == ""


def test_compression_ratio_measures_repetition() -> None:
    assert compression_ratio("") == 0.0
    assert compression_ratio("Wann hat die Zulassungsstelle geöffnet?") < 1.1
    assert compression_ratio("Abfall " * 30) > 2.4
    loop = "wo ist das Amt für die Müllabfuhr " * 8  # a 7-word loop: longer than the n-gram check looks
    assert "compression ratio" in invented_reason(loop, 20.0)


def test_text_far_too_long_for_the_audio_is_caught() -> None:
    text = "Für die besten Aussichten auf Hongkong sollten Sie die Insel verlassen und fahren."
    assert invented_reason(text, 6.0) == ""
    assert "too long" in invented_reason(text, 1.0)


def test_no_speech_needs_both_signs() -> None:
    assert "no speech" in invented_reason("Tschüss.", 2.0, no_speech_prob=0.9, avg_logprob=-1.4)
    assert invented_reason("Tschüss.", 2.0, no_speech_prob=0.9, avg_logprob=-0.3) == ""
    assert invented_reason("Tschüss.", 2.0, no_speech_prob=0.2, avg_logprob=-1.4) == ""


@pytest.mark.parametrize(
    "phantom",
    [
        "Untertitel im Auftrag des ZDF, 2020",
        "Untertitelung des ZDF für funk, 2017",
        "Vielen Dank fürs Zuschauen!",
        "Danke fürs Zuschauen.",
        "Untertitel der Amara.org-Community",
        "Abonniert den Kanal!",
        "SWR 2021",
    ],
)
def test_phantom_phrases_are_not_understood(phantom: str) -> None:
    text, reason = screen(phantom, 3.0)
    assert text == "" and "phantom" in reason


def test_a_phantom_sentence_after_real_speech_is_dropped_alone() -> None:
    text, reason = screen("Wann ist das Bürgerbüro offen? Untertitel der Amara.org-Community", 6.0)
    assert text == "Wann ist das Bürgerbüro offen?" and "Amara" in reason
    assert drop_phantoms("Was kostet ein Führerschein?") == ("Was kostet ein Führerschein?", [])


def test_what_is_left_after_the_phantoms_is_still_judged() -> None:
    text, reason = screen("Ja. Ja. Ja. Ja. Vielen Dank fürs Zuschauen.", 2.0)
    assert text == "" and "repetition" in reason
