"""pjsip's drop-data callback, registered through ctypes: answers requests pjsip's parser throws away.

``pjsip_tpmgr_receive_packet`` (pjproject 2.15.1, ``sip_transport.c``) drops a message with a syntax
error (``PJSIP_EINVALIDMSG``) or without Call-ID/From/To/Via/CSeq (``PJSIP_EMISSINGHDR``) before any
module sees it, so neither pjsua nor the request guard (``pjguard``) can answer it. It then calls the
transport manager's single drop-data callback (``pjsip_tpmgr_set_drop_data_cb``; pjsua sets none) with
``pjsip_tp_dropped_data {tp, data, len, status}``, synchronously, on the thread that polls pjsip, while
the ``pjsip_rx_data`` that holds the datagram is alive.

The callback gets no rx_data, only ``data``. For UDP ``data`` is ``rdata->pkt_info.packet`` when the
datagram starts with the message (pjsip skips leading CR/LF first, and TCP may pass a later fragment),
so the rx_data is ``data - PKT_OFFSET`` exactly then. That is checked, not assumed: the candidate's
``tp_info.op_key.rdata`` must point at the candidate itself (the UDP transport sets that self-pointer),
its ``tp_info.transport`` must be ``tp``, its ``pkt_info.len`` must be ``len`` (the whole datagram), and
its source address must be IPv4/IPv6 with a sane length. Any mismatch: no answer. Reading at
``data - PKT_OFFSET`` stays inside the rx_data in every case pjsip passes (``data`` points into
``pkt_info.packet``, which starts ``PKT_OFFSET`` bytes in). The offsets are the ones the guard's
self-test verified (``RxLayout``).

The answer (``answer`` returns its bytes, or None) is sent with ``pjsip_endpt_send_raw`` through the
very transport that received the datagram (a ``PJSIP_TPSELECTOR_TRANSPORT`` selector; pjsip refuses a
transport of another type, so only UDP is answered) to the packet's source address copied from
``pkt_info.src_addr``. No exception leaves the callback (it returns void into C): errors are logged.
"""

from __future__ import annotations

import ctypes
import logging
import socket
from collections.abc import Callable
from typing import Final

from voicebot.telephony.pjguard import (
    INET6_ADDRSTRLEN,
    OP_KEY_RDATA_OFFSET,
    PKT_OFFSET,
    SOCKADDR_SIZE,
    TRANSPORT_OFFSET,
    RxLayout,
    pjsip_library,
)

_LOGGER: Final = logging.getLogger(__name__)

PJSIP_EINVALIDMSG: Final = 171020
"""``PJSIP_ERRNO_START_PJSIP + 20``: a syntax error in the message."""
PJSIP_EMISSINGHDR: Final = 171050
"""``PJSIP_ERRNO_START_PJSIP + 50``: Call-ID, From, To, Via or CSeq missing."""
ANSWERED_STATUSES: Final = frozenset({PJSIP_EINVALIDMSG, PJSIP_EMISSINGHDR})
PJ_EPENDING: Final = 70002
"""``PJ_ERRNO_START_STATUS + 2``: the send completes later (still a success)."""
PJSIP_TRANSPORT_UDP: Final = 1
PJSIP_TRANSPORT_UDP6: Final = 1 + 128
PJSIP_TPSELECTOR_TRANSPORT: Final = 1

Answer = Callable[[bytes, str, int], bytes | None]
"""(datagram, source host, source port) -> the response to send back, or None."""

_DROP_CALLBACK = ctypes.CFUNCTYPE(None, ctypes.c_void_p)


class _DroppedData(ctypes.Structure):
    """``pjsip_tp_dropped_data`` (sip_transport.h, 2.15.1)."""

    _fields_ = (
        ("tp", ctypes.c_void_p),
        ("data", ctypes.c_void_p),
        ("len", ctypes.c_size_t),
        ("status", ctypes.c_int),
    )


class _Selector(ctypes.Structure):
    """``pjsip_tpselector``: type, disable_connection_reuse, then the union (a transport pointer here)."""

    _fields_ = (("type", ctypes.c_int), ("disable_connection_reuse", ctypes.c_int), ("transport", ctypes.c_void_p))


class DropResponder:
    """The registered drop-data callback (endpoint thread): ``install`` after the guard's self-test,
    ``uninstall`` before ``libDestroy``."""

    def __init__(self, answer: Answer) -> None:
        self._answer = answer
        self._lib = pjsip_library()
        self._lib.pjsip_endpt_get_tpmgr.restype = ctypes.c_void_p
        self._lib.pjsip_endpt_get_tpmgr.argtypes = (ctypes.c_void_p,)
        self._lib.pjsip_tpmgr_set_drop_data_cb.argtypes = (ctypes.c_void_p, ctypes.c_void_p)
        self._lib.pjsip_endpt_send_raw.argtypes = (
            ctypes.c_void_p,
            ctypes.c_int,
            ctypes.c_void_p,
            ctypes.c_void_p,
            ctypes.c_size_t,
            ctypes.c_void_p,
            ctypes.c_int,
            ctypes.c_void_p,
            ctypes.c_void_p,
        )
        self._callback = _DROP_CALLBACK(self._on_dropped)
        self._endpt: int | None = None
        self._tpmgr: int | None = None
        self._layout: RxLayout | None = None
        self.answered = 0
        """Dropped requests answered since start."""
        self.unmatched = 0
        """Dropped messages whose rx_data could not be confirmed (not answered)."""

    def install(self, layout: RxLayout) -> None:
        """Register the callback (``layout``: the rx_data offsets the guard's self-test verified)."""
        endpt = self._lib.pjsua_get_pjsip_endpt()
        tpmgr = self._lib.pjsip_endpt_get_tpmgr(endpt) if endpt else None
        if not tpmgr:
            _LOGGER.warning("SIP guard: no pjsip transport manager; malformed requests stay unanswered")
            return
        self._endpt, self._tpmgr, self._layout = endpt, tpmgr, layout
        status = self._lib.pjsip_tpmgr_set_drop_data_cb(tpmgr, ctypes.cast(self._callback, ctypes.c_void_p))
        if status != 0:
            _LOGGER.warning("SIP guard: pjsip_tpmgr_set_drop_data_cb failed (status %s)", status)
            self._tpmgr = None

    def uninstall(self) -> None:
        """Remove the callback (idempotent)."""
        if self._tpmgr:
            self._lib.pjsip_tpmgr_set_drop_data_cb(self._tpmgr, None)
        self._endpt = self._tpmgr = self._layout = None

    def _on_dropped(self, dropped: int | None) -> None:
        try:
            self._handle(dropped)
        except Exception:  # never unwind into pjsip
            _LOGGER.exception("SIP guard failed on a dropped message; not answered")

    def _handle(self, dropped: int | None) -> None:
        layout, endpt = self._layout, self._endpt
        if not dropped or layout is None or endpt is None:
            return
        info = _DroppedData.from_address(dropped)
        if info.status not in ANSWERED_STATUSES or not info.data or not info.tp:
            return
        rdata = info.data - PKT_OFFSET
        length = ctypes.c_ssize_t.from_address(rdata + layout.length).value
        family = ctypes.c_uint16.from_address(rdata + layout.src_addr).value
        addr_len = ctypes.c_int.from_address(rdata + layout.src_addr_len).value
        if (
            ctypes.c_void_p.from_address(rdata + OP_KEY_RDATA_OFFSET).value != rdata
            or ctypes.c_void_p.from_address(rdata + TRANSPORT_OFFSET).value != info.tp
            or not 0 < length == info.len <= layout.max_len
            or family not in (socket.AF_INET, socket.AF_INET6)
            or not 0 < addr_len <= SOCKADDR_SIZE
        ):
            self.unmatched += 1
            return
        packet = ctypes.string_at(info.data, length)
        host = ctypes.string_at(rdata + layout.src_name, INET6_ADDRSTRLEN).split(b"\0", 1)[0].decode("ascii")
        port = ctypes.c_int.from_address(rdata + layout.src_port).value
        reply = self._answer(packet, host, port)
        if reply is None:
            return
        address = ctypes.create_string_buffer(ctypes.string_at(rdata + layout.src_addr, addr_len), SOCKADDR_SIZE)
        selector = _Selector(PJSIP_TPSELECTOR_TRANSPORT, 0, info.tp)
        kind = PJSIP_TRANSPORT_UDP if family == socket.AF_INET else PJSIP_TRANSPORT_UDP6
        status = self._lib.pjsip_endpt_send_raw(
            endpt, kind, ctypes.byref(selector), reply, len(reply), address, addr_len, None, None
        )
        if status in (0, PJ_EPENDING):
            self.answered += 1
        else:
            _LOGGER.warning(
                "SIP guard: could not answer a malformed request from %s:%s (pjsip status %s)", host, port, status
            )
