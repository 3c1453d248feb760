"""Errors that name the loader or saver and the path they concern."""

from __future__ import annotations


def renamed(exc: BaseException, prefix: str) -> BaseException:
    """An exception of ``exc``'s type saying ``prefix: <exc's message>`` (a RuntimeError
    where that type cannot be made from a message); raise it ``from exc``."""
    text = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
    message = f"{prefix}: {text}"
    try:
        return type(exc)(message)
    except Exception:  # noqa: BLE001 - an exception type with another signature
        return RuntimeError(message)
