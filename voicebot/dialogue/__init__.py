"""Stage 4, deciding: the dialogue policy, one pure ``policy.step(state, event, context)`` returning the new state
and the commands (say, transfer, hang up, record a callback); ``types`` holds its vocabulary."""
