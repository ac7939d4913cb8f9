"""The installer's device tools behind `zhian devices`: edit devices.yaml, check who is online, probe."""
