"""Hostile files get a prompt, clear answer (issue 13, point 5): "There is one reader for every
import: it ignores the declared sheet dimension, streams rows with a column cap, checks the
header first and stops at the row limit, caps the uncompressed size of every part and the
length of every cell before parsing." Tested against fixed limits (bytes inflated, rows read,
cells kept); how long each takes is measured by bench/hostile.py, not here."""

import io
import zipfile

import pytest
import xlwt
from sqlalchemy import select

from app import sheets
from app.extensions import db
from app.imports import ImportBatch, ImportFileError, Spec
from app.people import importer
from tests.conftest import login, post_form

MAIN = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def xlsx(sheet_body: str, shared: str | None = None, dimension: str | None = None,
         declared: dict[str, int] | None = None) -> bytes:
    """A minimal .xlsx around a sheet's rows, as a hostile writer would make it."""
    parts = {
        "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats'
                               '.org/package/2006/content-types"/>',
        "xl/workbook.xml": f'<?xml version="1.0"?><workbook {MAIN} xmlns:r="http://schemas.'
                           'openxmlformats.org/officeDocument/2006/relationships"><sheets>'
                           '<sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.'
                                      'openxmlformats.org/package/2006/relationships">'
                                      '<Relationship Id="rId1" Target="worksheets/sheet1.xml" '
                                      'Type="worksheet"/></Relationships>',
        "xl/worksheets/sheet1.xml": f'<?xml version="1.0"?><worksheet {MAIN}>'
                                    + (f'<dimension ref="{dimension}"/>' if dimension else "")
                                    + f"<sheetData>{sheet_body}</sheetData></worksheet>",
    }
    if shared is not None:
        parts["xl/sharedStrings.xml"] = f'<?xml version="1.0"?><sst {MAIN}>{shared}</sst>'
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w", zipfile.ZIP_DEFLATED) as book:
        for name, text in parts.items():
            book.writestr(name, text)
    raw = data.getvalue()
    for name, size in (declared or {}).items():  # a zip that lies about a part's size
        raw = _declare(raw, name, size)
    return raw


def _declare(raw: bytes, name: str, size: int) -> bytes:
    encoded = name.encode()
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (start := raw.find(signature, start)) >= 0:
            name_at = start + (30 if signature == b"PK\x03\x04" else 46)
            if raw[name_at:name_at + len(encoded)] == encoded:
                raw = raw[:start + offset] + size.to_bytes(4, "little") + raw[start + offset + 4:]
            start += 4
    return raw


def text_cell(reference: str, text: str) -> str:
    return f'<c r="{reference}" t="inlineStr"><is><t>{text}</t></is></c>'


def rows(count: int, first: int = 2) -> str:
    return "".join(f'<row r="{n}">{text_cell(f"A{n}", f"CF{n}")}{text_cell(f"B{n}", "张三")}'
                   "</row>" for n in range(first, first + count))


HEADER = f'<row r="1">{text_cell("A1", "工号")}{text_cell("B1", "姓名")}</row>'
SPEC = Spec("t", importer.SPEC.columns[:2], max_rows=50, too_many=lambda n: f"at most {n}",
            template=False)


@pytest.fixture
def english(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield


@pytest.fixture
def inflated(monkeypatch):
    """Every byte the reader inflates from a zip, part by part."""
    counts: list[int] = []
    real = zipfile.ZipExtFile.read

    def read(self, n=-1):
        data = real(self, n)
        counts.append(len(data))
        return data

    monkeypatch.setattr(zipfile.ZipExtFile, "read", read)
    return counts


def test_the_declared_dimension_is_ignored(english):
    """"Today a 4.9 KB file gives 702 columns per row" (a dimension of A1:ZZ...)."""
    data = xlsx(HEADER + rows(3), dimension="A1:XFD8000")
    sheet = sheets.read("h.xlsx", data, 100)
    assert [len(cells) for _n, cells in sheet.rows] == [2, 2, 2, 2]


def test_cells_far_to_the_right_or_down_are_not_kept(english):
    """A cell at XFD8000 (the corner a dense reader would fill up to) is never read: rows keep
    at most MAX_COLUMNS cells, and data rows only the cells of the columns the import uses."""
    far = f'<row r="8000">{text_cell("A8000", "CF9")}{text_cell("B8000", "李四")}' \
          f'{text_cell("XFD8000", "远")}</row>'
    wide = "<row r=\"1\">" + "".join(text_cell(f"{sheets._letters(i)}1", "x")
                                     for i in range(200)) + "</row>"
    sheet = sheets.read("h.xlsx", xlsx(HEADER + far), 100, SPEC.header)
    assert sheet.rows == [(1, ["工号", "姓名"]), (8000, ["CF9", "李四"])]
    sheet = sheets.read("h.xlsx", xlsx(wide), 100)
    assert [len(cells) for _n, cells in sheet.rows] == [sheets.MAX_COLUMNS]


def test_reading_stops_at_the_row_limit(english):
    sheet = sheets.read("h.xlsx", xlsx(HEADER + rows(500)), 51, SPEC.header)
    assert len(sheet.rows) == 51 and sheet.more
    with pytest.raises(ImportFileError, match="at most 50"):
        SPEC.parse("h.xlsx", xlsx(HEADER + rows(500)))
    text = "工号,姓名\r\n" + "CF1,张三\r\n" * 500
    sheet = sheets.read("h.csv", text.encode(), 51)
    assert len(sheet.rows) == 51 and sheet.more


def test_the_header_is_looked_for_in_the_first_rows_only(english):
    """"checks the header first": a sheet with no header is not read to its end."""
    sheet = sheets.read("h.xlsx", xlsx(rows(5000, first=1)), 10_000, SPEC.header)
    assert len(sheet.rows) == sheets.HEADER_SEARCH
    with pytest.raises(ImportFileError, match="Columns missing"):
        SPEC.parse("h.xlsx", xlsx(rows(5000, first=1)))


def test_a_long_cell_is_refused_before_it_is_kept(english):
    """"A 307 KB file with one 300 MB cell is accepted and stored." The cell limit is
    MAX_CELL characters, in every format."""
    long = "长" * (sheets.MAX_CELL + 1)
    for name, data in (
            ("h.xlsx", xlsx(HEADER + f'<row r="2">{text_cell("A2", long)}</row>')),
            ("h.xlsx", xlsx(HEADER + '<row r="2"><c r="A2" t="s"><v>0</v></c></row>',
                            shared=f"<si><t>{long}</t></si>")),
            ("h.csv", f"工号,姓名\r\n{long},张三\r\n".encode()),
            ("h.csv", ("工号,姓名\r\n\"" + "x" * 200_000 + "\",张三\r\n").encode())):
        with pytest.raises(ImportFileError, match="more than 2000 characters"):
            sheets.read(name, data, 100)
    ok = "长" * sheets.MAX_CELL
    assert sheets.read("h.csv", f"工号\r\n{ok}\r\n".encode(), 100).rows[1][1] == [ok]


def test_every_part_is_inflated_only_up_to_its_cap(english, monkeypatch, inflated):
    """"caps the uncompressed size of every part ... before parsing", whether the zip tells
    the truth about a part's size or not."""
    monkeypatch.setattr(sheets, "MAX_PART", 100_000)
    big = xlsx(HEADER + '<row r="2"><c r="A2" t="s"><v>0</v></c></row>',
               shared="<si><t>x</t></si>" * 20_000)  # 340 KB of shared strings, deflated small
    with pytest.raises(ImportFileError, match="too large once unpacked"):
        sheets.read("h.xlsx", big, 100)
    assert max(inflated) < 1000  # the workbook's small parts only: the big one is refused on
    # the size it declares, before any of it is inflated
    inflated.clear()
    lying = _declare(big, "xl/sharedStrings.xml", 1000)
    with pytest.raises(ImportFileError):
        sheets.read("h.xlsx", lying, 100)
    assert max(inflated) <= 100_001  # read up to the cap, then refused


def test_no_document_type_so_no_entity_expands(english):
    """A part with a document type (where entities such as a "billion laughs" live) is
    refused before it is parsed, in the sheet and in the small parts alike."""
    bomb = (b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
            b']>')
    for part, before in (("xl/worksheets/sheet1.xml", b"<worksheet"),
                         ("xl/workbook.xml", b"<workbook")):
        with zipfile.ZipFile(io.BytesIO(xlsx(HEADER))) as book:
            parts = {name: book.read(name) for name in book.namelist()}
        parts[part] = parts[part].replace(before, bomb + before, 1)
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as book:
            for name, body in parts.items():
                book.writestr(name, body)
        with pytest.raises(ImportFileError, match="not a readable .xlsx file"):
            sheets.read("h.xlsx", out.getvalue(), 100)


def test_too_many_shared_strings_are_refused(english, monkeypatch):
    monkeypatch.setattr(sheets, "MAX_SHARED", 100)
    data = xlsx(HEADER, shared="<si><t>x</t></si>" * 101)
    with pytest.raises(ImportFileError, match="too many different texts"):
        sheets.read("h.xlsx", data, 100)
    assert sheets.read("h.xlsx", xlsx(HEADER, shared="<si><t>x</t></si>" * 100), 100).rows


def test_a_row_written_without_cell_references_is_read_by_place(english):
    body = '<row><c t="inlineStr"><is><t>工号</t></is></c><c t="inlineStr"><is><t>姓名</t></is>' \
           '</c></row><row><c t="inlineStr"><is><t>CF1</t></is></c><c t="inlineStr"><is>' \
           '<t>张三</t></is></c></row>'
    assert sheets.read("h.xlsx", xlsx(body), 100, SPEC.header).rows == [
        (1, ["工号", "姓名"]), (2, ["CF1", "张三"])]


def test_an_xls_spanning_a_huge_rectangle_is_refused_before_it_is_read(english, monkeypatch):
    """calamine keeps a sheet's whole rectangle in memory (a cell at A1 and one at IV65536 cost
    a gigabyte): the records are checked first."""
    book = xlwt.Workbook()
    sheet = book.add_sheet("S")
    sheet.write(0, 0, "工号")
    sheet.write(65535, 255, "远")
    data = io.BytesIO()
    book.save(data)
    opened = []
    import python_calamine
    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_filelike",
                        lambda *a: opened.append(a))
    with pytest.raises(ImportFileError, match="too many rows and columns"):
        sheets.read("h.xls", data.getvalue(), 100)
    assert opened == []


def test_uploads_nobody_imported_are_removed_after_a_day(app, client, make_user, clock):
    """"Import batches that were never applied are removed after a day": on the next upload,
    whoever makes it."""
    boss = make_user(role="supervisor")
    importer.SPEC.store("old.csv", [], boss)
    applied = importer.SPEC.store("applied.csv", [], boss)
    applied.applied_at = clock.now
    db.session.commit()
    clock.advance(days=1)
    importer.SPEC.store("a-day-old.csv", [], boss)  # exactly a day old at the upload below
    db.session.commit()
    clock.advance(days=1)
    login(client, boss.username)
    upload = post_form(client, "/people/import", {"file": (io.BytesIO(
        "工号,姓名,角色,入职日期\r\nCF1,张三,座席员,2026-01-05\r\n".encode()), "p.csv")},
        token_page="/people/import", content_type="multipart/form-data", confirmed=False)
    assert upload.status_code == 303
    kept = set(db.session.scalars(select(ImportBatch.filename)))
    assert kept == {"applied.csv", "a-day-old.csv", "p.csv"}


def test_blank_rows_are_passed_over_only_up_to_a_limit(english, monkeypatch):
    """Blank rows cost nothing to write and are left out: past MAX_BLANK_ROWS of them the file
    is refused as too long, instead of being walked to its end."""
    monkeypatch.setattr(sheets, "MAX_BLANK_ROWS", 100)
    blank = "".join(f'<row r="{n}"/>' for n in range(2, 102))
    sheet = sheets.read("h.xlsx", xlsx(HEADER + blank + rows(1, first=102)), 10, SPEC.header)
    assert [n for n, _cells in sheet.rows] == [1, 102] and not sheet.more
    blank = "".join(f'<row r="{n}"/>' for n in range(2, 103))
    sheet = sheets.read("h.xlsx", xlsx(HEADER + blank + rows(1, first=103)), 10, SPEC.header)
    assert [n for n, _cells in sheet.rows] == [1] and sheet.more
    with pytest.raises(ImportFileError, match="at most 50"):
        SPEC.parse("h.xlsx", xlsx(HEADER + blank + rows(1, first=103)))
    text = "工号,姓名\r\n" + ",\r\n" * 101 + "CF1,张三\r\n"
    assert sheets.read("h.csv", text.encode(), 10).more


def test_a_csv_line_with_too_many_columns_is_refused_before_it_is_split(english):
    ok = "工号,姓名" + "," * (sheets.MAX_SEPARATORS - 1) + "\r\n"
    assert len(sheets.read("h.csv", ok.encode(), 10).rows[0][1]) == sheets.MAX_COLUMNS
    with pytest.raises(ImportFileError, match="more than 1025 columns"):
        sheets.read("h.csv", ("工号,姓名" + "," * sheets.MAX_SEPARATORS).encode(), 10)


def test_rows_blank_in_the_imports_columns_count_as_blank(english, monkeypatch):
    """A row with values only in columns the import does not read is blank to it: past
    MAX_BLANK_ROWS of them the file is refused, instead of being walked to its end."""
    monkeypatch.setattr(sheets, "MAX_BLANK_ROWS", 100)
    aside = "".join(f'<row r="{n}"><c r="F{n}"><v>1</v></c></row>' for n in range(2, 103))
    sheet = sheets.read("h.xlsx", xlsx(HEADER + aside), 1000, SPEC.header)
    assert sheet.more and [n for n, _cells in sheet.rows] == [1]
