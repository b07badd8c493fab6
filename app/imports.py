"""Imports shared by every area: one spreadsheet reader, one column spec with its header
matcher, the uploaded batch held between preview and confirmation, and the steps of the
upload → preview → apply views.

An area supplies only what is its own: a `Spec` (its columns and limits), its row check (rows of
text in, `Row`s with their problems out), its apply (what the checked rows become) and its
template example. The steps here do the rest, the same way for every import:

- upload: the file is read and its header matched; a file that cannot be used is refused beside
  the field; otherwise its rows are kept as an `ImportBatch` of the uploader, and the browser
  goes to the preview;
- preview: every row checked, each with its problems; nothing is saved;
- apply: every row saved in one transaction, or none; a batch applied once answers 409.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

from flask import Response, abort, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.confirm import ask
from app.database import lock_for_change
from app.db_types import UTCDateTime, utc_default
from app.extensions import db
from app.forms import ConfirmForm
from app.htmx import render, see_other
from app.i18n import lazy_gettext as _l
from app.timeutil import utcnow
from app.workflow import Refusal

T = TypeVar("T")
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日")
ENCODINGS = ("utf-8-sig", "gb18030")  # Excel in China saves CSV as GBK, which GB18030 contains


class ImportFileError(ValueError):
    """The file as a whole cannot be read."""


class ImportBatch(db.Model):
    """An uploaded file held between preview and confirmation."""

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    filename: Mapped[str] = mapped_column(String(200))
    payload: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_default)
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


# --- the reader -------------------------------------------------------------------------------

def cell_text(value: Any) -> str:
    """A cell as text: a date or date-time cell as its ISO date, a whole number without ".0"."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_rows(filename: str, data: bytes) -> list[list[str]]:
    """The cells of the first sheet of an .xlsx, or of a .csv (UTF-8 with or without a byte
    order mark, else GB18030/GBK), as text; ImportFileError when the file cannot be read."""
    if filename.lower().endswith(".xlsx"):
        from openpyxl import load_workbook  # a heavy import, needed only for .xlsx uploads

        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as error:  # openpyxl raises many kinds for a damaged file
            raise ImportFileError(_("This is not a readable .xlsx file.")) from error
        rows = [[cell_text(v) for v in row] for row in book.worksheets[0].iter_rows(
            values_only=True)]
        book.close()
        return rows
    for encoding in ENCODINGS:
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ImportFileError(_("The file's text encoding is not UTF-8 or GBK."))
    return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text))]


def parse_date(value: str) -> date | None:
    """A date as people type it in a sheet: 2026-03-01, 2026/03/01, 2026.03.01, 2026年3月1日."""
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(value.strip(), fmt).date()  # noqa: DTZ007 — a date only
        except ValueError:
            continue
    return None


# --- the columns ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Column:
    """One column of an import: its key, the headers people type for it (in Chinese and in
    English, besides the key itself), whether a file must have it, and how a missing one is
    named (the key when no label is given)."""

    key: str
    names: tuple[str, ...] = ()
    required: bool = False
    label: Any = None  # a text, or a lazy translation

    def matches(self, header: str) -> bool:
        """Whether a header cell names this column (case and spaces around it do not count)."""
        wanted = header.strip().lower()
        return wanted == self.key or wanted in (name.lower() for name in self.names)

    @property
    def title(self) -> str:
        """How the column is named in a message."""
        return str(self.label) if self.label is not None else self.key


@dataclass(frozen=True)
class Spec:
    """An import's file: the kind of batch it makes, its columns, and its limits."""

    kind: str
    columns: tuple[Column, ...]
    max_rows: int
    too_many: Callable[[int], str]  # the refusal of a file over max_rows
    no_rows: Callable[[], str] | None = None  # the refusal of a header alone; None accepts it
    template: bool = True  # a template can be downloaded, and the refusals point to it

    @property
    def keys(self) -> tuple[str, ...]:
        """The columns' keys, in order."""
        return tuple(column.key for column in self.columns)

    def column(self, key: str) -> Column:
        """The column of this key."""
        return next(c for c in self.columns if c.key == key)

    def key_of(self, header: str) -> str | None:
        """The column a header cell names, or None."""
        return next((c.key for c in self.columns if c.matches(header)), None)

    def match(self, header: Sequence[str]) -> dict[str, int]:
        """Where each column stands in the header row (the first cell naming it); an
        ImportFileError naming every required column that is missing."""
        positions: dict[str, int] = {}
        for index, title in enumerate(header):
            key = self.key_of(title)
            if key is not None:
                positions.setdefault(key, index)
        missing = ", ".join(c.title for c in self.columns
                            if c.required and c.key not in positions)
        if missing and self.template:
            raise ImportFileError(_("Columns missing from the first row: %(columns)s. Download "
                                    "the template to see them.", columns=missing))
        if missing:
            raise ImportFileError(_("Columns missing from the first row: %(columns)s.",
                                    columns=missing))
        return positions

    def parse(self, filename: str, data: bytes) -> list[dict[str, str]]:
        """The file's data rows as named values, blank rows left out; ImportFileError for a
        file that cannot be used."""
        rows = [row for row in read_rows(filename, data) if any(row)]
        if not rows:
            raise ImportFileError(_("The file is empty."))
        positions = self.match(rows[0])
        body = rows[1:]
        if not body and self.no_rows is not None:
            raise ImportFileError(self.no_rows())
        if len(body) > self.max_rows:
            raise ImportFileError(self.too_many(self.max_rows))
        return [{key: (row[i] if i < len(row) else "") for key, i in positions.items()}
                for row in body]

    def store(self, filename: str, rows: list[dict[str, str]], owner) -> ImportBatch:
        """Keep the parsed rows between preview and confirmation, as the owner's batch."""
        batch = ImportBatch(kind=self.kind, filename=filename[:200], created_by_id=owner.id,
                            payload=json.dumps(rows, ensure_ascii=False))
        db.session.add(batch)
        return batch


# --- rows and batches -------------------------------------------------------------------------

@dataclass
class Row:
    """One data row as an area's check leaves it: its line in the file (the header is line
    1), its values as read, and its problems in words. Areas add what the row becomes."""

    line: int
    values: dict[str, str]
    problems: list[str] = field(default_factory=list)


def bad_rows(rows: Sequence[Row]) -> list[Row]:
    """The rows with problems."""
    return [row for row in rows if row.problems]


def rows_of(batch: ImportBatch) -> list[dict[str, str]]:
    """The rows a batch holds."""
    return json.loads(batch.payload)


def apply_rows(batch: ImportBatch, rows: Sequence[Row], make: Callable[[Sequence[Row]], T],
               now: datetime) -> T:
    """Make what every checked row becomes, in this transaction, and mark the batch applied;
    Refusal (and nothing made) when the batch was applied already or any row has a problem."""
    if batch.applied_at is not None:
        raise Refusal("file", _("This file has already been imported."))
    if bad_rows(rows):
        raise Refusal("file", _("Some rows have problems; nothing was imported."))
    made = make(rows)
    batch.applied_at = now
    return made


# --- the views' steps -------------------------------------------------------------------------

def upload_file(spec: Spec, form, template: str, preview: str, **context) -> Response:
    """The upload step: read the file, or show why not beside the field (422); keep its rows
    as the signed-in person's batch and go to the `preview` endpoint."""
    if form.validate_on_submit():
        upload = form.file.data
        try:
            rows = spec.parse(upload.filename or "", upload.read())
        except ImportFileError as error:
            form.file.errors = [*form.file.errors, str(error)]
        else:
            batch = spec.store(upload.filename or "", rows, current_user)
            db.session.commit()
            return see_other(url_for(preview, batch_id=batch.id))
    return render(template, block="form", form=form, status=422 if form.errors else 200,
                  **context)


def load_batch(spec: Spec, batch_id: int) -> ImportBatch:
    """A batch of this kind uploaded by the signed-in person, or 404; locked for a change."""
    batch = db.session.get(ImportBatch, batch_id, with_for_update=lock_for_change(ImportBatch))
    if batch is None or batch.created_by_id != current_user.id or batch.kind != spec.kind:
        abort(404)
    return batch


def confirm(spec: Spec, batch_id: int, apply: Callable[[ImportBatch, Any, datetime], T]
            ) -> tuple[ImportBatch, T | Refusal]:
    """The apply step: load the batch (404), check the form (400) and that it is not applied
    yet (409); then `apply(batch, actor, now)` and commit, or roll back and hand back the
    refusal, with nothing saved."""
    batch = load_batch(spec, batch_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if batch.applied_at is not None:
        abort(409)
    ask(_l("Import the checked rows now? Once imported they stay."))
    try:
        made = apply(batch, current_user, utcnow())
    except Refusal as refusal:
        db.session.rollback()
        return batch, refusal
    db.session.commit()
    return batch, made


def template_csv(filename: str, lines: list[list[str]]) -> Response:
    """A template download: the header and example rows as CSV, with a byte order mark so that
    Excel reads the Chinese headers as UTF-8."""
    body = "\ufeff" + "".join(",".join(line) + "\r\n" for line in lines)
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f"attachment; filename={filename}"})
