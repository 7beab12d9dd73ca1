"""RFC 4475 torture messages and a seeded fuzz against a real ``voicebot run --line-test``; after each
batch the bot lives and a normal call is answered. The pure reader and policy are tested here too."""

from __future__ import annotations

import random
import secrets
import time
from collections.abc import Iterator

import pytest
from voicebot_bench import sipwire

from tests.rfc4475_messages import INVALID, VALID, render
from tests.sip_helpers import BotProcess, free_rtp_base, free_udp_port, write_config
from tests.sip_raw import RawPeer
from tests.test_sip_guard import assert_normal_call
from voicebot.privacy import caller_for_log
from voicebot.telephony.guardpolicy import GuardPolicy, TokenBuckets
from voicebot.telephony.sipmsg import parse_request


@pytest.fixture(scope="module")
def bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotProcess]:
    folder = tmp_path_factory.mktemp("torture")
    config = write_config(
        folder, sip={"port": free_udp_port(), "rtp_port": free_rtp_base(), "max_calls": 4, "overflow": "reject"}
    )
    with BotProcess(config, "--line-test", "--grace", "2") as process:
        yield process


def _send(peer: RawPeer, name: str, template: str, wait: float = 1.5, nonce: str = "") -> int:
    """Send one torture message from ``peer``; the final status of the first answer (0: none)."""
    reply = _exchange(peer, name, template, wait, nonce or secrets.token_hex(4))
    return reply.status if reply is not None else 0


def _exchange(peer: RawPeer, name: str, template: str, wait: float, nonce: str) -> sipwire.SipMessage | None:
    peer.send(render(template, name, f"{peer.host}:{peer.port}", f"127.0.0.1:{peer.bot[1]}", nonce))
    return peer.wait(lambda m: m.is_response and m.status >= 200, timeout=wait)


def _long_call_from_the_pbx(pbx: RawPeer, bot: BotProcess) -> None:
    """RFC 4475 3.1.1.7 from the PBX is a real INVITE, but its 200 cannot be sent: it would repeat 3.4 kB of
    Via/From/To/Call-ID and add the SDP, more than the wheel's PJSIP_MAX_PKT_LEN (4000; measured: pjsip's
    transaction then fails with PJSIP_EMSGTOOLONG on every retransmission and the caller never hears an
    answer). The guard refuses it at once with 513 instead, and no call is started."""
    nonce = secrets.token_hex(4)
    reply = _exchange(pbx, "longreq", VALID["longreq"], 3.0, nonce)
    assert reply is not None and reply.status == 513, (reply, bot.log[-3000:])
    assert f"longcallid{nonce}" in reply.get("call-id") and sipwire.tag_of(reply.get("from")) == "12" + "98" * 80
    assert "call longreq." not in bot.log  # no call slot, no media, no record


def _call_from_the_pbx(pbx: RawPeer, bot: BotProcess, name: str) -> None:
    """A valid RFC 4475 INVITE from the PBX is a real call: 200 with SDP, ACK, BYE answered 200."""
    reply = _exchange(pbx, name, VALID[name], 8.0, secrets.token_hex(4))
    assert reply is not None and reply.status == 200 and b"m=audio" in reply.body, (name, reply, bot.log[-3000:])
    call_id, from_tag, to_tag = reply.get("call-id"), sipwire.tag_of(reply.get("from")), sipwire.tag_of(reply.get("to"))
    cseq = int(reply.get("cseq").split()[0])
    pbx.send(pbx.request("ACK", call_id, from_tag=from_tag, to_tag=to_tag, cseq=cseq))
    time.sleep(0.3)
    pbx.send(pbx.request("BYE", call_id, from_tag=from_tag, to_tag=to_tag, cseq=cseq + 1))
    bye = pbx.final(call_id, "BYE")
    assert bye is not None and bye.status == 200, (name, bye, bot.log[-3000:])


@pytest.mark.sip
def test_rfc4475_valid_messages_are_parsed_and_refused_only_for_policy(bot: BotProcess) -> None:
    statuses = {}
    for index, (name, template) in enumerate(VALID.items()):
        with RawPeer(f"127.0.0.{20 + index}", bot.sip_port) as stranger:
            statuses[name] = _send(stranger, name, template)
    expected = {"unreason": 0, "noreason": 0, "intmeth": 501, "esc02": 501, "escnull": 405, "dblreq": 405}
    expected |= {"mpart01": 405}
    for name, status in statuses.items():
        assert status == expected.get(name, 403), (name, status, statuses)
    with RawPeer("127.0.0.1", bot.sip_port) as pbx:  # from the PBX the ones that are no call
        for name in ("lwsdisp", "semiuri", "transports"):
            assert _send(pbx, name, VALID[name]) == 200, name
        for name in ("intmeth", "esc02", "escnull", "dblreq", "mpart01"):
            assert _send(pbx, name, VALID[name]) == expected[name], name
        assert _send(pbx, "wsinv", VALID["wsinv"]) == 481  # its To has a tag: a dialog the bot does not know
        _call_from_the_pbx(pbx, bot, "esc01")
        _long_call_from_the_pbx(pbx, bot)
    assert_normal_call(bot)


@pytest.mark.sip
def test_rfc4475_invalid_messages_are_refused_never_acted_on(bot: BotProcess) -> None:
    statuses = {}
    with RawPeer("127.0.0.1", bot.sip_port) as pbx:
        for name, template in INVALID.items():
            if name != "baddate":  # a well-formed INVITE apart from its Date: it would be a real call
                statuses[name] = _send(pbx, name, template)
    with RawPeer("127.0.0.40", bot.sip_port) as stranger:
        statuses["baddate"] = _send(stranger, "baddate", INVALID["baddate"])
    assert statuses.pop("bigcode") == 0  # a stray response: nothing to answer
    assert statuses.pop("baddate") == 403
    assert statuses.pop("badvers") == 505  # RFC 4475 3.1.2.15: SIP/7.0
    assert statuses == dict.fromkeys(statuses, 400), statuses  # RFC 4475 3.1.2: every other one 400
    assert "Traceback" not in bot.log and "failed on a dropped message" not in bot.log
    assert_normal_call(bot)


@pytest.mark.sip
def test_answers_to_unparsable_requests_keep_the_strangers_rate_and_need_the_datagram_start(bot: BotProcess) -> None:
    """pjsip's drop callback answers within the guard's token buckets (a stranger: burst 10, then 2/s), and
    only when the dropped data is the datagram's start (after skipped CR/LF the rx_data cannot be confirmed:
    no answer rather than a guess)."""
    with RawPeer("127.0.0.42", bot.sip_port) as stranger:
        for index in range(14):
            nonce = f"rate{index}{secrets.token_hex(2)}"
            stranger.send(
                render(
                    INVALID["quotbal"],
                    "quotbal",
                    f"{stranger.host}:{stranger.port}",
                    f"127.0.0.1:{bot.sip_port}",
                    nonce,
                )
            )
        answers = []
        while (reply := stranger.wait(lambda m: m.is_response, timeout=1.0)) is not None:
            answers.append(reply.status)
    assert answers and set(answers) == {400} and 10 <= len(answers) <= 11, answers
    with RawPeer("127.0.0.1", bot.sip_port) as pbx:
        packet = render(INVALID["quotbal"], "quotbal", f"{pbx.host}:{pbx.port}", f"127.0.0.1:{bot.sip_port}", "crlf")
        pbx.send(b"\r\n\r\n" + packet)
        assert pbx.wait(lambda m: m.is_response, timeout=1.5) is None
        assert _send(pbx, "quotbal", INVALID["quotbal"]) == 400  # the same without the CR/LF is answered
        # pjsip drops a request without Call-ID (PJSIP_EMISSINGHDR) through the same callback: 400 by the branch
        no_call_id = pbx.request("OPTIONS", "x", branch="z9hG4bKnocallid").replace(b"Call-ID: x\r\n", b"")
        pbx.send(no_call_id)
        reply = pbx.wait(lambda m: m.is_response and "z9hG4bKnocallid" in m.get("via"), timeout=1.5)
        assert reply is not None and reply.status == 400 and not reply.get("call-id"), reply
    assert bot.alive() and "failed on a dropped message" not in bot.log


def _mutate(data: bytes, rng: random.Random) -> bytes:
    """One to four random edits: flip, delete, insert a SIP-meaningful octet, duplicate or cut a line."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        kind = rng.randrange(6)
        at = rng.randrange(len(out)) if out else 0
        if kind == 0 and out:
            out[at] = rng.randrange(256)
        elif kind == 1 and out:
            del out[at : at + rng.randint(1, 20)]
        elif kind == 2:
            out[at:at] = rng.choice([b"\r\n", b":", b";", b"<", b">", b'"', b"\x00", b"%", b" ", b",", b"\r\n "])
        elif kind == 3:
            lines = bytes(out).split(b"\r\n")
            line = rng.randrange(len(lines))
            lines.insert(line, lines[line])
            out = bytearray(b"\r\n".join(lines))
        elif kind == 4:
            out = out[: rng.randrange(len(out) + 1)]
        else:
            out[at:at] = rng.choice([b"9" * 30, b"-1", b"Content-Length: 99999\r\n", b"\xff\xfe" * 8])
    return bytes(out)


@pytest.mark.sip
def test_fuzzed_invites_never_take_the_line_down(bot: BotProcess) -> None:
    rng = random.Random(4475)
    sent = 0
    for host_index in range(50):  # a fresh stranger every 8 messages (each has a burst of 10 answers)
        with RawPeer(f"127.0.1.{host_index + 1}", bot.sip_port) as stranger:
            stranger.sock.setblocking(False)
            for _ in range(8):
                call_id = f"fuzz-{sent}@{stranger.host}"
                valid = stranger.request("INVITE", call_id, body=sipwire.sdp_offer(stranger.host, 9, sent))
                stranger.send(_mutate(valid, rng))
                sent += 1
        time.sleep(0.01)
    assert sent == 400
    time.sleep(1.0)
    assert bot.alive(), bot.log[-3000:]
    assert "Traceback" not in bot.log and "guard failed" not in bot.log
    assert_normal_call(bot)


def test_the_reader_never_raises_on_mutations_and_reads_compact_forms() -> None:
    rng = random.Random(1)
    base = b"INVITE sip:a@b SIP/2.0\r\ni: x\r\nf: <sip:1@h>;tag=1\r\nt: sip:b@h\r\nm: <sip:1@h>\r\nv: SIP/2.0/UDP h\r\n"
    base += b"CSeq: 1 INVITE\r\nl: 0\r\n\r\n"
    request = parse_request(base)
    assert request is not None and request.problem == "" and request.call_id == "x" and request.from_tag == "1"
    for _ in range(3000):
        parse_request(_mutate(base, rng))  # never raises (the reader's own guard would hide a bug: check it)
    assert parse_request(b"\x00\x01garbage") is None


def test_policy_peers_methods_dialogs_and_buckets() -> None:
    policy = GuardPolicy(frozenset({"10.0.0.1", "10.0.0.5"}))

    def request(method: str, call_id: str = "c1", to_tag: str = "", contact: str = "<sip:p@10.0.0.1>") -> bytes:
        return (
            f"{method} sip:bot@10.0.0.2 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1\r\nFrom: <sip:0171234567@x>;tag=a\r\n"
            f"To: <sip:bot@x>{';tag=' + to_tag if to_tag else ''}\r\nCall-ID: {call_id}\r\nCSeq: 1 {method}\r\n"
            f"Contact: {contact}\r\nContent-Length: 0\r\n\r\n"
        ).encode()

    def status(data: bytes, host: str, now: float = 0.0) -> int:
        return policy.decide(parse_request(data), host, now).verdict.status

    assert status(request("INVITE"), "10.0.0.9") == 403
    assert status(request("INVITE"), "10.0.0.1") == 0 and policy.dialogs.host("c1") == "10.0.0.1"
    assert status(request("BYE", to_tag="b"), "10.0.0.5") == 403  # another allowed peer: not its dialog
    assert status(request("BYE", to_tag="b"), "10.0.0.1") == 0
    assert status(request("ACK", to_tag="b"), "10.0.0.9") == -1  # never answered, dropped
    assert status(request("REFER", to_tag="b"), "10.0.0.1") == 403
    assert status(request("SUBSCRIBE", "c2"), "10.0.0.1") == 405
    assert status(request("RE%47IST%45R", "c3"), "10.0.0.1") == 501
    assert status(request("INVITE", "c4", contact="<mailto:x@y>"), "10.0.0.1") == 400
    assert status(request("OPTIONS", "c5"), "10.0.0.1") == 200
    room = [False]
    policy.has_room = lambda: room[0]  # every call slot taken
    busy = policy.decide(parse_request(request("INVITE", "c7")), "10.0.0.1", 0.0).verdict
    assert busy.status == 503 and ("Retry-After", "30") in busy.headers
    assert status(request("INVITE", "c1"), "10.0.0.1") == 0  # a retransmission of an admitted INVITE passes
    room[0] = True
    policy.accepting = False
    assert status(request("INVITE", "c6"), "10.0.0.1") == 503
    buckets = TokenBuckets(rate=2.0, burst=3.0, capacity=2)
    assert [buckets.take("h", 0.0) for _ in range(4)] == [True, True, True, False]
    assert buckets.take("h", 0.5)  # one token back after half a second at 2/s
    buckets.take("i", 0.5)
    buckets.take("j", 0.5)
    assert len(buckets) == 2  # bounded
    assert caller_for_log("sip:0171234567@pbx") == "0171 ••• 67" and caller_for_log("sip:evil@x") == "ev***"
