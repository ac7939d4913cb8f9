"""Stage ③: the event-time engine and the rules that run on it."""
