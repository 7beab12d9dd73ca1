"""Reading a pjsua2 frame's PCM in one copy (``voicebot.telephony.framebuf``) gives exactly ``bytes(vector)``."""

from __future__ import annotations

import pjsua2 as pj
import pytest

from voicebot.telephony.framebuf import vector_bytes


@pytest.mark.parametrize("size", [0, 1, 320, 640, 4097])
def test_the_fast_read_equals_the_slow_one(size: int) -> None:
    data = bytes((index * 7 + 3) % 256 for index in range(size))
    vector = pj.ByteVector(data)
    assert vector_bytes(vector) == bytes(vector) == data


def test_a_frame_buffer_is_read_through_the_frame() -> None:
    frame = pj.MediaFrame()
    frame.buf = pj.ByteVector(b"\x01\x02" * 320)
    assert vector_bytes(frame.buf) == b"\x01\x02" * 320
    frame.buf.resize(10)  # the vector changed under the wrapper: still its current contents
    assert vector_bytes(frame.buf) == b"\x01\x02" * 5


def test_anything_else_is_read_the_ordinary_way() -> None:
    assert vector_bytes([1, 2, 3]) == b"\x01\x02\x03"
