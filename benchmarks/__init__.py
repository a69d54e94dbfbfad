"""Benchmarks: the same scenarios measured the same way every time, written to docs/benchmarks.md."""
