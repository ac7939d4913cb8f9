"""Police timelines: one query interface (model.py) over the SQLite store and over InfluxDB."""
