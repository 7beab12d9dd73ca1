"""Offline telephone voicebot for the central switchboard of a German district administration."""

__version__ = "0.1.0"
