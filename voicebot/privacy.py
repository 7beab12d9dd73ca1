"""Personal data masked (DSGVO), for every stage that writes something down: records, logs, the web app.

Masking of personal data in stored texts, and of caller numbers for display.

``mask(text)`` replaces phone numbers (written or spoken digit by digit), dates of birth and other full
dates, IBANs and e-mail addresses (written or spoken: "max punkt muster at web punkt de") with German
placeholders. It errs on the side of masking: a long number that is not a phone number is masked too.
Pure functions, no state.
"""

from __future__ import annotations

import logging
import re

PHONE = "[Telefonnummer]"
DATE = "[Datum]"
IBAN = "[IBAN]"
EMAIL = "[E-Mail]"

_DIGIT_WORDS = {
    "null": 1,
    "eins": 1,
    "ein": 1,
    "zwei": 1,
    "zwo": 1,
    "drei": 1,
    "vier": 1,
    "fünf": 1,
    "fuenf": 1,
    "sechs": 1,
    "sieben": 1,
    "acht": 1,
    "neun": 1,
    "doppelnull": 2,
}
_MONTHS = (
    "januar|jänner|februar|märz|maerz|april|mai|juni|juli|august|september|oktober|november|dezember"
    "|jan|feb|mär|apr|jun|jul|aug|sep|sept|okt|nov|dez"
)
_MIN_PHONE_DIGITS = 6
"""Digit runs shorter than this (postcodes, house numbers, amounts) stay."""

# --- e-mail -------------------------------------------------------------------------------------------
_EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
_MIXED_EMAIL_RE = re.compile(r"[\w.+-]+\s+(?:at|ät|et)\s+[\w-]+(?:\.[\w-]+)+", re.IGNORECASE)
"""Half spoken, half written, as recognisers produce it: ``max.muster at web.de``."""
_SPOKEN_PART = r"[\wäöüß]+(?:\s+(?:punkt|minus|bindestrich|unterstrich|strich)\s+[\wäöüß]+)*"
_SPOKEN_EMAIL_RE = re.compile(
    rf"\b{_SPOKEN_PART}\s+(?:at|ät|et|klammeraffe)\s+{_SPOKEN_PART}\s+punkt\s+[\wäöüß]+\b",
    re.IGNORECASE,
)

# --- IBAN: country letters, check digits, then digits in groups (German IBANs: 18 more) -------------------
_IBAN_RE = re.compile(r"\b[A-Z]\s?[A-Z]\s?\d\s?\d(?:[ ,]?\s?\d){10,30}\b", re.IGNORECASE)

# --- dates --------------------------------------------------------------------------------------------
_NUMERIC_DATE_RE = re.compile(r"\b\d{1,2}\s?[./]\s?\d{1,2}\s?[./]\s?(?:\d{4}|\d{2})\b")
_ISO_DATE_RE = re.compile(r"\b\d{4}-\d{1,2}-\d{1,2}\b")
_MONTH_DATE_RE = re.compile(rf"\b\d{{1,2}}\.?\s*(?:{_MONTHS})\.?\s+\d{{2,4}}\b", re.IGNORECASE)
_DATE_WORD = (
    rf"(?:\d{{1,4}}\.?|{_MONTHS}|[a-zäöüß]*(?:ten|ter|tem|sten|ster|zehn|zig|ßig|hundert|tausend|"
    r"hundert[a-zäöüß]+|tausend[a-zäöüß]+)|ersten|erster|dritten|dritter|siebten|siebter|achten|achter)"
)
_BIRTH_RE = re.compile(
    rf"\b(geboren|geb\.|geburtsdatum|geburtstag)(\s+(?:ist|am|den|im|war|lautet)\b)?"
    rf"((?:[\s,]+(?:der\s+|den\s+|im\s+)?{_DATE_WORD}\b){{1,6}})",
    re.IGNORECASE,
)

# --- phone numbers: runs of digits and digit words ---------------------------------------------------------
_TENS = "zwanzig|dreißig|dreissig|vierzig|fünfzig|fuenfzig|sechzig|siebzig|achtzig|neunzig"
_PAIR = (
    rf"(?:(?:ein|zwei|drei|vier|fünf|fuenf|sechs|sieben|acht|neun)und(?:{_TENS})|{_TENS}|"
    r"dreizehn|vierzehn|fünfzehn|fuenfzehn|sechzehn|siebzehn|achtzehn|neunzehn|zehn|elf|zwölf|zwoelf)"
)
"""Number words of two digits, as people read numbers in pairs ("null acht dreiundachtzig …")."""
_PAIR_RE = re.compile(rf"^{_PAIR}$")
_UNIT = r"(?:\d+|" + _PAIR + "|" + "|".join(sorted(_DIGIT_WORDS, key=len, reverse=True)) + r")"
_RUN_RE = re.compile(
    rf"(?<![\w+])(?:(?:\+|plus\s+|00)\s?)?{_UNIT}(?:[\s/().,-]{{0,3}}{_UNIT}\b)*",
    re.IGNORECASE,
)


def _count_digits(run: str) -> int:
    count = 0
    for token in re.findall(r"\d+|[a-zäöüß]+", run.lower()):
        if token.isdigit():
            count += len(token)
        else:
            count += 2 if _PAIR_RE.match(token) else _DIGIT_WORDS.get(token, 0)
    return count


def _mask_phone(match: re.Match[str]) -> str:
    run = match.group(0)
    if _count_digits(run) < _MIN_PHONE_DIGITS:
        return run
    trail = run[len(run.rstrip(" ,.")) :]
    return PHONE + trail


def _mask_birth(match: re.Match[str]) -> str:
    return match.group(1) + (match.group(2) or "") + " " + DATE


def mask(text: str) -> str:
    """The text with phone numbers, dates, IBANs and e-mail addresses replaced by placeholders."""
    if not text:
        return text
    out = _EMAIL_RE.sub(EMAIL, text)
    out = _MIXED_EMAIL_RE.sub(EMAIL, out)
    out = _SPOKEN_EMAIL_RE.sub(EMAIL, out)
    out = _IBAN_RE.sub(IBAN, out)
    out = _ISO_DATE_RE.sub(DATE, out)
    out = _NUMERIC_DATE_RE.sub(DATE, out)
    out = _MONTH_DATE_RE.sub(DATE, out)
    out = _BIRTH_RE.sub(_mask_birth, out)
    out = _RUN_RE.sub(_mask_phone, out)
    return out


def digits_of(caller: str) -> str:
    """The dialable digits of a caller id (``sip:+4983819204 5@host`` → ``+49838192045``); ``""`` if none."""
    user = caller.strip()
    if "<" in user and ">" in user:  # name-addr: "Name" <sip:user@host>
        user = user[user.index("<") + 1 : user.index(">", user.index("<"))].strip()
    if user.lower().startswith(("sip:", "sips:", "tel:")):
        user = user.split(":", 1)[1]
    user = user.split("@", 1)[0].split(";", 1)[0]
    digits = re.sub(r"\D", "", user)
    if not digits:
        return ""
    return ("+" + digits) if user.lstrip().startswith("+") else digits


def canonical_number(caller: str) -> str:
    """Digits in international form for German numbers (``08381…`` and ``0049…`` → ``+498381…``)."""
    digits = digits_of(caller)
    if digits.startswith("00"):
        return "+" + digits[2:]
    if digits.startswith("0"):
        return "+49" + digits[1:]
    return digits


def _area_length(national: str) -> int:
    """Rough length of a German area code or mobile prefix (no leading 0): Berlin 30, mobile 171, else 4."""
    if national[:2] in {"30", "40", "69", "89"}:
        return 2
    if national.startswith("1"):
        return 3
    return 4


def mask_number(caller: str) -> str:
    """A caller number for display: area code and last two digits kept (``+49 8381 ••• 45``)."""
    digits = digits_of(caller)
    if len(digits.lstrip("+")) < 3:
        return "unbekannt"
    if digits.startswith("+49") or digits.startswith("0049"):
        national = digits[3:] if digits.startswith("+") else digits[4:]
        prefix = "+49 "
    elif digits.startswith("+") or digits.startswith("00"):
        rest = digits[1:] if digits.startswith("+") else digits[2:]
        return f"+{rest[:2]} ••• {rest[-2:]}"
    elif digits.startswith("0"):
        national = digits[1:]
        prefix = "0"
    else:
        return f"••• {digits[-2:]}"
    if len(national) <= 6:
        return f"{prefix}••• {national[-2:]}"
    area = national[: _area_length(national)]
    return f"{prefix}{area} ••• {national[-2:]}"


WITHHELD = frozenset({"anonymous", "unknown", "unavailable", "restricted", "private"})
"""User parts of a withheld caller (shown as "unbekannt")."""


def caller_for_log(caller: str, full_numbers: bool = False, logger: logging.Logger | None = None) -> str:
    """A caller (SIP URI, name-addr) as log lines show it: a number masked like the records (``+49 8381 ••• 45``),
    a name as user part cut to two letters (``ev***``).

    The full URI (quoted, control characters escaped) only when ``full_numbers`` (``[log] full_numbers``)
    and ``logger`` logs at DEBUG level.
    """
    if full_numbers and logger is not None and logger.isEnabledFor(logging.DEBUG):
        return repr(caller)
    if len(digits_of(caller).lstrip("+")) >= 3:
        return mask_number(caller)
    user = caller.split(":", 1)[-1].split("@", 1)[0].split(";", 1)[0] if ":" in caller else ""
    shown = "".join(char for char in user[:2] if char.isalnum())
    if not shown or user.lower() in WITHHELD:
        return mask_number(caller)  # "unbekannt"
    return f"{shown}***"  # a name as user part: two letters, never more


__all__ = [
    "DATE",
    "EMAIL",
    "IBAN",
    "PHONE",
    "caller_for_log",
    "canonical_number",
    "digits_of",
    "mask",
    "mask_number",
]
