"""One renderer for every command: rows -> table | json | csv | markdown text."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from estimator.choices import FORMATS


def _jsonable(value: Any) -> Any:
    if hasattr(value, "item") and callable(value.item):  # numpy scalar
        value = value.item()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def to_json(data: Any) -> str:
    """Raw numbers, no units in values; NaN/inf become null."""
    return json.dumps(_jsonable(data), indent=2, ensure_ascii=False)


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        if value == 0 or (1e-3 <= abs(value) < 1e6):
            return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"
        return f"{value:.3g}"
    if isinstance(value, (list, tuple)):
        return "; ".join(_cell(v) for v in value)
    return str(value)


def render_rows(rows: Sequence[Mapping[str, Any]], fmt: str = "table", columns: Sequence[str] | None = None) -> str:
    """Render a list of dicts (one per row) in the chosen format."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format '{fmt}'; choose one of {', '.join(FORMATS)}")
    rows = list(rows)
    if columns is None:
        columns = []
        for row in rows:
            columns.extend(k for k in row if k not in columns)
    if fmt == "json":
        return to_json([{c: row.get(c) for c in columns} for row in rows])
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_csv_cell(row.get(c)) for c in columns])
        return buf.getvalue().rstrip("\n")
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    if fmt == "markdown":
        def esc(s: str) -> str:
            return s.replace("|", "\\|").replace("\n", " ")
        lines = ["| " + " | ".join(esc(c) for c in columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
        lines += ["| " + " | ".join(esc(c) for c in r) + " |" for r in cells]
        return "\n".join(lines)
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    def line(values: Sequence[str]) -> str:
        return "  ".join(v.ljust(w) for v, w in zip(values, widths)).rstrip()
    out = [line(columns), line(["-" * w for w in widths])] + [line(r) for r in cells]
    return "\n".join(out)


def _csv_cell(value: Any) -> Any:
    """A CSV cell: empty for missing; a list (warnings) as its items joined by '; ', not a Python repr."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return "; ".join(str(_jsonable(v)) for v in value)
    return _jsonable(value)


def render_record(record: Mapping[str, Any], fmt: str = "table") -> str:
    """Render one object: json as an object, table/markdown as quantity/value rows, csv as one row."""
    if fmt == "json":
        return to_json(record)
    if fmt == "csv":
        return render_rows([record], "csv")
    rows = [{"quantity": k, "value": v} for k, v in record.items()]
    return render_rows(rows, fmt, columns=["quantity", "value"])


def frame_csv(frame) -> str:
    """A DataFrame as CSV through pandas (no per-cell Python): raw numbers, empty cells for missing values."""
    return frame.to_csv(index=False, lineterminator="\n").rstrip("\n")


def frame_records_json(frame) -> str:
    """A DataFrame as a JSON array of records through pandas (NaN and inf become null)."""
    import numpy as np

    clean = frame.replace([np.inf, -np.inf], np.nan)
    return clean.to_json(orient="records", force_ascii=False, double_precision=15)


def to_json_with(data: dict[str, Any], raw: dict[str, str]) -> str:
    """to_json(data), with `raw` keys holding JSON text already rendered (e.g. a large table from pandas)."""
    head = to_json(data)
    if not raw:
        return head
    body = ",\n".join(f"  {json.dumps(k)}: {v}" for k, v in raw.items())
    return head[:-2] + ",\n" + body + "\n}" if head.strip() != "{}" else "{\n" + body + "\n}"


def write_frame(frame, path: str, sheet: str = "estimates") -> str:
    """Write a table to `path`, its format from the extension: .csv, .json (records) or .xlsx (needs the
    'excel' extra: pip install 'estimator[excel]'). Written atomically."""
    import io
    from pathlib import Path

    from estimator.atomic import write_bytes_atomic, write_text_atomic
    from estimator.errors import ConfigurationError

    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        return str(write_text_atomic(path, frame_csv(frame) + "\n"))
    if suffix == ".json":
        return str(write_text_atomic(path, frame_records_json(frame) + "\n"))
    if suffix == ".xlsx":
        try:
            import openpyxl  # noqa: F401
        except ImportError:
            raise ConfigurationError(f"{path}: Excel output needs openpyxl: pip install 'estimator[excel]'") from None
        buf = io.BytesIO()
        frame.to_excel(buf, index=False, sheet_name=sheet)
        return str(write_bytes_atomic(path, buf.getvalue()))
    raise ConfigurationError(f"{path}: write tables as .csv, .json or .xlsx")


def write_frame_csv(frame, stream) -> None:
    """Stream a (possibly million-row) table as CSV: Arrow's C++ writer when pyarrow is installed (the 'formats'
    extra; ~10× faster), else pandas in chunks. Missing values are empty cells either way."""
    try:
        import pyarrow as pa
        import pyarrow.csv as pacsv
    except ImportError:
        frame.to_csv(stream, index=False, lineterminator="\n", chunksize=50_000)
        return
    table = pa.Table.from_pandas(frame, preserve_index=False)
    sink = stream.buffer if hasattr(stream, "buffer") else None
    if sink is None:  # a text-only stream (tests): render to bytes, then decode
        buf = pa.BufferOutputStream()
        pacsv.write_csv(table, buf)
        stream.write(buf.getvalue().to_pybytes().decode("utf-8"))
        return
    stream.flush()
    pacsv.write_csv(table, sink)
    sink.flush()
