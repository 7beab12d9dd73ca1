"""The call, composed: one ``session.CallSession`` per call drives listen -> understand -> decide -> speak ->
record; ``bot.Bot`` holds what calls share; ``switch.Switch`` admits calls from the line (``LineEndpoint``);
``workers`` forks SIP workers that share the models; ``simulate`` runs a call from files; ``linetest`` answers
with tones and an echo instead of speech."""
