"""The one reader of every uploaded spreadsheet: .xlsx, .xls and .csv, read right and safely.

Right: a cell keeps what the sheet holds (a date-time keeps its time of day), and each row
keeps the number the spreadsheet gives it. Safely: a file is a stranger's, so nothing in it
decides how much is read. The sheet's declared dimension is ignored; every part of an .xlsx is
capped before it is inflated; a cell longer than MAX_CELL is refused; reading stops at the row
limit the import gives; and for data rows only the cells of the columns the import uses are
looked at, so the work grows with the rows read, never with how wide or how deep a sheet claims
to be. A .xls is read by calamine once its cells are known to span a modest rectangle (calamine
keeps the whole rectangle in memory).
"""

from __future__ import annotations

import csv
import html
import io
import re
import struct
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from xml.etree import ElementTree

from flask_babel import gettext as _

from app.forms import has_control

MAX_COLUMNS = 64  # columns read from a row; cells further right are left unread
MAX_CELL = 2000  # characters in one cell
MAX_PART = 96 * 1024 * 1024  # uncompressed bytes of one part of an .xlsx
MAX_SMALL_PART = 8 * 1024 * 1024  # the workbook, its relations and its styles
MAX_SHARED = 2_000_000  # shared strings of an .xlsx
MAX_XLS_CELLS = 3_000_000  # the rectangle a .xls spans, which calamine keeps in memory
HEADER_SEARCH = 10  # the header is one of the first rows that are not blank (title rows above)
MAX_BLANK_ROWS = 10_000  # blank rows passed over; past them a file is refused as too long
MAX_SEPARATORS = 1024  # commas on one line of a .csv
ENCODINGS = (("utf-8-sig", "UTF-8"), ("gb18030", "GB18030"))


class SheetError(ValueError):
    """The file as a whole cannot be read, said in words."""


@dataclass
class Sheet:
    """What a file holds: rows as (row number as the spreadsheet counts it, cells), blank rows
    left out; the text encoding found for a .csv; whether rows were left unread past the limit.
    A cell is text, a number, a bool, a datetime (a date-time cell) or a date."""

    limit: int
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)
    encoding: str = ""
    more: bool = False
    blank: int = 0

    def take(self, number: int, cells: list[Any]) -> bool:
        """Keep a row, or pass over a blank one; False once reading must stop (past the row
        limit or MAX_BLANK_ROWS blank rows, `more` then says so)."""
        if not any(cell not in ("", None) for cell in cells):
            self.blank += 1
        elif len(self.rows) < self.limit:
            self.rows.append((number, cells))
            return True
        else:
            self.more = True
            return False
        self.more = self.blank > MAX_BLANK_ROWS
        return not self.more


def read(filename: str, data: bytes, limit: int, wanted=None) -> Sheet:
    """The first sheet of the file: at most `limit` non-blank rows. `wanted(cells)` says, for
    a row of every cell (up to MAX_COLUMNS), which columns later rows need (a list of indexes)
    once it has found the header, else None; an .xlsx reads only those cells of later rows."""
    name = filename.lower()
    if name.endswith(".xlsx"):
        return _read_xlsx(data, limit, wanted)
    if name.endswith(".xls"):
        return _read_xls(data, limit)
    return _read_csv(data, limit)


def _cell(text: str) -> str:
    if len(text) > MAX_CELL:
        raise SheetError(_("A cell holds more than %(n)d characters.", n=MAX_CELL))
    if has_control(text):
        raise SheetError(_("A cell holds invisible control characters: remove them and upload "
                           "the file again."))
    return text


# --- .csv ---------------------------------------------------------------------------------------

def _read_csv(data: bytes, limit: int) -> Sheet:
    for encoding, label in ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding == "utf-8-sig" and data.startswith(b"\xef\xbb\xbf"):
            label = _("UTF-8 with a byte order mark")
        break
    else:
        raise SheetError(_("The file's text encoding is not UTF-8 or GBK."))
    if any(line.count(",") > MAX_SEPARATORS for line in text.split("\n")):
        raise SheetError(_("A line of the file holds more than %(n)d columns.",
                           n=MAX_SEPARATORS + 1))
    sheet = Sheet(limit, encoding=label)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for number, row in enumerate(reader, start=1):
            if not sheet.take(number, [_cell(cell.strip()) for cell in row[:MAX_COLUMNS]]):
                break
    except csv.Error as error:
        raise SheetError(_("A cell holds more than %(n)d characters.", n=MAX_CELL)) from error
    return sheet


# --- .xlsx --------------------------------------------------------------------------------------

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
OFFICE_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
ROW = re.compile(rb"<row\b([^>]*?)(?:/>|>(.*?)</row>)", re.S)
CELL = re.compile(rb"<c\b([^>]*?)(?:/>|>(.*?)</c>)", re.S)
ATTRIBUTE = re.compile(rb'\b([rst])="([^"]*)"')
VALUE = re.compile(rb"<v>([^<]*)</v>")
TEXT = re.compile(rb"<t(?:\s[^>]*)?>([^<]*)</t>")
PHONETIC = re.compile(rb"<rPh\b.*?</rPh>", re.S)
SHARED = re.compile(rb"<si>(.*?)</si>|<si/>", re.S)
REFERENCE = re.compile(r"([A-Z]{1,3})([0-9]+)")
DATE_CODES = set(range(14, 23)) | set(range(27, 37)) | set(range(45, 48)) | set(range(50, 59))
EPOCH_1900, EPOCH_1904 = datetime(1899, 12, 30), datetime(1904, 1, 1)


def _part(book: zipfile.ZipFile, name: str, cap: int) -> bytes | None:
    """One part, inflated only up to `cap` bytes (the sizes a zip declares may lie)."""
    try:
        info = book.getinfo(name)
    except KeyError:
        return None
    if info.file_size > cap:
        raise SheetError(_("The file is too large once unpacked."))
    with book.open(info) as stream:
        data = stream.read(cap + 1)
    if len(data) > cap:
        raise SheetError(_("The file is too large once unpacked."))
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:  # no document type, so no entities
        raise SheetError(_("This is not a readable .xlsx file."))
    return data


def _xml(data: bytes) -> ElementTree.Element:
    # noqa below: _part refused any part with a document type, so no entity can expand
    return ElementTree.fromstring(data)  # noqa: S314


def _column(letters: str) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index - 1


def _letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _text(raw: bytes) -> str:
    return html.unescape(raw.decode("utf-8"))


def _shared_strings(data: bytes | None) -> list[str]:
    if data is None:
        return []
    if data.count(b"<si") > MAX_SHARED:
        raise SheetError(_("The file holds too many different texts."))
    strings = []
    for match in SHARED.finditer(data):
        body = PHONETIC.sub(b"", match.group(1) or b"")
        strings.append(_cell(_text(b"".join(TEXT.findall(body)))))
    return strings


def _date_styles(data: bytes | None) -> set[int]:
    """The style indexes whose number format shows a date or a time."""
    if data is None:
        return set()
    root = _xml(data)
    codes = {int(f.get("numFmtId", "0")): f.get("formatCode", "")
             for f in root.iter(f"{MAIN}numFmt")}
    dated = set()
    formats = root.find(f"{MAIN}cellXfs")
    for index, xf in enumerate(formats if formats is not None else []):
        number = int(xf.get("numFmtId", "0"))
        if number in DATE_CODES or _is_date_code(codes.get(number, "")):
            dated.add(index)
    return dated


def _is_date_code(code: str) -> bool:
    """Whether a custom number format shows a date or time: y, m, d, h or s outside quotes,
    brackets and escapes (elapsed-time [h] aside)."""
    plain = re.sub(r'"[^"]*"|\[[^\]]*\]|\\.|_.|\*.', "", code)
    return bool(re.search(r"[ymdhsYMDHS]", plain)) and "General" not in code


def _first_sheet(book: zipfile.ZipFile) -> tuple[str, bool]:
    """The path of the first sheet, and whether the workbook counts dates from 1904."""
    workbook = _part(book, "xl/workbook.xml", MAX_SMALL_PART)
    if workbook is None:
        raise SheetError(_("This is not a readable .xlsx file."))
    root = _xml(workbook)
    properties = root.find(f"{MAIN}workbookPr")
    from_1904 = properties is not None and properties.get("date1904") in ("1", "true")
    first = root.find(f"{MAIN}sheets/{MAIN}sheet")
    rels = _part(book, "xl/_rels/workbook.xml.rels", MAX_SMALL_PART)
    if first is not None and rels is not None:
        for rel in _xml(rels).iter(f"{RELS}Relationship"):
            if rel.get("Id") == first.get(OFFICE_REL):
                target = rel.get("Target", "").lstrip("/")
                return (target if target.startswith("xl/") else "xl/" + target), from_1904
    return "xl/worksheets/sheet1.xml", from_1904


def _read_xlsx(data: bytes, limit: int, wanted) -> Sheet:
    try:
        book = zipfile.ZipFile(io.BytesIO(data))
        path, from_1904 = _first_sheet(book)
        shared = _shared_strings(_part(book, "xl/sharedStrings.xml", MAX_PART))
        dated = _date_styles(_part(book, "xl/styles.xml", MAX_SMALL_PART))
        xml = _part(book, path, MAX_PART)
    except SheetError:
        raise
    except (zipfile.BadZipFile, ElementTree.ParseError, KeyError, ValueError, OSError,
            EOFError, NotImplementedError, RuntimeError) as error:
        raise SheetError(_("This is not a readable .xlsx file.")) from error
    if xml is None:
        raise SheetError(_("This is not a readable .xlsx file."))
    epoch = EPOCH_1904 if from_1904 else EPOCH_1900

    def value(attributes: dict[bytes, bytes], body: bytes | None) -> Any:
        kind = attributes.get(b"t", b"n")
        if kind == b"inlineStr":
            return _cell(_text(b"".join(TEXT.findall(PHONETIC.sub(b"", body or b"")))).strip())
        found = VALUE.search(body or b"")
        if found is None:
            return ""
        raw = found.group(1)
        if kind == b"s":
            index = int(raw)
            return shared[index].strip() if 0 <= index < len(shared) else ""
        if kind in (b"str", b"e", b"d"):
            return _cell(_text(raw)).strip()
        if kind == b"b":
            return raw == b"1"
        number = float(raw)
        if int(attributes.get(b"s", b"0") or 0) in dated and 0 <= number < 2_958_466:
            # 2_958_466: the day after 9999-12-31. Excel keeps milliseconds; a float of days
            # does not hold them exactly (09:30:15 comes back as 09:30:14.999...).
            moment = epoch + timedelta(milliseconds=round(number * 86_400_000))
            return moment.time() if number < 1 else moment  # a time of day alone
        return int(number) if number.is_integer() else number

    sheet = Sheet(limit)
    columns = None  # the columns data rows need, once the header is known
    number = 0
    try:
        for row in ROW.finditer(xml):
            body = row.group(2) or b""
            if b"<v>" not in body and b"<t" not in body:  # no value in it: a blank row
                number += 1
                if not sheet.take(number, []):
                    break
                continue
            attributes = dict(ATTRIBUTE.findall(row.group(1)))
            number = int(attributes.get(b"r", number + 1))
            searching, kept = columns is None, len(sheet.rows)
            cells = (_all_cells(body, value) if searching
                     else _some_cells(body, number, columns, value))  # blank where it reads
            if not sheet.take(number, cells):
                break
            if searching and wanted is not None and len(sheet.rows) > kept:
                columns = wanted(cells)
                if columns is None and len(sheet.rows) >= HEADER_SEARCH:
                    break  # no header where people put one: the import says what is missing
    except SheetError:
        raise
    except (ValueError, IndexError, OverflowError) as error:
        raise SheetError(_("This is not a readable .xlsx file.")) from error
    return sheet


def _all_cells(body: bytes, value) -> list[Any]:
    """Every cell of a row up to MAX_COLUMNS, by its reference (or its place, without one)."""
    cells: list[Any] = []
    for place, match in enumerate(CELL.finditer(body)):
        attributes = dict(ATTRIBUTE.findall(match.group(1)))
        reference = REFERENCE.fullmatch(attributes.get(b"r", b"").decode("ascii", "replace"))
        index = _column(reference.group(1)) if reference else place
        if index >= MAX_COLUMNS or place >= MAX_COLUMNS:
            break
        cells.extend([""] * (index + 1 - len(cells)))
        cells[index] = value(attributes, match.group(2))
    return cells


def _some_cells(body: bytes, number: int, columns: list[int], value) -> list[Any]:
    """Only the cells of `columns`, each found by its reference (A5, C5 ...): the work is the
    same however many other cells the row holds. A row written without references is read by
    place, up to MAX_COLUMNS."""
    first = CELL.search(body)
    if first is not None and b"r" not in dict(ATTRIBUTE.findall(first.group(1))):
        return _all_cells(body, value)
    cells: list[Any] = [""] * (max(columns, default=-1) + 1)
    for index in columns:
        reference = b'%s%d' % (_letters(index).encode(), number)
        found = body.find(b' r="%s"' % reference)
        if found < 0:
            continue
        match = CELL.match(body, body.rfind(b"<c", 0, found))
        attributes = dict(ATTRIBUTE.findall(match.group(1))) if match else {}
        if attributes.get(b"r") != reference:  # the text was inside another cell's value
            return _all_cells(body, value)
        cells[index] = value(attributes, match.group(2))
    return cells


# --- .xls ---------------------------------------------------------------------------------------

VALUE_RECORDS = {0x0203, 0x027E, 0x00FD, 0x0204, 0x0205, 0x0006, 0x00D6}  # one cell each
MULRK = 0x00BD  # several numbers in a row


def _xls_extent(stream: bytes) -> int:
    """How many cells the first worksheet's rectangle spans, from its value records."""
    rows = columns = 0
    offset, substream = 0, 0
    while offset + 4 <= len(stream):
        kind, length = struct.unpack_from("<HH", stream, offset)
        body = offset + 4
        if kind == 0x0809:  # BOF: the globals first, then each sheet
            substream += 1
            if substream > 2:
                break
        elif substream == 2 and length >= 4 and (kind in VALUE_RECORDS or kind == MULRK):
            row, column = struct.unpack_from("<HH", stream, body)
            if kind == MULRK and length >= 6:
                column = struct.unpack_from("<H", stream, body + length - 2)[0]
            rows, columns = max(rows, row + 1), max(columns, column + 1)
        offset = body + length
    return rows * columns


def _read_xls(data: bytes, limit: int) -> Sheet:
    import olefile  # only for .xls uploads
    from python_calamine import CalamineWorkbook

    try:
        with olefile.OleFileIO(io.BytesIO(data)) as container:
            name = "Workbook" if container.exists("Workbook") else "Book"
            stream = container.openstream(name).read(MAX_PART + 1)
        if len(stream) > MAX_PART:
            raise SheetError(_("The file is too large once unpacked."))
        if _xls_extent(stream) > MAX_XLS_CELLS:
            raise SheetError(_("The sheet spans too many rows and columns: keep only the rows "
                               "and columns of the import."))
        sheet_data = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
        sheet = Sheet(limit)
        first = sheet_data.start[0] if sheet_data.start else 0
        for number, row in enumerate(sheet_data.iter_rows(), start=first + 1):
            cells = [_cell(c.strip()) if isinstance(c, str) else c for c in row[:MAX_COLUMNS]]
            if not sheet.take(number, [_whole(c) for c in cells]):
                break
    except SheetError:
        raise
    except Exception as error:  # olefile and calamine raise many kinds for a damaged file
        raise SheetError(_("This is not a readable .xls file.")) from error
    return sheet


def _whole(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value
