"""Upstream to the police platform: zhian as a GA/T 1400 (视图库) client that registers,
keeps alive and pushes alert notifications."""
