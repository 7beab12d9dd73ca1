"""A small, complete Content for the dialogue and session tests (independent of the shipped FAQ files)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from voicebot.config.hours import parse_weekly_hours
from voicebot.config.settings import DialogueSettings
from voicebot.content.model import Content, Department, Topic
from voicebot.dialogue.types import DialogueContext, Schedule

ZONE = ZoneInfo("Europe/Berlin")
OPEN_NOW = dt.datetime(2026, 11, 24, 9, 0, tzinfo=ZONE)
"""A Tuesday morning: every department open."""
CLOSED_NOW = dt.datetime(2026, 11, 24, 20, 0, tzinfo=ZONE)
"""A Tuesday evening: every department closed."""

PROMPTS = {
    "greeting": "Willkommen beim {name}. Was kann ich für Sie tun?",
    "confirm_topic": "Sie möchten {title}, richtig?",
    "confirm_department": "Sie möchten mit {department} sprechen, richtig?",
    "choose": "Meinen Sie {first} oder {second}?",
    "reprompt": "Das habe ich nicht verstanden. Bitte sagen Sie es mit anderen Worten.",
    "reprompt_after_no": "Entschuldigung. Bitte sagen Sie mir noch einmal, worum es geht.",
    "anything_else": "Kann ich sonst noch etwas für Sie tun?",
    "transfer": "Ich verbinde Sie mit {department}.",
    "transfer_switchboard": "Ich verbinde Sie mit der Telefonzentrale.",
    "transfer_failed": "{department} ist gerade nicht erreichbar. Sagen Sie Zentrale, noch einmal oder Rückruf.",
    "department_closed": "{department} ist gerade nicht besetzt. Wieder erreichbar {next_opening}.",
    "switchboard_closed": "Die Telefonzentrale ist gerade nicht besetzt. Wieder erreichbar {next_opening}.",
    "callback_offer": "Möchten Sie zurückgerufen werden?",
    "callback_name": "Bitte sagen Sie Ihren Namen.",
    "callback_number": "Bitte tippen Sie Ihre Rufnummer und die Raute, oder sagen Sie sie.",
    "callback_done": "Danke. {department} ruft Sie zurück.",
    "no_input": "Ich habe nichts gehört.",
    "goodbye": "Auf Wiederhören.",
    "apology": "Entschuldigung, da ist etwas schiefgegangen.",
    "dtmf_menu": "Sie können auch eine Taste drücken. {options} Die 0 für die Telefonzentrale.",
    "dtmf_option": "Die {digit} für {name}.",
    "overflow": "Alle Leitungen sind belegt.",
    "max_duration": "Unser Gespräch dauert schon sehr lange.",
    "nothing_to_repeat": "Ich habe noch nichts gesagt.",
}


def sample_content() -> Content:
    """Five topics (two close ones for "choose", one transfer topic, the human topic) and four departments."""
    topics = (
        Topic(
            "oeffnungszeiten",
            "answer",
            "zentrale",
            "die Öffnungszeiten",
            ("wann habt ihr offen",),
            "Wir haben {hours} offen.",
            dtmf="5",
        ),
        Topic(
            "kfz-anmeldung",
            "answer",
            "zulassung",
            "ein Fahrzeug anmelden",
            ("auto anmelden",),
            "Zum Anmelden brauchen Sie Ausweis und eVB.",
        ),
        Topic(
            "kfz-abmeldung",
            "answer",
            "zulassung",
            "ein Fahrzeug abmelden",
            ("auto abmelden",),
            "Abmelden geht auch online.",
        ),
        Topic("bauantrag", "transfer", "bauamt", "einen Bauantrag", ("bauantrag stellen",), ""),
        Topic("mitarbeiter", "transfer", "zentrale", "einen Mitarbeiter", ("mitarbeiter bitte",), ""),
    )
    departments = (
        Department("zentrale", "die Telefonzentrale", dtmf="0"),
        Department("zulassung", "die Kfz-Zulassungsstelle", ("zulassungsstelle",), dtmf="1"),
        Department("bauamt", "das Bauamt", dtmf="2"),
        Department("jugendamt", "das Jugendamt"),
    )
    return Content(topics, departments, PROMPTS, {"name": "Landratsamt Lindenberg", "hours": "montags"})


def office_schedule() -> Schedule:
    """Monday to Friday 8 to 16."""
    hours, problems = parse_weekly_hours({day: "08:00-16:00" for day in ("mon", "tue", "wed", "thu", "fri")})
    assert hours is not None, problems
    return Schedule(hours)


def sample_context(now: dt.datetime = OPEN_NOW, settings: DialogueSettings | None = None) -> DialogueContext:
    """The sample content with office hours for every department, at ``now``."""
    content = sample_content()
    schedules = {department.id: office_schedule() for department in content.departments}
    return DialogueContext(content, settings or DialogueSettings(), now, schedules)
