"""Benchmarks of the offline plan tool (`python -m bench.run`); not part of the test suite."""
