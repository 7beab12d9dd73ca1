"""The one configuration file (``voicebot.toml``) as a frozen dataclass tree, validated at load.

Every problem in the file is reported at once, each with the file, line and field. Units are in the
field docstrings. Paths in the file are relative to the file's folder.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from voicebot.config.calendar import ClosedDays
from voicebot.config.hours import WeeklyHours

"""The repository's example configuration (an invented district)."""


@dataclass(frozen=True)
class SipSettings:
    """How the bot connects to the telephone system."""

    mode: str = "direct"
    """``direct``: accept INVITEs on the bound address from ``allowed_peers``; ``register``: register
    as an extension at ``registrar``."""
    bind_host: str = "127.0.0.1"
    """Address for SIP and RTP (an IP address)."""
    port: int = 5070
    """SIP UDP port."""
    rtp_port: int = 40000
    """First RTP port; each call takes two ports from here upwards."""
    public_host: str = ""
    """Address written into SIP/SDP when it differs from ``bind_host`` (NAT); empty = ``bind_host``."""
    user: str = "voicebot"
    """User part of the bot's own SIP URI (and the extension in ``register`` mode)."""
    registrar: str = ""
    """Registrar URI in ``register`` mode, e.g. ``sip:pbx.landkreis.example``."""
    auth_user: str = ""
    """Digest user name (``register`` mode)."""
    password: str = ""
    """Digest password (``register`` mode). Prefer ``password_file``."""
    password_file: str = ""
    """File holding the digest password (first line), relative to this file."""
    register_seconds: int = 300
    """Registration expiry; pjsua2 re-registers before it runs out (seconds)."""
    allowed_peers: tuple[str, ...] = ("127.0.0.1",)
    """Source IP addresses whose requests reach the SIP stack (everyone else is refused by the guard,
    voicebot/telephony/guard.py); in ``register`` mode the registrar's addresses are added to these."""
    codecs: tuple[str, ...] = ("PCMA", "PCMU", "G722")
    """Codecs offered and accepted, in order of preference."""
    max_calls: int = 3
    """Conversations at once in one process; more are sent on to ``overflow``. One process carries at most
    4 calls (the pjsua2 wheel's limit; the request guard answers the next INVITE 503 + Retry-After): with
    ``overflow = "switchboard"`` at most 3 conversations plus the overflow line, with ``reject`` 4; a larger
    value is lowered (warning).
    More: several instances behind Kamailio (``voicebot run --workers``; ``--workers auto`` forks as many as
    the recogniser in use carries by its measured cost: vosk with the FAQ grammar 8 calls per core, Whisper 2,
    ``voicebot.call.workers.CALLS_PER_CORE_BY_ENGINE``)."""
    overflow: str = "switchboard"
    """What happens to calls beyond ``max_calls``: ``switchboard`` (announce and transfer) or ``reject`` (486
    Busy Here). When no line is free at all the bot answers 503 with Retry-After."""
    max_call_seconds: int = 600
    """A call is handed to the switchboard after this long (seconds)."""
    rtp_timeout_seconds: int = 30
    """A caller from whom no RTP packet arrives this long is treated as gone: the bot hangs up (seconds;
    0 = never). A call on hold (the caller sends no audio by agreement) is exempt."""
    transfer: str = "refer"
    """How callers are put through, for departments without their own ``transfer``: ``refer`` (SIP REFER, the
    caller's phone calls the department), ``bridge`` (the bot calls the department and joins both calls) or
    ``refer-then-bridge`` (REFER; when it is refused or fails, bridge). A failed bridge falls back to the
    switchboard, then to a callback offer."""
    bridge_answer_seconds: int = 20
    """How long a bridged call may ring at the department before the bot gives up on it (seconds)."""
    refer_headers: bool = True
    """A REFER's target carries the transfer context as URI headers (``Subject``, ``Call-Info``, ...; RFC 3261
    §19.1.1), which the transferee copies into its INVITE. ``false`` for transferees that put them into the
    request line instead (measured: baresip 1.0 follows such a REFER with no INVITE at all, and dumped core once)."""


@dataclass(frozen=True)
class AudioSettings:
    """The audio format inside the bot."""

    line_rate: int = 16000
    """Rate at which the bot exchanges audio with the SIP stack (hertz): 8000 or 16000."""
    frame_ms: int = 20
    """Frame length on the line (milliseconds)."""


@dataclass(frozen=True)
class VadSettings:
    """Voice activity detection and end-of-turn detection."""

    aggressiveness: int = 2
    """webrtcvad mode 0..3 (3 filters most non-speech)."""
    start_ms: int = 120
    """Voiced audio needed before an utterance counts as started (milliseconds)."""
    end_silence_ms: int = 700
    """Trailing silence that ends the caller's turn (milliseconds)."""
    preroll_ms: int = 300
    """Audio kept from before the detected start, so first syllables are not cut (milliseconds)."""
    max_utterance_ms: int = 15000
    """An utterance is cut off after this long (milliseconds)."""
    no_input_ms: int = 7000
    """Silence after the bot stopped speaking that counts as "no input" (milliseconds)."""
    barge_in_ms: int = 400
    """Voiced audio needed while the bot speaks before the bot stops for the caller (milliseconds)."""
    speculate_ms: int = 0
    """Trailing silence after which recognition of the utterance starts early, on the audio so far
    (milliseconds; 0 = off, must be below ``end_silence_ms``). If the caller goes on talking the early result
    is dropped; if the silence reaches ``end_silence_ms`` it is used, so decoding overlaps the end-of-turn wait.
    Used with recognisers that decode at the end (Whisper); streaming ones (vosk) are done by then anyway."""
    tail_drop_db: float = 35.0
    """Inside an utterance, a frame this far below the utterance's loudest voiced frame counts as silence for
    the end-of-turn timer (decibels; 0 = off, the VAD alone decides). The WebRTC VAD keeps reporting speech for
    ~100-150 ms of fading tail and hang-over after the last syllable, and on a hissing line for the noise too:
    without this the configured ``end_silence_ms`` would start that much late, or never."""


@dataclass(frozen=True)
class AsrSettings:
    """Speech recognition engines."""

    engines: tuple[str, ...] = ("vosk", "whisper")
    """Preference list; the first that loads is used, each fallback is logged."""
    vosk_model: str = "var/models/vosk-model-small-de-0.15"
    """Folder of the vosk model (relative to this file)."""
    vosk_grammar: bool = False
    """Restrict vosk to the FAQ vocabulary (plus ``[unk]``) instead of free recognition."""
    vosk_grammar_words_file: str = ""
    """With ``vosk_grammar``: take the grammar phrases from this file (one per line, relative to this file)
    instead of the FAQ vocabulary; empty = the FAQ vocabulary. Used by the capacity benchmark's grammar-cost
    proxy (words of the Korean model)."""
    whisper_model: str = "var/models/whisper-base"
    """Folder of a CTranslate2 Whisper model (relative to this file); ``pypi:whisper-base`` = the PyPI package."""
    whisper_compute_type: str = "int8"
    """CTranslate2 compute type on the CPU."""
    whisper_beam_size: int = 1
    """Beam size (1 = greedy, fastest)."""
    whisper_short_window: bool = True
    """Encode only the utterance plus ``whisper_margin_s`` instead of Whisper's 30 s window (the encoder's
    cost follows the window: ~145 ms for 10 s instead of ~860 ms for 30 s on two cores; same word error rate,
    measured). Utterances that do not fit into one short window always get the 30 s windows."""
    whisper_margin_s: float = 2.0
    """Padding after the utterance in the short window (seconds; chosen by measuring the word error rate)."""
    whisper_min_window_s: float = 10.0
    """The short window is at least this long (seconds): shorter ones make Whisper loop or split words on
    short utterances (measured: word error rate 20 % instead of 15 % with 2 s; 6 s holds the corpus WER,
    10 s also the single clips)."""
    whisper_threads: int = 0
    """CTranslate2 CPU threads per decode (0 = one per core, at most 4; under ``voicebot run --workers N`` each
    worker's share of the cores, at least 1)."""
    whisper_workers: int = 2
    """Whisper decodes that run side by side in one process (CTranslate2 workers, each with
    ``whisper_threads`` threads); further decodes wait for one to finish."""
    rescore_candidates: int = 0
    """Whisper: FAQ phrasings, repaired transcripts and short answers scored against the audio per turn
    (teacher-forced, about 20 ms each on two cores; 0 = off: the transcript alone is matched). The scores are
    fused with the transcript's reading (``voicebot.understand.fusion``): the role the grammar plays for vosk."""
    other_language_weight: float = 0.25
    """Whisper language identification: the prior weight of a further language (English, ...) against the base
    language. Whisper's probability of each further language is multiplied by it before normalising, because a
    district's callers mostly speak German and Whisper base takes much German telephone speech for English
    (measured: P(en) > 0.5 for 50 of 112 German 8 kHz fixtures). 1 = no preference."""
    vosk_alternatives: int = 0
    """vosk: readings in its n-best list per utterance (0 = one); the matcher takes the reading it understands best."""
    language: str = "de"
    """Language code given to the engines."""


@dataclass(frozen=True)
class TtsSettings:
    """Speech synthesis engines."""

    engines: tuple[str, ...] = ("piper", "espeak")
    """Preference list; the first that loads is used, each fallback is logged."""
    piper_voice: str = "var/models/de_DE-thorsten-medium.onnx"
    """Path of the piper voice ``.onnx`` (its ``.onnx.json`` beside it), relative to this file."""
    espeak_voice: str = "de"
    """espeak-ng voice name."""
    espeak_speed: int = 150
    """espeak-ng speaking rate (words per minute)."""
    length_scale: float = 1.0
    """piper speaking pace: above 1 is slower."""
    cache_dir: str = "var/cache/tts"
    """Where pre-rendered prompts and answers are kept (relative to this file)."""
    voices: tuple[str, ...] = ("en=piper:pypi:joe-us", "en=espeak:en", "tr=espeak:tr")
    """Voices of the further languages, ``language=engine:voice``, in order of preference per language (the
    first that loads is used); a language without one is spoken by the voices above."""


@dataclass(frozen=True)
class DialogueSettings:
    """Thresholds and limits of the conversation policy."""

    answer_threshold: float = 0.80
    """Match score (0..1) at or above which the bot answers without asking back."""
    confirm_threshold: float = 0.55
    """Score at or above which the bot asks "Sie möchten … – richtig?"; below it, it asks again."""
    ambiguity_margin: float = 0.06
    """When the runner-up is within this score of the best, the bot offers both."""
    max_questions: int = 5
    """After this many questions in one call the caller is put through to the switchboard."""
    max_failures: int = 2
    """After this many failed attempts in a row the caller is put through to the switchboard."""
    max_no_input: int = 2
    """Silent turns in a row before the bot says goodbye and hangs up."""


@dataclass(frozen=True)
class RecordsSettings:
    """The call record store."""

    database: str = "var/records.sqlite3"
    """SQLite file (relative to this file)."""
    retention_days: int = 90
    """Records older than this are deleted (days)."""
    store_audio: bool = False
    """Keep the caller's audio of each turn (off by default, DSGVO)."""
    audio_dir: str = "var/audio"
    """Where audio goes when ``store_audio`` is on (relative to this file)."""


@dataclass(frozen=True)
class LogSettings:
    """What the log may show."""

    full_numbers: bool = False
    """Show callers' full SIP URIs (numbers) in log lines. Honoured only while the log level is DEBUG;
    otherwise, and by default, numbers are masked as in the call records (``+49 8381 ••• 45``)."""


@dataclass(frozen=True)
class WebSettings:
    """The switchboard and admin web app."""

    host: str = "127.0.0.1"
    """Address the web app listens on."""
    port: int = 8080
    """TCP port of the web app."""
    session_minutes: int = 480
    """A login expires after this long without use (minutes)."""
    handling_minutes: float = 3.0
    """Average time staff spend on a call the bot answers instead (minutes), for "time saved"."""
    trusted_proxies: tuple[str, ...] = ()
    """Reverse proxies (addresses or networks, ``10.0.0.5``, ``10.0.0.0/24``) whose X-Forwarded-For/-Proto or
    Forwarded headers are believed: the client address and https come from them (cookies ``Secure``, HSTS,
    login throttling per real client). Empty: the headers are ignored."""
    metrics_allow: tuple[str, ...] = ("127.0.0.1", "::1")
    """Client addresses or networks that may read ``/metrics`` (Prometheus); everyone else gets 403."""


@dataclass(frozen=True)
class PathSettings:
    """Where the bot keeps its data (an installed server: ``/var/lib/voicebot``)."""

    data_dir: str = ""
    """Folder of the data: the data paths (``records.database``, ``records.audio_dir``, ``tts.cache_dir``,
    ``asr.vosk_model``, ``asr.whisper_model``, ``tts.piper_voice``, ``paths.models_dir``) are relative to it;
    empty = this file's folder, or ``/var/lib/voicebot`` for a file under ``/etc`` (content and
    ``sip.password_file`` stay relative to this file)."""
    models_dir: str = "var/models"
    """Where ``voicebot models fetch/install`` put models (relative to ``data_dir``)."""


SYSTEM_DATA_DIR = Path("/var/lib/voicebot")
"""The data folder of a configuration under ``/etc`` that names none."""


@dataclass(frozen=True)
class CalendarSettings:
    """The public-holiday calendar behind the closed days (the ``holidays`` package)."""

    country: str = "DE"
    """ISO country code of the holiday calendar; empty = no public holidays, only the listed ``closed`` days."""
    state: str = ""
    """The district's state (``BY``, ``BW``, ``NW`` …): its public holidays are closed days; empty = only the
    nationwide ones."""
    categories: tuple[str, ...] = ("public",)
    """Holiday categories (``public``; Bavaria: add ``catholic`` for Mariä Himmelfahrt)."""


@dataclass(frozen=True)
class DepartmentSettings:
    """How one department is reached."""

    target: str
    """SIP URI the caller is transferred to, e.g. ``sip:zulassung@pbx.landkreis.example``."""
    hours: WeeklyHours
    """When the department takes calls (weekly schedule)."""
    closed: tuple[str, ...] = ()
    """Extra closed days, ISO dates (``2026-12-24``), on top of the district's ``closed``."""
    transfer: str = ""
    """``refer``, ``bridge`` or ``refer-then-bridge`` for this department; empty = ``[sip] transfer``."""


@dataclass(frozen=True)
class ContentPaths:
    """Where the editable content lives (relative to this file)."""

    faq: str = "grammars/faq.yaml"
    """The FAQ base: topics, phrasings, answers."""
    departments: str = "grammars/departments.yaml"
    """Department names and the ways callers say them."""
    prompts: str = "prompts/de.yaml"
    """The bot's fixed sentences."""
    max_answer_seconds: float = 25.0
    """Longest spoken answer (seconds, estimated from its length); ``voicebot check`` and the admin form
    refuse longer ones."""


@dataclass(frozen=True)
class Settings:
    """The whole configuration."""

    path: Path
    """The file this was loaded from (its folder anchors relative paths)."""
    district: Mapping[str, str]
    """Facts about the district (``name``, ``street``, ``phone`` …), usable as ``{name}`` in texts."""
    closed: tuple[str, ...]
    """The district's own closed days on top of the public holidays of ``calendar``: ISO dates (once) or
    ``MM-DD`` (every year, e.g. ``12-24``)."""
    departments: Mapping[str, DepartmentSettings]
    """Per department id: SIP target and opening hours."""
    sip: SipSettings = field(default_factory=SipSettings)
    audio: AudioSettings = field(default_factory=AudioSettings)
    vad: VadSettings = field(default_factory=VadSettings)
    asr: AsrSettings = field(default_factory=AsrSettings)
    tts: TtsSettings = field(default_factory=TtsSettings)
    dialogue: DialogueSettings = field(default_factory=DialogueSettings)
    records: RecordsSettings = field(default_factory=RecordsSettings)
    web: WebSettings = field(default_factory=WebSettings)
    log: LogSettings = field(default_factory=LogSettings)
    content: ContentPaths = field(default_factory=ContentPaths)
    calendar: CalendarSettings = field(default_factory=CalendarSettings)
    paths: PathSettings = field(default_factory=PathSettings)
    timezone: str = "Europe/Berlin"
    """Time zone of the opening hours."""

    def resolve(self, relative: str) -> Path:
        """A path from the file, made absolute against the file's folder."""
        candidate = Path(relative).expanduser()
        return candidate if candidate.is_absolute() else (self.path.parent / candidate).resolve()

    def data_dir(self) -> Path:
        """The data folder (see ``PathSettings.data_dir``)."""
        if self.paths.data_dir:
            return self.resolve(self.paths.data_dir)
        if self.path.is_absolute() and self.path.parts[:2] == ("/", "etc"):
            return SYSTEM_DATA_DIR
        return self.path.parent.resolve()

    def resolve_data(self, relative: str) -> Path:
        """A data path (records, cache, models) made absolute against ``data_dir``."""
        candidate = Path(relative).expanduser()
        return candidate if candidate.is_absolute() else (self.data_dir() / candidate).resolve()

    def closed_days(self, extras: tuple[str, ...] = ()) -> ClosedDays:
        """The district's closed days (holidays of ``calendar`` plus ``closed``), plus ``extras`` (a department's)."""
        cal = self.calendar
        return ClosedDays(cal.country, cal.state, cal.categories, (*self.closed, *extras))


__all__ = [
    "AsrSettings",
    "AudioSettings",
    "CalendarSettings",
    "ContentPaths",
    "DepartmentSettings",
    "DialogueSettings",
    "LogSettings",
    "PathSettings",
    "RecordsSettings",
    "Settings",
    "SipSettings",
    "TtsSettings",
    "VadSettings",
    "WebSettings",
]
