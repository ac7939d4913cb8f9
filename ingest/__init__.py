"""Stage ①: MQTT, replay files and vendor adapters in; validated events out."""
