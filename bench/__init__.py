"""Benchmarks, run with `python -m bench` (or `make bench`). They report; they never assert or fail a build."""
