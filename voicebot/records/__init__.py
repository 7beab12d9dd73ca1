"""Stage 6, recording: what a call leaves behind (``calls``: typed turns and outcomes, the ``CallRecorder``
Protocol), kept in SQLite with masked personal data (``store``, ``writer``, ``spool``: never lost), retention,
statistics and the staff's queries."""
