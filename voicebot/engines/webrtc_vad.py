"""Voice activity detection with the WebRTC VAD (``webrtcvad-wheels``, imported as ``webrtcvad``).

One detector per call: the WebRTC VAD keeps a little state between frames. It accepts 10, 20 or 30 ms
frames of 16-bit mono PCM at 8, 16, 32 or 48 kHz; anything else is an AudioFormatError saying what
arrived and what is needed.
"""

from __future__ import annotations

from voicebot.audio import AudioFrame
from voicebot.errors import AudioFormatError, ModelError

VAD_RATES = (8000, 16000, 32000, 48000)
"""Sample rates the WebRTC VAD accepts (hertz)."""
VAD_FRAME_MS = (10, 20, 30)
"""Frame lengths the WebRTC VAD accepts (milliseconds)."""


class WebrtcSpeechDetector:
    """Speech/non-speech per frame; ``aggressiveness`` 0 (lenient) to 3 (filters most non-speech)."""

    def __init__(self, aggressiveness: int = 2) -> None:
        if aggressiveness not in (0, 1, 2, 3):
            raise ModelError(f"webrtcvad: aggressiveness must be 0..3, got {aggressiveness} (set [vad] aggressiveness)")
        try:
            import webrtcvad
        except ImportError as error:
            raise ModelError(f"webrtcvad: not installed ({error}); pip install webrtcvad-wheels") from error
        self.aggressiveness = aggressiveness
        self._vad = webrtcvad.Vad(aggressiveness)

    def is_speech(self, frame: AudioFrame) -> bool:
        """True if the frame contains speech; raises AudioFormatError for a rate or length the VAD cannot take."""
        if frame.rate not in VAD_RATES:
            raise AudioFormatError(
                f"webrtcvad: frames at {frame.rate} Hz cannot be checked; resample to one of "
                f"{', '.join(str(r) for r in VAD_RATES)} Hz first"
            )
        sizes = {ms: frame.rate * ms // 1000 for ms in VAD_FRAME_MS}
        if len(frame.pcm) % 2 or frame.samples not in sizes.values():
            expected = ", ".join(f"{n} samples ({ms} ms)" for ms, n in sizes.items())
            raise AudioFormatError(
                f"webrtcvad: a frame of {len(frame.pcm)} bytes ({frame.samples} samples at {frame.rate} Hz) "
                f"cannot be checked; frames must be 16-bit mono with {expected}"
            )
        return bool(self._vad.is_speech(frame.pcm, frame.rate))
