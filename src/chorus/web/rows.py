"""Model instances read by SQL written once, for the few queries every request makes.

Building and compiling a query with the ORM costs more than running it: about 0.5 ms of
Python for the session's row, and more for the signed-in member with their organization and
roles, on every request. ``Columns`` names a model's columns in SQL written by hand and
turns a row back into an instance exactly as the ORM would: the same database converters
(SQLite's text dates and hex UUIDs, for example), then ``Model.from_db``. The queries that
use it are tested against the ORM's answer on both databases.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Generic, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.backends.base.base import BaseDatabaseWrapper

ModelT = TypeVar("ModelT", bound=models.Model)
_Converter = Callable[[Any, Any, BaseDatabaseWrapper], Any]


def database() -> BaseDatabaseWrapper:
    """The thread's own connection, not the proxy. Always the default database: there are no
    database routers (a read replica would need these reads routed too)."""
    return connections[DEFAULT_DB_ALIAS]


class Columns(Generic[ModelT]):
    """A model's concrete columns under a table alias: their SQL, and an instance from them."""

    def __init__(self, model: type[ModelT], alias: str) -> None:
        self.model = model
        self.alias = alias
        self.fields = list(model._meta.concrete_fields)
        self.attnames = [field.attname for field in self.fields]
        # Quoted as standard SQL, which both SQLite and PostgreSQL read.
        self.sql = ", ".join(f'"{alias}"."{field.column}"' for field in self.fields)
        self.table = f'"{model._meta.db_table}" "{alias}"'  # for FROM and JOIN
        self.pk_index = self.fields.index(model._meta.pk)

    def __len__(self) -> int:
        return len(self.fields)

    def _converters_for(self, connection: BaseDatabaseWrapper) -> list[tuple[list[_Converter], Any]]:
        # Kept on the connection (each thread has its own), so they go with it: SQLite's
        # converters refer back to their connection, which a cache keyed by connection would
        # keep alive forever.
        cache: dict[int, list[tuple[list[_Converter], Any]]] = connection.__dict__.setdefault("_chorus_columns", {})
        converters = cache.get(id(self))  # a Columns lives as long as its module
        if converters is None:
            converters = []
            for field in self.fields:
                column = field.get_col(self.alias)
                converters.append(
                    (connection.ops.get_db_converters(column) + column.get_db_converters(connection), column)
                )
            cache[id(self)] = converters
        return converters

    def convert(self, connection: BaseDatabaseWrapper, values: Sequence[Any]) -> list[Any]:
        converted = list(values)
        for index, (functions, column) in enumerate(self._converters_for(connection)):
            for function in functions:
                converted[index] = function(converted[index], column, connection)
        return converted

    def build(self, connection: BaseDatabaseWrapper, values: Sequence[Any]) -> ModelT:
        """The instance the ORM would have read from these values (in ``sql``'s order)."""
        instance: ModelT = self.model.from_db(connection.alias, self.attnames, self.convert(connection, values))
        return instance

    def param(self, name: str, value: Any) -> Any:
        """``value`` as a parameter for this model's field ``name``, prepared as the ORM would
        (a UUID as SQLite's hex text, a date as its text)."""
        return self.model._meta.get_field(name).get_db_prep_value(value, database())  # type: ignore[union-attr]

    def select(self, sql: str, **values: Any) -> list[ModelT]:
        """The instances ``sql`` reads (it selects ``self.sql``, and nothing else), with
        named parameters ``%(field)s`` for this model's fields, each prepared by ``param``."""
        rows = read(sql, {name: self.param(name, value) for name, value in values.items()}, self)
        return [row[0] for row in rows]


def read(sql: str, params: Mapping[str, Any], *columns: Columns[Any]) -> list[tuple[Any, ...]]:
    """Each row of ``sql``, which selects each of ``columns``' ``sql`` in turn and then
    anything else: one instance per ``columns`` (None where a LEFT JOIN found no row), then
    the other values as the database gave them. ``params`` are ready for the database
    (``Columns.param``)."""
    connection = database()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    read = []
    for row in rows:
        values: list[Any] = []
        start = 0
        for part in columns:
            values.append(
                None if row[start + part.pk_index] is None else part.build(connection, row[start : start + len(part)])
            )
            start += len(part)
        read.append((*values, *row[start:]))
    return read


def prefetched(
    instance: models.Model,
    relation: str,
    related: Sequence[models.Model],
    queryset: models.QuerySet[Any] | None = None,
) -> None:
    """Give ``instance`` the rows of its reverse foreign key ``relation`` (read by SQL written
    once) as ``prefetch_related_objects`` with ``Prefetch(relation, queryset)`` would:
    ``instance.<relation>.all()`` answers them without a query, each row's foreign key back to
    ``instance`` is already loaded, and what is chained on the cached queryset (``filter``,
    ``first``) reads only this instance's rows, in ``queryset``'s order and with its
    ``select_related``, from the database."""
    manager = getattr(instance, relation)
    field = manager.field
    for row in related:
        field.set_cached_value(row, instance)
    cached = manager.get_queryset() if queryset is None else manager._apply_rel_filters(queryset)
    cached._result_cache = list(related)
    cached._prefetch_done = True
    instance.__dict__.setdefault("_prefetched_objects_cache", {})[field.remote_field.cache_name] = cached
