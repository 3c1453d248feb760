"""The two base classes: a DataLoader reads a value from somewhere, a DataSaver writes one.

Both are dataclasses: their fields are the arguments of ``hr.io.from_.<name>(...)`` and
``hr.io.to.<name>(...)``. A saver with a ``path`` field is staged by ``materialize``: it
writes to a hidden file next to ``path``, renamed into place when the whole run succeeded.
"""

from __future__ import annotations

import abc
import contextlib
import dataclasses
import os
import secrets
import shutil
from typing import Any


class Format(abc.ABC):
    """What loaders and savers share: a format name and the types of values they handle."""

    @classmethod
    @abc.abstractmethod
    def name(cls) -> str:
        """The format's name: ``hr.io.from_.<name>`` for a loader, ``hr.io.to.<name>`` for a saver."""

    @classmethod
    @abc.abstractmethod
    def applicable_types(cls) -> list[type]:
        """The types a loader can return (the first is the default) or a saver accepts."""


class DataLoader(Format):
    """Loads one value. Subclasses are dataclasses; register them with ``hr.io.register``.

    Examples:
        >>> import dataclasses
        >>> import headrace as hr
        >>> @hr.io.register
        ... @dataclasses.dataclass
        ... class Greeting(hr.io.DataLoader):
        ...     who: str
        ...     @classmethod
        ...     def name(cls) -> str:
        ...         return "greeting"
        ...     @classmethod
        ...     def applicable_types(cls) -> list[type]:
        ...         return [str]
        ...     def load_data(self, type_: type) -> tuple[str, dict]:
        ...         return f"hello {self.who}", {"who": self.who}
        >>> hr.io.from_.greeting(target="msg", who="ann").loader({}).load_data(str)[0]
        'hello ann'
    """

    @abc.abstractmethod
    def load_data(self, type_: type) -> tuple[Any, dict[str, Any]]:
        """The value (of ``type_``, one of ``applicable_types()``) and metadata about it."""


class DataSaver(Format):
    """Saves one value. Subclasses are dataclasses; register them with ``hr.io.register``.
    ``save_data`` returns metadata (for files: path, rows, bytes, columns)."""

    @abc.abstractmethod
    def save_data(self, data: Any) -> dict[str, Any]:
        """Writes ``data``; returns metadata about what was written."""

    def staged(self) -> Stage:
        """This saver writing to a hidden sibling of its ``path`` (same folder, so the
        final rename is atomic). A saver without a ``path`` field writes directly
        (override this method to stage it another way)."""
        path = getattr(self, "path", None)
        if path is None or not dataclasses.is_dataclass(self):
            return Stage(self)
        return FileStage(self, os.path.abspath(os.fspath(path)))


class Stage:
    """A saver as ``materialize`` runs it: ``saver`` writes somewhere temporary;
    ``commit`` moves that into place, ``undo`` reverts a commit (when a later one failed),
    ``discard`` drops what was written without committing, ``forget`` drops what ``undo``
    would need once every commit succeeded. This base class stages nothing."""

    def __init__(self, saver: DataSaver) -> None:
        self.saver = saver

    def commit(self) -> None:
        """Moves what ``saver`` wrote into place."""

    def undo(self) -> None:
        """Puts back what was in place before ``commit``."""

    def discard(self) -> None:
        """Drops what ``saver`` wrote (it was never committed)."""

    def forget(self) -> None:
        """Drops the backup ``undo`` would restore."""


class FileStage(Stage):
    """A file saver writing to ``.<name>.<random>.staged`` next to ``final``. ``commit``
    keeps the file it replaces as a hard link (a copy where links fail) until ``forget``."""

    def __init__(self, saver: DataSaver, final: str) -> None:
        directory, base = os.path.split(final)
        token = secrets.token_hex(6)
        self.final = final
        self.temporary = os.path.join(directory, f".{base}.{token}.staged")
        self.backup: str | None = None
        self._backup_name = os.path.join(directory, f".{base}.{token}.previous")
        super().__init__(dataclasses.replace(saver, path=self.temporary))  # type: ignore[type-var]

    def commit(self) -> None:
        if os.path.isfile(self.final):
            try:
                os.link(self.final, self._backup_name)
            except OSError:
                shutil.copy2(self.final, self._backup_name)
            self.backup = self._backup_name
        os.replace(self.temporary, self.final)

    def undo(self) -> None:
        if self.backup is not None:
            os.replace(self.backup, self.final)
            self.backup = None
        else:
            _remove(self.final)

    def discard(self) -> None:
        _remove(self.temporary)

    def forget(self) -> None:
        if self.backup is not None:
            _remove(self.backup)


def _remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.remove(path)
