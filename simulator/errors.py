"""The errors a command reports as one line instead of a traceback."""

from __future__ import annotations


def known_errors() -> tuple[type[Exception], ...]:
    from pydantic import ValidationError

    from simulator.backends.base import BackendError
    from simulator.catalog import CatalogError
    from simulator.engine.launch import LaunchError
    from simulator.store.transcripts import StoreError

    return (CatalogError, StoreError, LaunchError, BackendError, ValidationError)


def one_line(err: Exception) -> str:
    from pydantic import ValidationError

    if isinstance(err, ValidationError):
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        return f"invalid setting {where}: {first['msg']}"
    return str(err).splitlines()[0] if str(err) else type(err).__name__
