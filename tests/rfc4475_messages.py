"""Requests in the spirit of RFC 4475 ("SIP Torture Test Messages"), written for these tests from the
RFC's descriptions of each case (not copied): §3.1.1 valid messages a parser must accept, §3.1.2
invalid ones a UA must refuse (mostly 400). ``{via}`` is the sender's ``host:port``, ``{bot}`` the bot's
``host:port``, ``{n}`` a per-run nonce (Call-IDs and branches must be new each time).
"""

from __future__ import annotations

from typing import Final

SDP: Final = "v=0\r\no=- 1 1 IN IP4 {host}\r\ns=-\r\nc=IN IP4 {host}\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\n"

VALID: Final = {
    # 3.1.1.1 short tortuous INVITE: folding, odd case and white space around colons, escapes, quoted pairs
    "wsinv": (
        "INVITE sip:vivekg@{bot};unknownparam SIP/2.0\r\n"
        "TO :\r\n sip:vivekg@{bot} ;   tag    = 1918181833n\r\n"
        'from   : "J Rosenberg \\\\\\""       <sip:jdrosen@{via}>\r\n  ;\r\n  tag = 98asjd8\r\n'
        "MaX-fOrWaRdS: 0068\r\nCall-ID: wsinv.ndaksdj@{n}\r\nContent-Length   : {len}\r\n"
        "cseq: 0009\r\n  INVITE\r\nVia  : SIP  /   2.0\r\n  /UDP\r\n    {via};rport;branch=z9hG4bKwsinv{n}\r\n"
        "s :\r\nNewFangledHeader:   newfangled value\r\n continued newfangled value\r\n"
        "UnknownHeaderWithUnusualValue: ;;,,;;,;\r\nContent-Type: application/sdp\r\n"
        "Route:\r\n <sip:services.example.com;lr;unknownwith=value;unknown-no-value>\r\n"
        "v:  SIP  / 2.0  / TCP     spindle.example.com   ;\r\n  branch  =   z9hG4bK9ikj8  ,\r\n"
        " SIP  /    2.0   / UDP  192.168.255.111   ; branch=\r\n z9hG4bK30239\r\n"
        'm:"Quoted string \\"\\"" <sip:jdrosen@{via}> ; newparam =\r\n      newvalue ;\r\n'
        "  secondparam ; q = 0.33\r\n\r\n{sdp}"
    ),
    # 3.1.1.2 the widest range of token characters in a method name and header names (an unknown method)
    "intmeth": (
        "!interesting-Method0123456789_*+`.%indeed'~ sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*"
        ":&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@{bot} SIP/2.0\r\nVia: SIP/2.0/UDP {via};rport;"
        'branch=z9hG4bK-.!%66*_+`\'~{n}\r\nTo: "BEL:\\\x07 NUL:\\\x00 DEL:\\\x7f" '
        "<sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*@{bot}>\r\n"
        "From: token1~` token2'+_ token3*%!.- <sip:mundane@{via}>;fromParam''~+*_!.-%="
        '"\xd1\x80\xd0\xb0\xd0\xb1\xd0\xbe\xd1\x82\xd0\xb0\xd1\x8e\xd1\x89\xd0\xb8\xd0\xb9";tag=_token~1\'+`*%!-.\r\n'
        "Call-ID: intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{{{n}\r\nCSeq: 139122385 "
        "!interesting-Method0123456789_*+`.%indeed'~\r\nMax-Forwards: 255\r\n"
        "extensionHeader-!.%*+_`'~:\xef\xbb\xbf\xe5\xa4\xa7\xe5\x81\x9c\xe9\x9b\xbb\r\nContent-Length: 0\r\n\r\n"
    ),
    # 3.1.1.3 valid %-escaping in URIs (user parts and the Request-URI)
    "esc01": (
        "INVITE sip:sips%3Auser%40example.com@{bot} SIP/2.0\r\nTo: sip:%75se%72@{bot}\r\n"
        "From: <sip:I%20have%20spaces@{via}>;tag=938\r\nMax-Forwards: 87\r\ni: esc01.239409asdfakjkn23onasd0-3234{n}\r\n"
        "CSeq: 234234 INVITE\r\nVia: SIP/2.0/UDP {via};rport;branch=z9hG4bKesc01{n}\r\n"
        "C: application/sdp\r\nContact:\r\n  <sip:cal%6Cer@{via};%6C%72;n%61me=v%61lue%25%34%31>\r\n"
        "Content-Length: {len}\r\n\r\n{sdp}"
    ),
    # 3.1.1.4 escaped NULs in URIs (a REGISTER: the bot serves no registrations)
    "escnull": (
        "REGISTER sip:{bot} SIP/2.0\r\nTo: sip:null-%00-null@{bot}\r\nFrom: sip:null-%00-null@{bot};tag=839923423\r\n"
        "Max-Forwards: 70\r\nCall-ID: escnull.39203ndfvkjdasfkq3w4otrq0adsfdfnavd{n}\r\nCSeq: 14398234 REGISTER\r\n"
        "Via: SIP/2.0/UDP {via};rport;branch=z9hG4bKescnull{n}\r\nContact: <sip:%00@{via}>\r\n"
        "Contact: <sip:%00%00@{via}>\r\nL:0\r\n\r\n"
    ),
    # 3.1.1.5 an escaped method name is another method (unknown), not REGISTER
    "esc02": (
        'RE%47IST%45R sip:registrar.example.com SIP/2.0\r\nTo: "%Z%45" <sip:resource@example.com>\r\n'
        'From: "%Z%45" <sip:resource@example.com>;tag=f232jadfj23\r\nCall-ID: esc02.asdfnqwo34rq23i34jrjasdcnl23nrlknsdf{n}\r\n'
        "Via: SIP/2.0/UDP {via};rport;branch=z9hG4bKesc02{n}\r\nCSeq: 29344 RE%47IST%45R\r\nMax-Forwards: 70\r\n"
        "Contact: <sip:alias1@{via}>\r\nl: 0\r\n\r\n"
    ),
    # 3.1.1.6 no white space between a display name and <
    "lwsdisp": (
        "OPTIONS sip:user@{bot} SIP/2.0\r\nTo: sip:user@{bot}\r\nFrom: caller<sip:caller@{via}>;tag=323\r\n"
        "Max-Forwards: 70\r\nCall-ID: lwsdisp.1234abcd@funky.example.com{n}\r\nCSeq: 60 OPTIONS\r\n"
        "Via: SIP/2.0/UDP {via};rport;branch=z9hG4bKkdjuw{n}\r\nl: 0\r\n\r\n"
    ),
    # 3.1.1.7 long values: a long display name, long tokens, many Vias and parameters
    "longreq": (
        "INVITE sip:user@{bot} SIP/2.0\r\n"
        'To: "I have a user name of ' + "extreme " * 60 + 'proportion" <sip:user@chair-dnrc.example.com:6000;'
        "unknownparam1=very" + "long" * 60 + "value;longparamname" + "name" * 40 + "=shortvalue>\r\n"
        "From: sip:amazinglylongcallername" + "caller" * 30 + "@{via};tag=12" + "98" * 80 + "\r\n"
        "Call-ID: longreq.one" + "really" * 60 + "longcallid{n}\r\nCSeq: 3882340 INVITE\r\n"
        "Via: SIP/2.0/UDP {via};rport;branch=z9hG4bKlongreq{n}\r\n"
        + "".join(f"Via: SIP/2.0/TCP sip{i}.example.com;branch=z9hG4bK{i:04d}\r\n" for i in range(30))
        + "Max-Forwards: 70\r\nContact: <sip:amazinglylongcallername@{via}>\r\n"
        "Content-Type: application/sdp\r\nl: {len}\r\n\r\n{sdp}"
    ),
    # 3.1.1.8 extra octets after the message in one datagram: only the first message counts
    "dblreq": (
        "REGISTER sip:{bot} SIP/2.0\r\nTo: sip:j.user@{bot}\r\nFrom: sip:j.user@{bot};tag=43251j3j324\r\n"
        "Max-Forwards: 8\r\nI: dblreq.0ha0isndaksdj99sdfafnl3lk233412{n}\r\nContact: sip:j.user@{via}\r\n"
        "CSeq: 8 REGISTER\r\nVia: SIP/2.0/UDP {via};rport;branch=z9hG4bKdblreq{n}\r\nContent-Length: 0\r\n\r\n"
        "INVITE sip:joe@{bot} SIP/2.0\r\nt: sip:joe@{bot}\r\nFrom: sip:caller@{via};tag=141334\r\n"
        "Max-Forwards: 8\r\nCall-ID: dblreq.0ha0isnda977644900765@{n}\r\nCSeq: 8 INVITE\r\n"
        "Via: SIP/2.0/UDP {via};branch=z9hG4bKdblreq2{n}\r\nContent-Type: application/sdp\r\n"
        "Content-Length: {len}\r\n\r\n{sdp}"
    ),
    # 3.1.1.9 semicolons in the user part of a URI
    "semiuri": (
        "OPTIONS sip:user;par=u%40example.net@{bot} SIP/2.0\r\nTo: sip:j_user@{bot}\r\n"
        "From: sip:caller@{via};tag=33242\r\nMax-Forwards: 3\r\nCall-ID: semiuri.0ha0isndaksdj{n}\r\n"
        "CSeq: 8 OPTIONS\r\nAccept: application/sdp, application/pkcs7-mime,\r\n  multipart/mixed, multipart/signed,\r\n"
        "  message/sip, message/sipfrag\r\nVia: SIP/2.0/UDP {via};rport;branch=z9hG4bKsemiuri{n}\r\nl: 0\r\n\r\n"
    ),
    # 3.1.1.10 varied and unknown transports in Via
    "transports": (
        "OPTIONS sip:user@{bot} SIP/2.0\r\nTo: sip:user@{bot}\r\nFrom: <sip:caller@{via}>;tag=323\r\n"
        "Max-Forwards: 70\r\nCall-ID: transports.kijh4akdnaqjkwendsasfdj{n}\r\nAccept: application/sdp\r\n"
        "CSeq: 60 OPTIONS\r\nVia: SIP/2.0/UDP {via};rport;branch=z9hG4bKkdjuw{n}\r\n"
        "Via: SIP/2.0/SCTP t2.example.com;branch=z9hG4bKklasjdhf\r\nVia: SIP/2.0/TLS t3.example.com;branch=z9hG4bK2980unddj\r\n"
        "Via: SIP/2.0/UNKNOWN t4.example.com;branch=z9hG4bKasd0f3en\r\nVia: SIP/2.0/TCP t5.example.com;branch=z9hG4bK0a9idfnee\r\n"
        "l: 0\r\n\r\n"
    ),
    # 3.1.1.11 a multipart MIME body (here on a MESSAGE, which the bot does not serve)
    "mpart01": (
        "MESSAGE sip:kumiko@{bot} SIP/2.0\r\nVia: SIP/2.0/UDP {via};rport;branch=z9hG4bKmp01{n}\r\nMax-Forwards: 70\r\n"
        'From: "Nobuko" <sip:nobuko@{via}>;tag=2983492\r\nTo: "Kumiko" <sip:kumiko@{bot}>\r\n'
        "Call-ID: mpart01.ljkhafwelkjb234{n}\r\nCSeq: 1 MESSAGE\r\nContent-Type: multipart/signed;"
        'protocol="application/pkcs7-signature";micalg=sha1;boundary=boundary42\r\nContent-Length: {mlen}\r\n\r\n'
        "--boundary42\r\nContent-Type: text/plain\r\n\r\nhello\r\n--boundary42\r\n"
        "Content-Type: application/pkcs7-signature; name=smime.p7s\r\n\r\nAAAA\r\n--boundary42--\r\n"
    ),
    # 3.1.1.12 / 3.1.1.13 responses nobody asked for: an unusual and an empty reason phrase
    "unreason": (
        "SIP/2.0 200 = 2**3 * 5**2 \xd0\xbd\xd0\xbe\xd1\x81\xd1\x82\xd0\xbe \xd0\xb4\xd0\xb5\xd0\xb2\xd1\x8f\xd0\xbd\xd0\xbe\r\n"
        "Via: SIP/2.0/UDP {bot};branch=z9hG4bK-unreason{n}\r\nCall-ID: unreason.1234ksdfak3j2erwedfsASdf{n}\r\n"
        "CSeq: 35 INVITE\r\nFrom: sip:user@{bot};tag=11141343\r\nTo: sip:user@{via};tag=2229\r\nContent-Length: 0\r\n\r\n"
    ),
    "noreason": (
        "SIP/2.0 100 \r\nVia: SIP/2.0/UDP {bot};branch=z9hG4bK-noreason{n}\r\nCall-ID: noreason.asndj203insdf99223ndf{n}\r\n"
        "CSeq: 35 INVITE\r\nFrom: <sip:user@{bot}>;tag=39ansfi3\r\nTo: <sip:user@{via}>;tag=902jndnke3\r\nContent-Length: 0\r\n\r\n"
    ),
}

_HEAD: Final = "Max-Forwards: 70\r\nCall-ID: {name}.{n}\r\nVia: SIP/2.0/UDP {via};rport;branch=z9hG4bK{name}{n}\r\n"
INVALID: Final = {
    # 3.1.2.1 extraneous header field separators
    "badinv01": "INVITE sip:user@{bot} SIP/2.0\r\nTo: sip:j.user@{bot}\r\nFrom: sip:caller@{via};;tag=134161461246\r\n"
    + _HEAD
    + 'CSeq: 8 INVITE\r\nContact: "Joe" <sip:joe@{via}>;;;;\r\nContent-Length: {len}\r\nContent-Type: application/sdp\r\n\r\n{sdp}',
    # 3.1.2.2 Content-Length larger than the message
    "clerr": "INVITE sip:user@{bot} SIP/2.0\r\nTo: sip:j.user@{bot}\r\nFrom: sip:caller@{via};tag=93942939o2\r\n"
    + _HEAD
    + "CSeq: 8 INVITE\r\nContact: <sip:caller@{via}>\r\nContent-Type: application/sdp\r\nContent-Length: 9999\r\n\r\n{sdp}",
    # 3.1.2.3 negative Content-Length
    "scalar02": "REGISTER sip:{bot} SIP/2.0\r\nTo: sip:j.user@{bot}\r\nFrom: sip:j.user@{bot};tag=932446\r\n"
    + _HEAD
    + "CSeq: 8 REGISTER\r\nContact: <sip:j.user@{via}>\r\nContent-Length: -999\r\n\r\n",
    # 3.1.2.4 overlarge scalar values
    "scalarlg": "REGISTER sip:{bot} SIP/2.0\r\nTo: sip:user@{bot}\r\nFrom: sip:user@{bot};tag=239232jh3\r\n"
    "Call-ID: scalarlg.{n}\r\nVia: SIP/2.0/UDP {via};rport;branch=z9hG4bKscalarlg{n}\r\n"
    "CSeq: 36893488147419103232 REGISTER\r\nMax-Forwards: 300\r\nExpires: 1000000000000000000000000000\r\n"
    "Contact: <sip:user@{via}>;expires=280297596632815\r\nContent-Length: 0\r\n\r\n",
    # 3.1.2.5 unterminated quoted string in a display name
    "quotbal": 'INVITE sip:user@{bot} SIP/2.0\r\nTo: "Mr. J. User <sip:j.user@{bot}>\r\nFrom: sip:caller@{via};tag=93334\r\n'
    + _HEAD
    + "CSeq: 8 INVITE\r\nContact: <sip:caller@{via}>\r\nContent-Type: application/sdp\r\nContent-Length: {len}\r\n\r\n{sdp}",
    # 3.1.2.6 <> around the Request-URI
    "ltgtruri": "INVITE <sip:user@{bot}> SIP/2.0\r\nTo: sip:user@{bot}\r\nFrom: sip:caller@{via};tag=39291\r\n"
    + _HEAD
    + "CSeq: 1 INVITE\r\nContact: <sip:caller@{via}>\r\nContent-Type: application/sdp\r\nContent-Length: {len}\r\n\r\n{sdp}",
    # 3.1.2.7 white space inside the Request-URI
    "lwsruri": "INVITE sip:user@{bot}; lr SIP/2.0\r\nTo: sip:user@{bot};tag=3xfe-9921883-z9f\r\nFrom: sip:caller@{via};tag=231413434\r\n"
    + _HEAD
    + "CSeq: 2130706432 INVITE\r\nContact: <sip:caller@{via}>\r\nContent-Type: application/sdp\r\nContent-Length: {len}\r\n\r\n{sdp}",
    # 3.1.2.8 several spaces between the request line's elements
    "lwsstart": "INVITE  sip:user@{bot}  SIP/2.0\r\nTo: sip:user@{bot}\r\nFrom: sip:caller@{via};tag=8814\r\n"
    + _HEAD
    + "CSeq: 1 INVITE\r\nContact: <sip:caller@{via}>\r\nContent-Type: application/sdp\r\nContent-Length: {len}\r\n\r\n{sdp}",
    # 3.1.2.9 trailing spaces after the SIP version
    "trws": "OPTIONS sip:remote-target@{bot} SIP/2.0  \r\nTo: <sip:remote-target@{bot}>\r\nFrom: <sip:local-resource@{via}>;tag=329429089\r\n"
    + _HEAD
    + "CSeq: 3923239 OPTIONS\r\nl: 0\r\n\r\n",
    # 3.1.2.10 escaped headers in the Request-URI
    "escruri": "INVITE sip:user@{bot}?Route=%3Csip:example.com%3E SIP/2.0\r\nTo: sip:user@{bot}\r\nFrom: sip:caller@{via};tag=341518\r\n"
    + _HEAD
    + "CSeq: 392 INVITE\r\nContact: <sip:caller@{via}>\r\nContent-Type: application/sdp\r\nContent-Length: {len}\r\n\r\n{sdp}",
    # 3.1.2.11 a Date with an invalid time zone (a UA may accept it; it must not act on the date)
    "baddate": "INVITE sip:user@{bot} SIP/2.0\r\nTo: sip:user@{bot}\r\nFrom: sip:caller@{via};tag=2234923\r\n"
    + _HEAD
    + "CSeq: 1392934 INVITE\r\nDate: Fri, 01 Jan 2010 16:00:00 EST\r\nContact: <sip:caller@{via}>\r\n"
    "Content-Type: application/sdp\r\nContent-Length: {len}\r\n\r\n{sdp}",
    # 3.1.2.12 a name-addr with parameters and headers not enclosed in <>
    "regbadct": "REGISTER sip:{bot} SIP/2.0\r\nTo: sip:user@{bot}\r\nFrom: sip:user@{bot};tag=998332\r\n"
    + _HEAD
    + "CSeq: 1 REGISTER\r\nContact: sip:user@{via}?Route=%3Csip:sip.example.com%3E\r\nl: 0\r\n\r\n",
    # 3.1.2.13 spaces inside an addr-spec
    "badaspec": "OPTIONS sip:user@{bot} SIP/2.0\r\nVia: SIP/2.0/UDP {via};rport;branch=z9hG4bKbadaspec{n}\r\nMax-Forwards: 70\r\n"
    'From: "Bell, Alexander" <sip:a.g.bell@{via}>;tag=433423\r\nTo: "Watson, Thomas" < sip:t.watson@{bot} >\r\n'
    "Call-ID: badaspec.{n}\r\nCSeq: 3 OPTIONS\r\nl: 0\r\n\r\n",
    # 3.1.2.14 non-token characters in an unquoted display name
    "baddn": "OPTIONS sip:t.watson@{bot} SIP/2.0\r\nVia: SIP/2.0/UDP {via};rport;branch=z9hG4bKbaddn{n}\r\nMax-Forwards: 70\r\n"
    "From: Bell, Alexander <sip:a.g.bell@{via}>;tag=43\r\nTo: Watson, Thomas <sip:t.watson@{bot}>\r\n"
    "Call-ID: baddn.{n}\r\nCSeq: 3 OPTIONS\r\nl: 0\r\n\r\n",
    # 3.1.2.15 an unknown SIP version
    "badvers": "OPTIONS sip:t.watson@{bot} SIP/7.0\r\nVia: SIP/7.0/UDP {via};rport;branch=z9hG4bKbadvers{n}\r\nMax-Forwards: 70\r\n"
    "From: A. Bell <sip:a.g.bell@{via}>;tag=qweoiqpe\r\nTo: T. Watson <sip:t.watson@{bot}>\r\n"
    "Call-ID: badvers.{n}\r\nCSeq: 1 OPTIONS\r\nl: 0\r\n\r\n",
    # 3.1.2.16 request line and CSeq disagree on the method
    "mismatch01": "OPTIONS sip:user@{bot} SIP/2.0\r\nTo: sip:j.user@{bot}\r\nFrom: sip:caller@{via};tag=34525\r\n"
    + _HEAD
    + "CSeq: 8 INVITE\r\nl: 0\r\n\r\n",
    # 3.1.2.17 an unknown method whose CSeq names another
    "mismatch02": "NEWMETHOD sip:user@{bot} SIP/2.0\r\nTo: sip:j.user@{bot}\r\nFrom: sip:caller@{via};tag=34525\r\n"
    + _HEAD
    + "CSeq: 8 INVITE\r\nContact: <sip:caller@{via}>\r\nContent-Type: application/sdp\r\nl: {len}\r\n\r\n{sdp}",
    # 3.1.2.18 an overlarge response code (a response nobody asked for)
    "bigcode": "SIP/2.0 4294967301 better not break the receiver\r\nVia: SIP/2.0/UDP {bot};branch=z9hG4bKbigcode{n}\r\n"
    "Call-ID: bigcode.{n}\r\nCSeq: 353494 INVITE\r\nFrom: <sip:user@{bot}>;tag=39ansfi3\r\n"
    "To: <sip:user@{via}>;tag=902jndnke3\r\nContent-Length: 0\r\n\r\n",
}


def render(template: str, name: str, via: str, bot: str, nonce: str) -> bytes:
    """One message with addresses, a fresh nonce and correct lengths filled in (as Latin-1 octets)."""
    host = via.split(":", 1)[0]
    sdp = SDP.format(host=host)
    text = template.replace("{{", "\x01").replace("{name}", name).replace("{via}", via).replace("{bot}", bot)
    text = text.replace("{n}", nonce).replace("{sdp}", sdp).replace("{len}", str(len(sdp)))
    multipart = text.split("\r\n\r\n", 1)[-1]
    text = text.replace("{mlen}", str(len(multipart.encode("latin-1")))).replace("\x01", "{")
    return text.encode("latin-1")
