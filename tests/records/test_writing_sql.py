"""The statements a record's save runs as written SQL name the models' own tables and columns."""

from __future__ import annotations

import re

from chorus.records.models import Record, RecordDraft, RecordVersion
from chorus.records.services import writing


def _names(sql: str) -> set[str]:
    return set(re.findall(r'"([a-z_]+)"', sql))


def test_the_written_statements_name_the_models_tables_and_columns() -> None:
    version_columns = {field.column for field in RecordVersion._meta.concrete_fields}
    for sql in (writing._LAST_VERSION, writing._VERSION_INSERT):
        assert _names(sql) == {RecordVersion._meta.db_table} | (_names(sql) & version_columns)
        assert _names(sql) - {RecordVersion._meta.db_table} <= version_columns
    assert _names(writing._DRAFT_DELETE) == {RecordDraft._meta.db_table, RecordDraft._meta.get_field("record").column}
    assert _names(writing._DRAFT_UPDATE) == {RecordDraft._meta.db_table} | {
        field.column
        for field in RecordDraft._meta.concrete_fields
        if field.name in ("saved_at", "ciphertext", "record")
    }
    assert _names(writing._RECORD_LOCK) == {Record._meta.db_table, Record._meta.pk.column}
