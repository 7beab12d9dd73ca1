"""The 400/505 answer to a request pjsip's parser drops (``sipreply``), and the guard's 513 for an INVITE
whose 200 would not fit the SIP stack's message limit: pure functions, RFC 4475 texts."""

from __future__ import annotations

import random

from voicebot_bench import sipwire

from tests.rfc4475_messages import INVALID, VALID, render
from tests.test_sip_guard_torture import _mutate
from voicebot.telephony.guardpolicy import ANSWER_OVERHEAD, GuardPolicy
from voicebot.telephony.sipmsg import headers_of, parse_request
from voicebot.telephony.sipreply import MAX_GROWTH, bad_request_reply

VIA = "10.0.0.7:5062"
BOT = "10.0.0.2:5060"


def _render(name: str) -> bytes:
    return render(INVALID.get(name) or VALID[name], name, VIA, BOT, "n0nce")


def test_each_message_pjsip_drops_gets_400_or_505_with_its_transaction_ids() -> None:
    for name in ("badinv01", "scalar02", "scalarlg", "quotbal", "badvers", "regbadct"):
        packet = _render(name)
        reply = bad_request_reply(packet, "10.0.0.9", 40000)
        assert reply is not None, name
        message = sipwire.parse(reply.data)
        assert message is not None and message.status == (505 if name == "badvers" else 400), (name, reply)
        assert reply.data.startswith(b"SIP/2.0 ") and reply.data.endswith(b"Content-Length: 0\r\n\r\n")
        top = message.get("via")
        assert f"branch=z9hG4bK{name}n0nce" in top and "received=10.0.0.9" in top and "rport=40000" in top, top
        sent = dict(reversed(headers_of(packet.decode("latin-1").split("\r\n\r\n")[0].partition("\n")[2])))
        assert message.get("call-id") == sent["call-id"] and message.get("cseq") == sent["cseq"], name
        assert message.get("from") == sent["from"], name
        assert len(reply.data) <= len(packet) + MAX_GROWTH
    quotbal = sipwire.parse(bad_request_reply(_render("quotbal"), "h", 1).data)  # type: ignore[union-attr]
    assert quotbal is not None and ";tag=" not in quotbal.get("to")  # an unreadable To is copied, not edited
    badvers = sipwire.parse(bad_request_reply(_render("badvers"), "h", 1).data)  # type: ignore[union-attr]
    assert badvers is not None and sipwire.tag_of(badvers.get("to"))  # the answerer's tag on a readable To


def test_the_answer_is_the_same_for_a_retransmission_and_only_the_top_via_is_touched() -> None:
    packet = (
        b"OPTIONS sip:bot@h SIP/7.0\r\nVia: SIP/2.0/UDP a.example;branch=z9hG4bK1;rport, SIP/2.0/UDP b.example;"
        b"branch=z9hG4bK2;rport\r\nVia: SIP/2.0/UDP c.example;branch=z9hG4bK3\r\nFrom: <sip:x@a>;tag=1\r\n"
        b"To: <sip:bot@h>\r\nCall-ID: r1\r\nCSeq: 1 OPTIONS\r\n\r\n"
    )
    first, again = bad_request_reply(packet, "192.0.2.1", 5070), bad_request_reply(packet, "192.0.2.1", 5070)
    assert first is not None and first == again and first.status == 505
    text = first.data.decode()
    assert "Via: SIP/2.0/UDP a.example;branch=z9hG4bK1;rport=5070;received=192.0.2.1, SIP/2.0/UDP b.example;" in text
    assert "branch=z9hG4bK2;rport\r\nVia: SIP/2.0/UDP c.example;branch=z9hG4bK3\r\n" in text


def test_nothing_is_answered_without_a_via_or_cseq_nor_responses_acks_and_garbage() -> None:
    base = _render("quotbal").decode("latin-1")
    no_via = "\r\n".join(line for line in base.split("\r\n") if not line.startswith("Via:"))
    no_cseq = "\r\n".join(line for line in base.split("\r\n") if not line.startswith("CSeq:"))
    ack = base.replace("INVITE", "ACK")
    for packet in (no_via, no_cseq, ack, "Via: x\r\n\r\n", "\x00\xff garbage"):
        assert bad_request_reply(packet.encode("latin-1"), "h", 1) is None, packet[:40]
    for name in ("bigcode", "unreason", "noreason"):  # responses nobody asked for
        assert bad_request_reply(_render(name), "h", 1) is None, name


def test_mutated_requests_never_raise_and_never_grow_the_answer_beyond_the_limit() -> None:
    rng = random.Random(16)
    base = _render("badinv01")
    answered = 0
    for _ in range(2000):
        packet = _mutate(base, rng)
        reply = bad_request_reply(packet, "h", 1)
        if reply is not None:
            answered += 1
            assert len(reply.data) <= len(packet) + MAX_GROWTH and reply.status in (400, 416, 505)
    assert answered > 500  # most mutations keep Via and CSeq readable


def test_an_invite_whose_200_would_not_fit_gets_513_from_an_allowed_peer_only() -> None:
    policy = GuardPolicy(frozenset({"127.0.0.1"}))
    longreq = render(VALID["longreq"], "longreq", "127.0.0.1:5062", BOT, "x")
    request = parse_request(longreq)
    assert request is not None and request.problem == "" and request.echo_size + ANSWER_OVERHEAD > 4000
    assert policy.decide(request, "127.0.0.1", 0.0).verdict.status == 513
    assert policy.decide(request, "127.0.0.9", 0.0).verdict.status == 403
    policy.max_packet = 8000  # a build with a larger PJSIP_MAX_PKT_LEN takes the call
    assert policy.decide(request, "127.0.0.1", 0.0).verdict.status == 0
    normal = parse_request(render(VALID["esc01"], "esc01", "127.0.0.1:5062", BOT, "y"))
    assert normal is not None and normal.echo_size < 400
    assert GuardPolicy(frozenset({"127.0.0.1"})).decide(normal, "127.0.0.1", 0.0).verdict.status == 0
