"""English caller questions for the matcher on the English content: what callers say, and the first decision.

Written for issue 11 after the English FAQ file and before looking at the matcher's answers on them. Rows are
``(sentence, action, topic, department)`` as in ``tests.matcher_heldout`` and are scored by its ``correct``
and ``confidently_wrong``. None of these sentences is a phrasing of ``grammars/faq.en.yaml``.
"""

from __future__ import annotations

from tests.matcher_heldout import A, R, Row, T

TOPICS: list[Row] = [
    ("Hi, could you tell me what time your office opens tomorrow morning?", A, "oeffnungszeiten", None),
    ("Are you guys open on Thursday afternoon?", A, "oeffnungszeiten", None),
    ("What's the street address of the district office?", A, "anfahrt", None),
    ("Is there somewhere to park near your building?", A, "anfahrt", None),
    ("Do I have to book an appointment before I come in?", A, "termin", None),
    ("How can I book an appointment with you?", A, "termin", None),
    ("I just bought a brand new car, how do I get it registered?", A, "kfz-anmeldung", None),
    ("What papers do I need to register a motorbike?", A, "kfz-anmeldung", None),
    ("I sold my car and need to deregister it", A, "kfz-abmeldung", None),
    ("How do I take my old van off the road, it's been scrapped", A, "kfz-abmeldung", None),
    ("I bought a second-hand car from a private seller, how do I put it in my name?", A, "kfz-halterwechsel", None),
    ("Can I get a personalised plate with my initials?", A, "wunschkennzeichen", None),
    ("I need temporary plates to bring a car back from Munich", A, "kurzzeitkennzeichen", None),
    ("My son is at driving school, how does he apply for his driving licence?", A, "fuehrerschein-antrag", None),
    ("I still have an old paper driving licence, do I need to exchange it?", A, "fuehrerschein-umtausch", None),
    ("Someone stole my wallet with my driving licence", A, "fuehrerschein-verloren", None),
    (
        "I'm driving in Canada next month, do I need an international driving permit?",
        A,
        "internationaler-fuehrerschein",
        None,
    ),
    ("My residence permit expires in two months, what should I do?", A, "aufenthaltstitel", None),
    ("How do I extend my visa?", A, "aufenthaltstitel", None),
    ("I have lived here for eight years, can I apply for German citizenship?", A, "einbuergerung", None),
    ("Where do I register for the naturalisation test?", A, "einbuergerung", None),
    ("Our daughter was born last week, how do we apply for parental allowance?", A, "elterngeld", None),
    ("My ex-husband doesn't pay any child support", A, "unterhaltsvorschuss", None),
    ("We are looking for a nursery place for our two year old", A, "kinderbetreuung", None),
    ("I can't afford my rent, can I get housing benefit?", A, "wohngeld", None),
    ("My pension is too small to live on, is there any support?", A, "grundsicherung", None),
    ("Can my son get BAföG for the vocational school?", A, "bafoeg", None),
    ("I'm starting a job in a restaurant kitchen and need the hygiene certificate", A, "gesundheitszeugnis", None),
    ("The kindergarten is asking for proof of measles vaccination", A, "masernschutz", None),
    ("Which jabs do I need before travelling to India?", A, "impfung", None),
    ("Do I need a building permit for a carport?", A, "bauantrag", None),
    ("I want to build an extension to my house, how do I apply?", A, "bauantrag", None),
    ("When is the rubbish collected in my street?", A, "abfuhrkalender", None),
    ("How can I get rid of an old wardrobe and a mattress?", A, "sperrmuell", None),
    ("Where can I drop off garden waste and an old TV?", A, "wertstoffhof", None),
    ("Our wheelie bin is broken, can I get a new one?", A, "muelltonne", None),
    ("I want to keep some hens in my garden, do I have to register them?", A, "tierhaltung", None),
    ("My grandfather left me his hunting rifle, what do I have to do?", A, "waffenbesitzkarte", None),
    ("How do I get a fishing licence?", A, "fischereischein", None),
    ("My hunting licence runs out next month", A, "jagdschein", None),
    ("Does my child get a free school bus ticket?", A, "schuelerbefoerderung", None),
    ("I received a payment reminder, what is your IBAN?", A, "zahlung", None),
    ("Where do I apply for a new ID card?", A, "personalausweis", None),
    ("My passport is about to expire, where do I renew it?", A, "reisepass", None),
    ("I just moved to Lindenberg, where do I register my address?", A, "wohnsitz-ummelden", None),
    ("I need a copy of my marriage certificate", A, "geburtsurkunde", None),
    ("We got a new puppy, do we have to pay dog tax?", A, "hundesteuer", None),
    ("How do I apply for a disability card?", A, "schwerbehindertenausweis", None),
    ("What happened to my building application, it has been months", T, "bauantrag-stand", "bauamt"),
    ("Can I talk to a real person please?", T, "mitarbeiter", "zentrale"),
]

DEPARTMENTS: list[Row] = [
    ("Can you put me through to the immigration office please?", T, None, "auslaenderamt"),
    ("I'd like to speak to the vehicle registration office", T, None, "zulassung"),
    ("Connect me with the youth welfare office", T, None, "jugendamt"),
    ("Could I speak to someone at the health office?", T, None, "gesundheitsamt"),
    ("Transfer me to the building authority please", T, None, "bauamt"),
    ("I want to talk to the district treasury", T, None, "kreiskasse"),
    ("Put me through to the waste management office", T, None, "abfall"),
    ("The switchboard please", T, "mitarbeiter", "zentrale"),
]

OUT_OF_SCOPE: list[str] = [
    "How much income tax do I have to pay this year?",
    "When will my pension be paid this month?",
    "My health insurance won't pay for my glasses",
    "I want to report a burglary to the police",
    "Where is the nearest hospital?",
    "Can you order me a taxi?",
    "What's the weather going to be like tomorrow?",
    "I got a speeding ticket and want to complain",
    "Who won the football match yesterday?",
    "I need a lawyer for my divorce",
    "Which train goes to Munich?",
    "Can you recommend a good restaurant?",
]


def rows() -> list[tuple[str, Row]]:
    """Every row with its kind (the kinds of ``tests.matcher_heldout.correct``)."""
    return [
        *(("topics", row) for row in TOPICS),
        *(("departments", row) for row in DEPARTMENTS),
        *(("out_of_scope", (text, R, None, None)) for text in OUT_OF_SCOPE),
    ]
