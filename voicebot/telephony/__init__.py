"""Stage 1, the line: pjsua2 in its own thread (SIP, RTP, DTMF, REFER) and the channel that hands the loop typed events.

Audio path: pjmedia's clock thread calls ``call.MediaBridge.onFrameReceived`` every 20 ms; the bridge hands the
PCM to its ``AudioSink`` (``channel.PjsuaChannel``), which posts it to the asyncio loop as ``events.AudioReceived``
behind the urgent events (DTMF, hang-up). The bot's audio goes back the same way: ``PjsuaChannel.play`` queues
it, ``MediaBridge.onFrameRequested`` takes 20 ms per tick. The call session sees only ``ports.CallChannel``.
"""
