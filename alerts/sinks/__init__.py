"""Stage ④ sinks: where alert transitions, events and metrics go besides MQTT."""
