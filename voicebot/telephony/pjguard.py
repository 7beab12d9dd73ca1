"""A pjsip module, registered through ctypes, that sees every incoming SIP request before pjsua does.

pjsua2's Python API has no hook in front of the transaction layer: by the time ``onIncomingCall`` runs,
pjsua has created a call slot, a dialog and media sockets for the INVITE, and requests such as
SUBSCRIBE, MESSAGE or REFER are answered by pjsua's own modules. The wheel's ``_pjsua2*.so`` exports
the pjsip C API as dynamic symbols, so this module registers a ``pjsip_module`` (priority
``GUARD_PRIORITY``, before the transaction layer's 16) whose ``on_rx_request`` hands the raw request
text and its source to a Python ``decide`` function. A request it refuses is answered statelessly
(``pjsip_endpt_respond_stateless``) or dropped, and pjsua never sees it.

``pjsip_rx_data`` is read at fixed offsets taken from the pjproject 2.15.1 headers
(``sip_transport.h``: ``tp_info`` = 3 pointers + ``pjsip_rx_data_op_key`` (34 + 1 pointers), then
``pkt_info`` = ``pj_time_val``, ``packet[PJSIP_MAX_PKT_LEN]``, ``zero``, ``len``, ``src_addr``,
``src_addr_len``, ``src_name[46]``, ``src_port``). ``PJSIP_MAX_PKT_LEN`` is a build option, so
``self_test`` sends one datagram to the bot's own port and accepts a candidate length only when every
field of that datagram reads back right; otherwise the bot refuses to start (``TelephonyError``).
Everything here runs on the thread that polls pjsip (the endpoint thread).
"""

from __future__ import annotations

import ctypes
import functools
import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import pjsua2 as pj

from voicebot.errors import TelephonyError

_LOGGER: Final = logging.getLogger(__name__)

GUARD_PRIORITY: Final = 12
"""Module priority: after the transport layer (8), before the transaction layer (16)."""
PKT_OFFSET: Final = 3 * 8 + 35 * 8 + 16
"""Offset of ``pkt_info.packet`` in ``pjsip_rx_data`` on x86-64 (tp_info, then pj_time_val)."""
TRANSPORT_OFFSET: Final = 8
"""Offset of ``tp_info.transport`` (after ``tp_info.pool``)."""
OP_KEY_RDATA_OFFSET: Final = 3 * 8 + 34 * 8
"""Offset of ``tp_info.op_key.rdata``: the rx_data's pointer to itself (set by the UDP transport)."""
PKT_LEN_CANDIDATES: Final = (4000, 2000, 8000, 16000, 32000, 65536)
"""``PJSIP_MAX_PKT_LEN`` values tried by the self-test (pjsip's default first)."""
INET6_ADDRSTRLEN: Final = 46
SOCKADDR_SIZE: Final = 28
"""``pj_sockaddr`` (the union's largest member, ``pj_sockaddr_in6``)."""
PJ_TRUE: Final = 1
PJ_FALSE: Final = 0


@dataclass(frozen=True)
class Verdict:
    """What the guard does with one request."""

    status: int = 0
    """0: let pjsua have it; -1: drop silently; else answer with this status."""
    reason: str = ""
    """Reason phrase of the answer."""
    headers: tuple[tuple[str, str], ...] = ()
    """Extra headers of the answer (``Allow``, ``Retry-After``)."""


PASS: Final = Verdict()
DROP: Final = Verdict(-1)

Decide = Callable[[bytes, str, int], Verdict]
"""(raw request, source host, source port) -> verdict."""

_RX_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p)


class _PjStr(ctypes.Structure):
    _fields_ = (("ptr", ctypes.c_void_p), ("slen", ctypes.c_ssize_t))


class _PjsipModule(ctypes.Structure):
    """``struct pjsip_module`` (sip_module.h, 2.15.1)."""

    _fields_ = (
        ("prev", ctypes.c_void_p),
        ("next", ctypes.c_void_p),
        ("name", _PjStr),
        ("id", ctypes.c_int),
        ("priority", ctypes.c_int),
        ("load", ctypes.c_void_p),
        ("start", ctypes.c_void_p),
        ("stop", ctypes.c_void_p),
        ("unload", ctypes.c_void_p),
        ("on_rx_request", _RX_CALLBACK),
        ("on_rx_response", ctypes.c_void_p),
        ("on_tx_request", ctypes.c_void_p),
        ("on_tx_response", ctypes.c_void_p),
        ("on_tsx_state", ctypes.c_void_p),
    )


class _HdrHead(ctypes.Structure):
    """The list members at the start of every ``pjsip_hdr`` (enough for a list head), padded to its size."""

    _fields_ = (("prev", ctypes.c_void_p), ("next", ctypes.c_void_p), ("_rest", ctypes.c_byte * 64))


@dataclass(frozen=True)
class RxLayout:
    """Offsets inside ``pjsip_rx_data`` for one ``PJSIP_MAX_PKT_LEN``."""

    max_len: int

    @property
    def zero(self) -> int:
        return PKT_OFFSET + self.max_len

    @property
    def length(self) -> int:
        return _align(self.zero + 4, 8)

    @property
    def src_addr(self) -> int:
        return self.length + 8

    @property
    def src_addr_len(self) -> int:
        return self.src_addr + SOCKADDR_SIZE

    @property
    def src_name(self) -> int:
        return self.src_addr_len + 4

    @property
    def src_port(self) -> int:
        return _align(self.src_name + INET6_ADDRSTRLEN, 4)


def _align(offset: int, to: int) -> int:
    return (offset + to - 1) // to * to


def pjsua_calls() -> int:
    """Calls pjsua holds right now (``pjsua_call_get_count``): until an INVITE session is really over, which is
    later than the DISCONNECTED callback for a call the bot hung up (pjsua reports that one at once and keeps
    the slot until the BYE transaction ends). Cheap; any thread."""
    return int(pjsip_library().pjsua_call_get_count())


@functools.cache
def pjsip_library() -> ctypes.CDLL:
    """The wheel's ``_pjsua2`` shared object with the pjsip C functions the guard modules call."""
    path = getattr(pj, "_pjsua2", None)
    so = getattr(path, "__file__", "") or os.path.join(os.path.dirname(pj.__file__), "_pjsua2.so")
    lib = ctypes.CDLL(so)
    lib.pjsua_get_pjsip_endpt.restype = ctypes.c_void_p
    lib.pjsip_endpt_register_module.argtypes = (ctypes.c_void_p, ctypes.c_void_p)
    lib.pjsip_endpt_unregister_module.argtypes = (ctypes.c_void_p, ctypes.c_void_p)
    lib.pjsip_endpt_respond_stateless.argtypes = (
        ctypes.c_void_p,
        ctypes.c_void_p,
        ctypes.c_int,
        ctypes.c_void_p,
        ctypes.c_void_p,
        ctypes.c_void_p,
    )
    lib.pjsip_endpt_create_pool.restype = ctypes.c_void_p
    lib.pjsip_endpt_create_pool.argtypes = (ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_size_t)
    lib.pjsip_endpt_release_pool.argtypes = (ctypes.c_void_p, ctypes.c_void_p)
    lib.pjsip_generic_string_hdr_create.restype = ctypes.c_void_p
    lib.pjsip_generic_string_hdr_create.argtypes = (ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p)
    return lib


class RequestGuard:
    """The registered module (endpoint thread only): ``install`` after ``libStart``, ``self_test``, then
    ``uninstall`` before ``libDestroy``."""

    def __init__(self, decide: Decide) -> None:
        self._decide = decide
        self._lib = pjsip_library()
        self._endpt: int | None = None
        self._pool: int | None = None
        self._name = ctypes.create_string_buffer(b"mod-voicebot-guard")
        self._callback = _RX_CALLBACK(self._on_rx_request)
        self._module = _PjsipModule()
        self._layout: RxLayout | None = None
        self._probe: tuple[bytes, str, int] | None = None
        self._probe_seen: list[int] = []
        self._headers: dict[tuple[tuple[str, str], ...], _HdrHead] = {}
        self._keep: list[object] = []
        self.requests = 0
        """Requests seen since start (the self-test's included)."""

    # --- life cycle --------------------------------------------------------------------------------

    def install(self) -> None:
        """Register the module with pjsip's endpoint (after ``libStart``)."""
        endpt = self._lib.pjsua_get_pjsip_endpt()
        if not endpt:
            raise TelephonyError("SIP guard: pjsua has no pjsip endpoint (call after libStart)")
        self._endpt = endpt
        self._module.name = _PjStr(ctypes.cast(self._name, ctypes.c_void_p), len(self._name.value))
        self._module.id = -1
        self._module.priority = GUARD_PRIORITY
        self._module.on_rx_request = self._callback
        status = self._lib.pjsip_endpt_register_module(endpt, ctypes.byref(self._module))
        if status != 0:
            raise TelephonyError(f"SIP guard: pjsip_endpt_register_module failed (status {status})")
        self._pool = self._lib.pjsip_endpt_create_pool(endpt, b"voicebot-guard", 1024, 1024)
        if not self._pool:
            raise TelephonyError("SIP guard: no memory pool")

    def uninstall(self) -> None:
        """Unregister the module and release its pool (before ``libDestroy``; idempotent)."""
        if self._endpt is None:
            return
        self._lib.pjsip_endpt_unregister_module(self._endpt, ctypes.byref(self._module))
        if self._pool:
            self._lib.pjsip_endpt_release_pool(self._endpt, self._pool)
        self._headers.clear()
        self._keep.clear()
        self._endpt = self._pool = None

    def self_test(self, host: str, port: int, poll: Callable[[], None], timeout_s: float = 3.0) -> int:
        """Send one request to ``host:port`` and find the ``pjsip_rx_data`` layout that reads it back whole.

        Returns the build's ``PJSIP_MAX_PKT_LEN``; raises ``TelephonyError`` (the bot must not run
        unguarded) when no layout fits or the request never arrives.
        """
        target = "127.0.0.1" if host in ("0.0.0.0", "") else host  # noqa: S104 - a wildcard bind is reached on loopback
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind((target, 0))
            source_port = int(sock.getsockname()[1])
            nonce = os.urandom(8).hex()
            text = (
                f"OPTIONS sip:guard-self-test@{target}:{port} SIP/2.0\r\n"
                f"Via: SIP/2.0/UDP {target}:{source_port};branch=z9hG4bK{nonce}\r\n"
                f"From: <sip:guard@{target}>;tag={nonce}\r\nTo: <sip:guard@{target}>\r\n"
                f"Call-ID: voicebot-guard-self-test-{nonce}\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
                "Content-Length: 0\r\n\r\n"
            ).encode()
            self._probe = (text, target, source_port)
            sock.sendto(text, (target, port))
            deadline = time.monotonic() + timeout_s
            while not self._probe_seen and time.monotonic() < deadline:
                poll()
        self._probe = None
        if not self._probe_seen:
            raise TelephonyError(
                f"SIP guard self-test: the test request to {target}:{port} never reached the guard, or no "
                f"pjsip_rx_data layout (PJSIP_MAX_PKT_LEN in {PKT_LEN_CANDIDATES}) read it back; this pjsua2 "
                "build does not match pjproject 2.15.1's layout - refusing to run without the guard"
            )
        self._layout = RxLayout(self._probe_seen[0])
        return self._layout.max_len

    @property
    def layout(self) -> RxLayout | None:
        """The verified ``pjsip_rx_data`` layout (None before a successful ``self_test``)."""
        return self._layout

    # --- the callback -------------------------------------------------------------------------------

    def _on_rx_request(self, rdata: int | None) -> int:
        try:
            return self._handle(rdata)
        except Exception:  # never unwind into pjsip; a broken guard refuses (drops) instead of passing
            _LOGGER.exception("SIP guard failed on a request; dropped")
            return PJ_TRUE

    def _handle(self, rdata: int | None) -> int:
        if not rdata:
            return PJ_FALSE
        self.requests += 1
        layout = self._layout
        if layout is None:
            return self._handle_probe(rdata)
        length = ctypes.c_ssize_t.from_address(rdata + layout.length).value
        if not 0 < length <= layout.max_len:
            _LOGGER.error("SIP guard: impossible packet length %s; dropped", length)
            return PJ_TRUE
        packet = ctypes.string_at(rdata + PKT_OFFSET, length)
        src_host = ctypes.string_at(rdata + layout.src_name, INET6_ADDRSTRLEN).split(b"\0", 1)[0].decode("ascii")
        src_port = ctypes.c_int.from_address(rdata + layout.src_port).value
        verdict = self._decide(packet, src_host, src_port)
        if verdict.status == 0:
            return PJ_FALSE
        if verdict.status > 0:
            self._respond(rdata, verdict)
        return PJ_TRUE

    def _handle_probe(self, rdata: int) -> int:
        """Before the layout is known, only the self-test's request is read; anything else is dropped."""
        probe = self._probe
        if probe is None:
            return PJ_TRUE
        text, host, port = probe
        if ctypes.string_at(rdata + PKT_OFFSET, len(text)) != text:
            return PJ_TRUE
        for max_len in PKT_LEN_CANDIDATES:
            layout = RxLayout(max_len)
            if (
                ctypes.c_uint32.from_address(rdata + layout.zero).value == 0
                and ctypes.c_ssize_t.from_address(rdata + layout.length).value == len(text)
                and ctypes.string_at(rdata + layout.src_name, len(host) + 1) == host.encode() + b"\0"
                and ctypes.c_int.from_address(rdata + layout.src_port).value == port
                and ctypes.c_char.from_address(rdata + PKT_OFFSET + len(text)).value == b"\0"
            ):
                self._probe_seen.append(max_len)
                break
        return PJ_TRUE

    def _respond(self, rdata: int, verdict: Verdict) -> None:
        reason = verdict.reason.encode("ascii", "replace")[:120]
        buffer = ctypes.create_string_buffer(reason)
        text = _PjStr(ctypes.cast(buffer, ctypes.c_void_p), len(reason))
        head = self._header_list(verdict.headers) if verdict.headers else None
        status = self._lib.pjsip_endpt_respond_stateless(
            self._endpt, rdata, verdict.status, ctypes.byref(text), ctypes.byref(head) if head else None, None
        )
        if status != 0:
            _LOGGER.warning("SIP guard: could not send %s (pjsip status %s)", verdict.status, status)

    def _header_list(self, headers: tuple[tuple[str, str], ...]) -> _HdrHead:
        """A pjsip header list (made once per distinct header set, from the guard's pool)."""
        head = self._headers.get(headers)
        if head is not None:
            return head
        head = _HdrHead()
        head_address = ctypes.addressof(head)
        head.prev = head.next = head_address
        for name, value in headers:
            strings = []
            for part in (name, value):
                raw = ctypes.create_string_buffer(part.encode("ascii"))
                self._keep.append(raw)
                strings.append(_PjStr(ctypes.cast(raw, ctypes.c_void_p), len(part)))
            self._keep.extend(strings)
            hdr = self._lib.pjsip_generic_string_hdr_create(
                self._pool, ctypes.byref(strings[0]), ctypes.byref(strings[1])
            )
            if not hdr:
                raise TelephonyError("SIP guard: cannot create a header")
            # pj_list_insert_before(head, hdr): hdr.prev = head.prev, hdr.next = head
            last = head.prev
            ctypes.c_void_p.from_address(hdr).value = last
            ctypes.c_void_p.from_address(hdr + 8).value = head_address
            ctypes.c_void_p.from_address(last + 8).value = hdr
            head.prev = hdr
        self._headers[headers] = head
        return head
