"""The security desk console: HTTP API (FastAPI), web pages and their users, served by `zhian run`."""
