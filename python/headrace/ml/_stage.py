"""The stage classes: Stage, MLFunc, Transformer, Estimator."""

from __future__ import annotations

import copy
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, ClassVar

from ._params import WithParams
from ._tables import as_streams

if TYPE_CHECKING:
    import pyarrow as pa

    from .._datastream import DataStream


class Stage(WithParams, ABC):
    """A stage of a Pipeline or Graph: parameters, schema checks, save and load.

    Subclass :class:`MLFunc`, :class:`Transformer` or :class:`Estimator`, not Stage itself.
    A stage that holds model data beyond its parameters returns it from ``_model_tables``
    (a dict of name -> pyarrow Table) and takes it back in ``_load_model_tables``; both
    are what ``save`` writes as Arrow IPC files and ``load`` reads.
    """

    @abstractmethod
    def transform_schemas(self, *schemas: pa.Schema) -> tuple[pa.Schema, ...]:
        """Checks the input schemas against this stage and returns the output schemas;
        raises naming the stage and the column on a mismatch."""

    @property
    def stage_name(self) -> str:
        """The name used in error messages: the class name."""
        return type(self).__name__

    def save(self, path: str) -> None:
        """Writes the stage to a new folder ``path``: ``stage.json`` (class, parameters,
        wiring) and model data as Arrow IPC files."""
        from ._format import save_stage

        save_stage(self, path)

    @classmethod
    def load(cls, path: str) -> Any:
        """Reads a stage written by ``save``; it must be an instance of this class."""
        from ._format import load_stage

        stage = load_stage(path)
        if not isinstance(stage, cls):
            raise TypeError(f"{path}: holds a {type(stage).__name__}, which is not a {cls.__name__}")
        return stage

    # The save/load protocol; composite stages (pipelines, graphs) override all of it.
    def _save_params(self) -> dict[str, Any]:
        return self.get_params()

    def _model_tables(self) -> dict[str, pa.Table]:
        return {}

    def _load_model_tables(self, tables: dict[str, pa.Table]) -> None:
        if tables:
            raise ValueError(f"{self.stage_name}: has no model data, got tables {sorted(tables)}")

    def _children(self) -> list[Stage]:
        return []

    @classmethod
    def _restore(cls, params: dict[str, Any], tables: dict[str, pa.Table], children: list[Stage]) -> Stage:
        if children:
            raise ValueError(f"{cls.__name__}: has no child stages, got {len(children)}")
        stage = cls(**params)
        stage._load_model_tables(tables)
        return stage


class MLFunc(Stage):
    """A stage that maps input tables to output tables: ``transform(*tables)``.

    Inputs may be DataStreams, pyarrow Tables or any Arrow-capsule object; outputs are
    lazy DataStreams (nothing runs until they are collected).
    """

    def transform(self, *tables: Any) -> tuple[DataStream, ...]:
        """Returns the output tables (lazy DataStreams) for the input tables."""
        return self._transform(*as_streams(tables, self.stage_name))

    @abstractmethod
    def _transform(self, *streams: DataStream) -> tuple[DataStream, ...]:
        """Subclasses implement this: ``transform`` with the inputs made DataStreams."""


class Transformer(MLFunc):
    """An MLFunc that may take state streams: tables of model updates it reads while it
    transforms (possibly unbounded). ``state_stream_count`` says how many it takes; a
    Transformer that takes none rejects them."""

    state_stream_count: ClassVar[int] = 0

    def set_state_streams(self, *tables: Any) -> None:
        """Sets the state streams; may be called at most once per Transformer."""
        if getattr(self, "_state_streams", None) is not None:
            raise RuntimeError(f"{self.stage_name}: set_state_streams may be called only once "
                               "(its state streams are already set)")
        self._check_state_stream_count(len(tables))
        self._state_streams = as_streams(tables, self.stage_name)

    def get_state_streams(self) -> tuple[DataStream, ...]:
        """The state streams set on this Transformer (by the user, a Graph, or the
        Estimator that fitted it); empty if none."""
        return getattr(self, "_state_streams", None) or ()

    def _check_state_stream_count(self, count: int) -> None:
        if count != self.state_stream_count:
            raise ValueError(f"{self.stage_name}: takes {self.state_stream_count} state streams, got {count}")

    def _with_state_streams(self, streams: tuple[DataStream, ...]) -> Transformer:
        """A shallow copy of this Transformer with the state streams set (the original
        is unchanged, so a Graph can run it more than once)."""
        if self.get_state_streams():
            raise RuntimeError(f"{self.stage_name}: set_state_streams may be called only once "
                               "(its state streams are already set)")
        clone = copy.copy(self)
        clone.set_state_streams(*streams)
        return clone


class Estimator(Stage):
    """A stage that learns a Transformer from tables: ``fit(*tables)``."""

    def fit(self, *tables: Any) -> Transformer:
        """Learns from the input tables (DataStreams, pyarrow Tables, Arrow-capsule
        objects) and returns the fitted Transformer."""
        return self._fit(*as_streams(tables, self.stage_name))

    @abstractmethod
    def _fit(self, *streams: DataStream) -> Transformer:
        """Subclasses implement this: ``fit`` with the inputs made DataStreams."""
