"""A caller's phone built on pjsua2 that follows the bot's REFER the way SIP phones do (a subprocess of the tests).

``python tests/pjsua_transferee.py BOT_URI DIGIT SECONDS``: dials the bot, presses ``DIGIT`` (RFC 4733) once the
call is up, accepts the REFER and lets pjsua place the new call to the Refer-To target itself (pjsip copies the
target URI's headers into that INVITE: RFC 3261 §19.1.1), and quits after ``SECONDS``. It prints one line per
event (``state``, ``REFER``, ``transfer``) for the test's log. Nothing here is the bot's code.
"""

from __future__ import annotations

import gc
import sys
import time
from typing import Any

import pjsua2 as pj

CALLS: list[Any] = []
"""Every call object (pjsua2 needs Python to keep them alive)."""


class Phone(pj.Call):  # type: ignore[misc]
    def __init__(self, account: Any, call_id: int = pj.PJSUA_INVALID_ID) -> None:
        super().__init__(account, call_id)
        self.account = account
        self.confirmed_at = 0.0
        CALLS.append(self)

    def onCallState(self, prm: Any) -> None:
        info = self.getInfo()
        print("state", info.stateText, info.remoteUri, info.lastStatusCode, flush=True)
        if info.state == pj.PJSIP_INV_STATE_CONFIRMED:
            self.confirmed_at = time.monotonic()

    def onCallTransferRequest(self, prm: Any) -> None:
        print("REFER", prm.dstUri, flush=True)
        prm.statusCode = 202
        prm.newCall = Phone(self.account)

    def onCallTransferStatus(self, prm: Any) -> None:
        print("transfer", prm.statusCode, prm.reason, flush=True)


def main(bot_uri: str, digit: str, seconds: float) -> int:
    endpoint = pj.Endpoint()
    endpoint.libCreate()
    config = pj.EpConfig()
    config.uaConfig.threadCnt = 0
    config.uaConfig.mainThreadOnly = True
    config.logConfig.level = 1
    config.logConfig.consoleLevel = 1
    config.medConfig.noVad = True
    endpoint.libInit(config)
    transport = pj.TransportConfig()
    transport.port = 0
    transport.boundAddress = "127.0.0.1"
    endpoint.transportCreate(pj.PJSIP_TRANSPORT_UDP, transport)
    endpoint.libStart()
    endpoint.audDevManager().setNullDev()
    account_config = pj.AccountConfig()
    account_config.idUri = "sip:0838155509@127.0.0.1"
    account_config.mediaConfig.transportConfig.boundAddress = "127.0.0.1"
    account = pj.Account()
    account.create(account_config)
    first = Phone(account)
    first.makeCall(bot_uri, pj.CallOpParam(True))
    pressed = False
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        endpoint.libHandleEvents(10)
        if not pressed and first.confirmed_at and time.monotonic() - first.confirmed_at > 2.0:
            first.dialDtmf(digit)
            pressed = True
            print("pressed", digit, flush=True)
    endpoint.hangupAllCalls()
    for _ in range(50):
        endpoint.libHandleEvents(10)
    CALLS.clear()
    del first
    account.shutdown()
    del account
    gc.collect()
    endpoint.libDestroy()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], float(sys.argv[3])))
