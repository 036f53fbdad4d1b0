"""The simulation harness: random worlds from one seed, run against the simulator, promises checked after
every run (``make fuzz`` runs it for as long as asked)."""
