"""Scale-out: the same pipeline as `zhian replay` / `zhian run`, as Faust agents on Kafka."""
