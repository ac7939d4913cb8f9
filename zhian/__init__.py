"""zhian: wiring of the stages into commands, the live runner, the store and the simulator."""
