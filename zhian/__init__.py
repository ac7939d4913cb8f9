"""zhian: wiring of the stages into commands, the live runner, the store and the simulator."""

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"  # every zhian process logs so
