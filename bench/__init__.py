"""Benchmarks; ``bench.ws_client`` is also used by the server tests."""
