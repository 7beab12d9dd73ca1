"""``python -m voicebot`` = the ``voicebot`` command."""

from voicebot.cli import main

raise SystemExit(main())
