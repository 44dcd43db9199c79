"""Benchmarks: `python -m bench.webhook` (webhook throughput and latency); bench.scaling for curves."""
