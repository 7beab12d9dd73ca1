"""The switchboard staff's and admins' web app (aiohttp, server-rendered, no third-party JavaScript)."""
