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

import json
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar

from flask import Response, abort, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.file import FileAllowed, FileField, FileRequired
from sqlalchemy import ForeignKey, String, Text, delete
from sqlalchemy.orm import Mapped, mapped_column

from app.confirm import ask
from app.database import lock_for_change
from app.db_types import UTCDateTime, utc_default
from app.extensions import db
from app.forms import ConfirmForm
from app.htmx import render, see_other
from app.i18n import lazy_gettext as _l
from app.sheets import HEADER_SEARCH, SheetError
from app.sheets import read as read_sheet
from app.timeutil import utcnow
from app.workflow import Refusal

T = TypeVar("T")
LINE = "#"  # the key under which a parsed row keeps the number the spreadsheet gives it
BATCH_LIFETIME = timedelta(days=1)  # an upload nobody imports is removed after this
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日")


ImportFileError = SheetError  # the file as a whole cannot be read


class ImportBatch(db.Model):
    """An uploaded file held between preview and confirmation."""

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    filename: Mapped[str] = mapped_column(String(200))
    encoding: Mapped[str] = mapped_column(String(40), default="", server_default="")
    payload: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_default)
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


# --- the reader -------------------------------------------------------------------------------

FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


def cell_text(value: Any) -> str:
    """A cell as text: a date-time cell as its date and time of day (the date alone at
    midnight), a date cell as its ISO date, a whole number without ".0", full-width digits as
    the digits they are."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.time() == time():
            return value.date().isoformat()
        return value.replace(microsecond=0).isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip().translate(FULL_WIDTH_DIGITS)


def header_key(text: str) -> str:
    """A header as people type it, made comparable: full-width letters, digits, brackets and
    spaces read as half-width (通话时长（秒） is 通话时长(秒)), no spaces, any case."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text))).lower()


def parse_date(value: str) -> date | None:
    """A date as people type it in a sheet: 2026-03-01, 2026/3/1, 2026.03.01, 2026年3月1日
    (full-width digits too), or a date-time cell's date."""
    text = value.strip().translate(FULL_WIDTH_DIGITS)
    text = text.split(" ")[0] if re.fullmatch(r"\S+ \d{1,2}:\d{2}(:\d{2})?", text) else text
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()  # noqa: DTZ007 — a date only
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
        """Whether a header cell names this column, typed as people type it (header_key)."""
        wanted = header_key(header)
        return wanted == self.key or wanted in (header_key(name) for name in self.names)

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

    def positions(self, header: Sequence[Any]) -> dict[str, int]:
        """Where each column stands in a row (the first cell naming it)."""
        found: dict[str, int] = {}
        for index, title in enumerate(header):
            key = self.key_of(cell_text(title))
            if key is not None:
                found.setdefault(key, index)
        return found

    def missing(self, found: dict[str, int]) -> list[str]:
        """The required columns a row does not name."""
        return [c.key for c in self.columns if c.required and c.key not in found]

    def header(self, cells: Sequence[Any]) -> list[int] | None:
        """The columns later rows need, when this row names every required column."""
        found = self.positions(cells)
        return sorted(set(found.values())) if not self.missing(found) else None

    def match(self, rows: Sequence[Sequence[Any]]) -> tuple[int, dict[str, int]]:
        """The header: the first row that names every required column, and where each column
        stands in it; an ImportFileError naming the columns missing from the row closest to
        one."""
        best: dict[str, int] = {}
        for place, cells in enumerate(rows[:HEADER_SEARCH]):
            found = self.positions(cells)
            if not self.missing(found):
                return place, found
            if len(found) > len(best):
                best = found
        missing = ", ".join(self.column(key).title for key in self.missing(best))
        if self.template:
            raise ImportFileError(_("Columns missing from the header row: %(columns)s. "
                                    "Download the template to see them.", columns=missing))
        raise ImportFileError(_("Columns missing from the header row: %(columns)s.",
                                columns=missing))

    def parse(self, filename: str, data: bytes) -> Parsed:
        """The file's data rows as named values, each with the number the spreadsheet gives
        its row (key LINE), blank rows left out, and the text encoding of a .csv;
        ImportFileError for a file that cannot be used."""
        sheet = read_sheet(filename, data, self.max_rows + HEADER_SEARCH + 1, self.header)
        if not sheet.rows:
            raise ImportFileError(_("The file is empty."))
        place, positions = self.match([cells for _line, cells in sheet.rows])
        body = sheet.rows[place + 1:]
        if not body and self.no_rows is not None:
            raise ImportFileError(self.no_rows())
        if len(body) > self.max_rows or sheet.more:
            raise ImportFileError(self.too_many(self.max_rows))
        rows = [{LINE: line, **{key: cell_text(cells[i]) if i < len(cells) else ""
                                for key, i in positions.items()}} for line, cells in body]
        return Parsed(rows, sheet.encoding)

    def store(self, filename: str, rows: list[dict], owner, encoding: str = "") -> ImportBatch:
        """Keep the parsed rows between preview and confirmation, as the owner's batch; batches
        nobody applied within BATCH_LIFETIME are removed on the way."""
        db.session.execute(delete(ImportBatch).where(
            ImportBatch.applied_at.is_(None), ImportBatch.created_at < utcnow() - BATCH_LIFETIME))
        batch = ImportBatch(kind=self.kind, filename=filename[:200], created_by_id=owner.id,
                            encoding=encoding[:40], payload=json.dumps(rows, ensure_ascii=False),
                            created_at=utcnow())
        db.session.add(batch)
        return batch


@dataclass
class Parsed:
    """A file's rows as named values (each with its row number under LINE), and the text
    encoding found in a .csv."""

    rows: list[dict]
    encoding: str = ""


# --- rows and batches -------------------------------------------------------------------------

@dataclass
class Row:
    """One data row as an area's check leaves it: its number in the spreadsheet (as Excel
    numbers rows, title and blank rows counted), its values as read, and its problems in
    words. Areas add what the row becomes."""

    line: int
    values: dict[str, str]
    problems: list[str] = field(default_factory=list)


def bad_rows(rows: Sequence[Row]) -> list[Row]:
    """The rows with problems."""
    return [row for row in rows if row.problems]


def rows_of(batch: ImportBatch) -> list[dict[str, str]]:
    """The rows a batch holds."""
    return json.loads(batch.payload)


def numbered(rows: list[dict]) -> list[tuple[int, dict]]:
    """Each row with the number its spreadsheet gives it (LINE); rows kept without one count
    from line 2, under a header on line 1."""
    return [(int(row.get(LINE, place + 2)), row) for place, row in enumerate(rows)]


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


# --- the upload field and the views' steps

def spreadsheet_field(label) -> FileField:
    """The file field of every import: required, and .xlsx, .xls or .csv."""
    return FileField(label, validators=[
        FileRequired(message=_l("Choose a file.")),
        FileAllowed(["xlsx", "xls", "csv"], message=_l("Only .xlsx, .xls and .csv files."))],
        render_kw={"accept": ".xlsx,.xls,.csv"})


# --- the views' steps -------------------------------------------------------------------------

def upload_file(spec: Spec, form, template: str, preview: str, **context) -> Response:
    """The upload step: read the file, or show why not beside the field (422); keep its rows
    as the signed-in person's batch and go to the `preview` endpoint."""
    if form.validate_on_submit():
        upload = form.file.data
        try:
            parsed = spec.parse(upload.filename or "", upload.read())
        except ImportFileError as error:
            form.file.errors = [*form.file.errors, str(error)]
        else:
            batch = spec.store(upload.filename or "", parsed.rows, current_user,
                               parsed.encoding)
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
