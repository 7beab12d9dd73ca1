"""German text as the bot reads it: normalisation, number words, compounds, sound codes. Pure.

A foundation of the stages that handle words: the recogniser's phrase list (``voicebot.listen.grammar``),
the matcher (``voicebot.understand``), the content checks and the spoken-text rewriting.
"""
