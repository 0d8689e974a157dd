"""Benchmarks: each one package that plugs into the engine through a registry."""

__all__: list[str] = []
