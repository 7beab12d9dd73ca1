"""Stage 3, understanding: one utterance matched against the FAQ base (``matcher`` and its layers: ``words``,
``signals``, ``departments``, ``calibrate``), giving an ``understanding.Understanding``. Pure."""
