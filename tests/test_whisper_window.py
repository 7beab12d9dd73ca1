"""Whisper's short encoder window and the guard against invented text: the pure parts (no model)."""

from __future__ import annotations

import numpy as np
import pytest

from voicebot.engines.whisper_decode import (
    FULL_WINDOW_FRAMES,
    FifoSlots,
    compression_ratio,
    drop_phantoms,
    fits_short_window,
    invented_reason,
    max_new_tokens,
    pad_frames,
    repeated_ngram,
    screen,
    weighted_language,
    window_frames,
)

# --- the window ------------------------------------------------------------------------------------


def test_window_is_the_utterance_plus_the_margin_in_even_frames() -> None:
    assert window_frames(12 * 16000, 16000, 1.0) == 1302  # 1201 frames of speech + 100 of margin, made even
    assert window_frames(12 * 16000, 16000, 0.0) == 1202
    assert window_frames(8 * 16000, 16000, 1.0, 2.0) == 902
    assert window_frames(12 * 8000, 8000, 1.0) == 1302  # the rate of the samples counts, not their number
    assert all(window_frames(n, 16000, 0.37, 0.0) % 2 == 0 for n in range(0, 16000 * 5, 997))


def test_a_short_utterance_gets_the_minimum_window() -> None:
    assert window_frames(16000 // 2, 16000, 0.5) == 1000  # the default minimum: 10 s
    assert window_frames(4 * 16000, 16000, 1.0) == 1000
    assert window_frames(0, 16000, 0.0, 2.0) == 200
    assert window_frames(4 * 16000, 16000, 1.0, 2.0) == 502


def test_window_grows_with_the_utterance() -> None:
    sizes = [window_frames(seconds * 16000, 16000, 1.0) for seconds in range(1, 29)]
    assert sizes == sorted(sizes) and len(set(sizes)) > 18
    assert sizes[0] == sizes[7] == 1000  # 1..8 s (+ 1 s margin): the minimum window


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
    assert "repetition" in invented_reason("Die Zwei-Zwei-Zwei-Zwei-Zwei-", 3.0)  # hyphens join no words
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


def test_no_speech_and_guessing_are_caught() -> None:
    # silence and hiss in a short window (measured): a plausible sentence, but unsure and "no speech"-ish
    assert "no speech" in invented_reason("Ich bin der Erste.", 3.0, no_speech_prob=0.54, avg_logprob=-2.16)
    assert "no speech" in invented_reason("Ich habe einen", 3.0, no_speech_prob=0.79, avg_logprob=-1.6)
    assert "no speech" in invented_reason("Die Zwei.", 3.0, no_speech_prob=0.91, avg_logprob=-0.6)  # a hum
    assert "guessing" in invented_reason("Ich bin hier.", 3.0, no_speech_prob=0.3, avg_logprob=-2.3)
    # real speech (measured extremes): garbled telephone German still passes, the matcher decides
    assert invented_reason("und ein Militonist kaputt", 3.0, no_speech_prob=0.50, avg_logprob=-1.14) == ""
    assert invented_reason("Ich habe die Hände gebrochen", 3.0, no_speech_prob=0.22, avg_logprob=-1.67) == ""
    assert invented_reason("Tschüss.", 2.0, no_speech_prob=0.6, avg_logprob=-0.3) == ""


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


# --- decode slots ----------------------------------------------------------------------------------


def test_slots_admit_waiters_in_arrival_order() -> None:
    import threading
    import time

    slots = FifoSlots(1)
    order: list[int] = []
    slots.acquire()  # a decode is running
    threads = []
    for number in range(5):
        thread = threading.Thread(target=lambda n=number: (slots.acquire(), order.append(n), slots.release()))
        thread.start()
        threads.append(thread)
        while slots.waiting < number + 1:  # each one queues before the next arrives
            time.sleep(0.001)
    slots.release()
    for thread in threads:
        thread.join(timeout=5)
    assert order == [0, 1, 2, 3, 4]
    slots.acquire()  # all slots are back
    slots.release()


def test_a_slot_released_while_others_wait_goes_to_them_not_back_to_the_releaser() -> None:
    import threading

    slots = FifoSlots(2)
    slots.acquire()
    slots.acquire()
    got = threading.Event()
    waiter = threading.Thread(target=lambda: (slots.acquire(), got.set()))
    waiter.start()
    while slots.waiting == 0:
        pass
    slots.release()  # the waiter gets this slot: both are taken again
    assert got.wait(5)
    late = threading.Thread(target=slots.acquire)
    late.start()
    while slots.waiting == 0:  # a newcomer has to wait: the released slot was not put back
        pass
    slots.release()
    late.join(timeout=5)
    assert slots.waiting == 0
    with pytest.raises(ValueError):
        FifoSlots(0)


def test_identification_weighs_further_languages_by_the_callers_prior() -> None:
    ranked = [("en", 0.86), ("de", 0.12), ("fr", 0.02)]
    assert weighted_language(ranked, ("de", "en"), "de", 1.0) == ("en", pytest.approx(0.86 / 0.98))
    code, p = weighted_language(ranked, ("de", "en"), "de", 0.25)  # German telephone speech Whisper took for English
    assert code == "en" and p == pytest.approx(0.215 / 0.335) and p < 0.8  # no switch without asking
    code, p = weighted_language([("en", 0.99), ("de", 0.01)], ("de", "en"), "de", 0.25)
    assert code == "en" and p > 0.95  # clear English still switches
    assert weighted_language([("fr", 1.0)], ("de", "en"), "de", 0.25) == ("de", 0.0)
