"""Stage 2, listening: voice activity per frame, end of turn and barge-in (pure ``endpointing``), the recogniser
session per utterance (``listener``), and the recogniser's phrase list built from the FAQ base (``grammar``).

Uses the ``SpeechDetector`` and ``Transcriber`` Protocols of ``voicebot.ports``; reports typed turn events.
"""
