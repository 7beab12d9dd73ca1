"""Stage 5, speaking: text for the ear (``spoken``), the speech cache in front of the synthesiser (``cache``,
the ``ports.Speech`` implementation) and a reply's audio first chunk first (``stream``)."""
