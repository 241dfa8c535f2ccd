"""CSV, TSV and Parquet: one column of each row, as a mixin of ShardReader.

``--column`` (else ``text``, else ``messages``) picks the column; a ``messages`` column holds chat JSON.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any, BinaryIO

from estimator.errors import DatasetError
from estimator.tokens import json_lines, remote


class TableReading:
    def _csv(self, f: BinaryIO) -> Iterator[tuple[int, Any]]:
        import sys

        csv.field_size_limit(min(json_lines.MAX_LINE_BYTES, sys.maxsize))
        text = io.TextIOWrapper(f, encoding="utf-8-sig", newline="")
        reader = csv.reader(text, delimiter="\t" if self.container == "tsv" else ",")
        try:
            header = next(reader)
            index = self._column_index(header)
            for row in reader:
                if not row:
                    continue
                if index >= len(row):
                    self.report("invalid_row", reader.line_num, f"row has {len(row)} fields, no '{header[index]}'")
                    continue
                value = row[index]
                if header[index] == "messages":  # a chat column holds JSON text: count it as messages
                    try:
                        value = json.loads(value)
                    except ValueError as exc:
                        self.report("invalid_json", reader.line_num, f"'messages' is not valid JSON ({exc})")
                        continue
                yield reader.line_num, value
        except UnicodeDecodeError as exc:
            self.report("encoding", reader.line_num + 1, f"not valid UTF-8 ({exc.reason}); rest of file skipped")
        except csv.Error as exc:
            self.report("invalid_row", reader.line_num, f"{exc}; rest of file skipped")
        except StopIteration:
            self.report("empty_file", None, "no header row")
        self.lines = reader.line_num

    def _column_index(self, names: list[str]) -> int:
        wanted = self.column or ("text" if "text" in names else "messages" if "messages" in names else None)
        if wanted is None or wanted not in names:
            what = f"no column '{self.column}'" if self.column else "no 'text' column; choose one with --column"
            raise DatasetError(f"{self.shard.path}: {what} (columns: {', '.join(names)})")
        return names.index(wanted)

    def _parquet(self) -> Iterator[tuple[int, Any]]:
        try:
            import pyarrow.parquet as pq
        except ImportError:
            raise DatasetError(f"{self.shard.path}: reading Parquet needs the 'pyarrow' package") from None
        with remote.open_raw(self.shard.path) as raw:
            try:
                pf = pq.ParquetFile(raw)
            except Exception as exc:  # pyarrow raises ArrowInvalid / OSError with long text
                self.report("binary", None, f"not a readable Parquet file ({str(exc).splitlines()[0]})")
                return
            names = pf.schema_arrow.names
            name = names[self._column_index(names)]
            end = self.shard.end if self.shard.end is not None else pf.metadata.num_row_groups
            groups = list(range(self.shard.start, end))
            if not groups:
                return
            self._raw = raw
            row = 0
            for batch in pf.iter_batches(batch_size=4096, columns=[name], row_groups=groups):
                for value in batch.column(0).to_pylist():
                    row += 1
                    yield row, value
            self.lines = row
