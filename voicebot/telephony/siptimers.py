"""Shorter SIP transaction timeout, so a call whose 200 OK is never ACKed frees its line within seconds.

pjsip keeps an answered INVITE waiting for the caller's ACK for ``64 x T1`` = 32 s (timer H), then sends
BYE, whose own transaction may wait another 32 s (timer F) if the caller does not answer it either: about
a minute during which pjsua's call slot is taken (measured: 4 unACKed INVITEs blocked the bot for ~55 s).
pjsua2 does not expose the timers; pjsip's ``pjsip_tsx_set_timers(t1, t2, t4, td)`` does, and the wheel's
extension module exports it, so it is called through ctypes. Only ``td`` changes (0 keeps a value):
T1 (500 ms) and T2 (4 s) stay, so the 2xx is still retransmitted at 0.5, 1.5, 3.5 s ... until ``td``.

``td`` is also the timeout of the bot's own non-INVITE requests (BYE, REFER, REGISTER; timer F) and how
long completed transactions absorb retransmissions (timers H, J). On a LAN or a trunk to a PBX every
answer comes within milliseconds, so 6 s still allows several retransmissions.
"""

from __future__ import annotations

import ctypes
import logging
from typing import Final

import pjsua2

_LOGGER: Final = logging.getLogger(__name__)

TRANSACTION_TIMEOUT_MS: Final = 6000
"""pjsip's ``td`` (timers H, F, J; RFC 3261 default 32000 ms): the longest wait for an ACK of the bot's
200 OK and for an answer to the bot's requests (milliseconds)."""


def shorten_transaction_timeout(td_ms: int = TRANSACTION_TIMEOUT_MS) -> bool:
    """Set pjsip's transaction timeout (any time after import; it applies to new transactions).

    False (logged) when the wheel's library does not export the function: pjsip's 32 s then apply.
    """
    library = pjsua2.__path__[0]
    try:
        from pjsua2 import _pjsua2  # the extension module with pjsip linked in

        handle = ctypes.CDLL(_pjsua2.__file__)
        set_timers = handle.pjsip_tsx_set_timers
    except (ImportError, OSError, AttributeError) as error:
        _LOGGER.warning(
            "cannot shorten the SIP transaction timeout (%s in %s): unACKed calls hold a line 32 s", error, library
        )
        return False
    set_timers.argtypes = [ctypes.c_uint, ctypes.c_uint, ctypes.c_uint, ctypes.c_uint]
    set_timers.restype = None
    set_timers(0, 0, 0, td_ms)
    return True
