"""Stream generated records to one file per source (Parquet or CSV), chunk after chunk."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from immigrationos.sources.models import FieldType, SourceSpec

OutputFormat = Literal["parquet", "csv"]
ARROW_TYPES = {
    FieldType.STRING: pa.string(),
    FieldType.DATE: pa.date32(),
    FieldType.INTEGER: pa.int64(),
    FieldType.BOOLEAN: pa.bool_(),
    FieldType.DECIMAL: pa.float64(),
}


def arrow_schema(spec: SourceSpec) -> pa.Schema:
    return pa.schema([pa.field(f.name, ARROW_TYPES[f.type]) for f in spec.fields])


class TableSink:
    """One output file, opened on the first batch and appended to afterwards."""

    def __init__(self, path: Path, schema: pa.Schema, fmt: OutputFormat) -> None:
        self.path = path
        self.schema = schema
        self.fmt = fmt
        self.rows = 0
        self._writer: pq.ParquetWriter | pacsv.CSVWriter | None = None

    def write(self, table: pa.Table) -> None:
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if self.fmt == "parquet":
                self._writer = pq.ParquetWriter(self.path, self.schema, compression="zstd")
            else:
                self._writer = pacsv.CSVWriter(self.path, self.schema)
        self._writer.write_table(table.cast(self.schema))
        self.rows += table.num_rows

    def close(self) -> None:
        if self._writer is None:  # a source with no records still gets a file with its header
            self._writer = (
                pq.ParquetWriter(self.path, self.schema)
                if self.fmt == "parquet"
                else pacsv.CSVWriter(self.path, self.schema)
            )
        self._writer.close()


def file_name(source: str, fmt: OutputFormat) -> str:
    return f"{source}.{fmt}"
