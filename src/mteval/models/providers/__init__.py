"""Providers: one module per API family, imported lazily by the registry."""

__all__: list[str] = []
