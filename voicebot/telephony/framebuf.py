"""Reading the PCM of a pjsua2 media frame fast: pjmedia's clock thread must hold the GIL as briefly as possible.

``MediaFrame.buf`` is a SWIG-wrapped ``std::vector<unsigned char>`` without the buffer protocol: ``bytes(buf)``
walks it element by element through SWIG's iterator, 0.8-1 ms for a 20 ms frame at 16 kHz (640 bytes), on
pjmedia's clock thread, with the GIL held, once per call per tick. With the GIL switch interval at 1 ms that
read is also cut in pieces by the other threads, so at 4 calls a worker's clock thread fell behind its 20 ms
tick: the jitter buffers filled to their maximum and the caller's audio reached the listener up to ~0.5 s late.

:func:`vector_bytes` reads the vector's memory in one copy instead (~5 µs): a ``std::vector`` is three
pointers (begin, end, end of capacity) in every C++ standard library pjsua2 is built with (libstdc++,
libc++, MSVC's). Every read checks itself: the size the pointers give must equal ``size()``, else the slow,
certain way is taken.
"""

from __future__ import annotations

import ctypes
from typing import Any, Final

_POINTER: Final = ctypes.sizeof(ctypes.c_void_p)


def vector_bytes(vector: Any) -> bytes:
    """The contents of a SWIG-wrapped ``std::vector<unsigned char>`` (``pj.ByteVector``) as bytes."""
    try:
        address = int(vector.this)
    except (AttributeError, TypeError):
        return bytes(vector)
    begin = ctypes.c_void_p.from_address(address).value or 0
    end = ctypes.c_void_p.from_address(address + _POINTER).value or 0
    size = end - begin
    if size != int(vector.size()) or size < 0:
        return bytes(vector)
    return ctypes.string_at(begin, size) if size else b""
