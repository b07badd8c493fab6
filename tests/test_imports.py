"""The one spreadsheet reader (app/sheets.py) and the one header matcher (app/imports.py).

Issue 11: "app/imports.py: the one upload → preview → apply pipeline and the one spreadsheet
reader, used by every import." Issue 13: "Imports: what centers really upload, read right and
safely" — times survive, row numbers are the spreadsheet's own, headers as people type them,
the formats centers have (.xlsx, .xls, .csv in UTF-8 or GBK, dates typed as text).
"""

import io
from datetime import date, datetime, time

import pytest
import xlwt
from openpyxl import Workbook

from app import sheets
from app.imports import LINE, Column, ImportFileError, Spec, cell_text, header_key, parse_date

SPEC = Spec(
    kind="test",
    columns=(
        Column("employee_no", ("employee no.", "工号"), required=True, label="工号"),
        Column("name", ("姓名",), required=True),
        Column("duration_s", ("通话时长(秒)",)),
    ),
    max_rows=3,
    too_many=lambda n: f"at most {n}",
)
TEXT = "工号,姓名,通话时长(秒)\r\nCF1,张三,138\r\n"


@pytest.fixture
def english(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield


def workbook(*rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


def old_workbook(*rows) -> bytes:
    """An .xls, as WPS and older Excel still write them."""
    book = xlwt.Workbook()
    sheet = book.add_sheet("Sheet1")
    dated = xlwt.easyxf(num_format_str="yyyy-mm-dd hh:mm:ss")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, datetime):
                sheet.write(r, c, value, dated)
            else:
                sheet.write(r, c, value)
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


def cells(sheet):
    return [row for _number, row in sheet.rows]


# --- the reader ------------------------------------------------------------------------------

def test_utf8_csv_with_and_without_a_byte_order_mark_reads_the_same(english):
    """"UTF-8 with or without BOM": Excel's "CSV UTF-8" starts with one, other tools do not;
    the mark never ends up in the first header cell. "The preview shows the encoding found.\""""
    plain = sheets.read("p.csv", TEXT.encode("utf-8"), 10)
    marked = sheets.read("p.csv", TEXT.encode("utf-8-sig"), 10)
    assert cells(plain) == cells(marked) == [["工号", "姓名", "通话时长(秒)"],
                                             ["CF1", "张三", "138"]]
    assert (plain.encoding, marked.encoding) == ("UTF-8", "UTF-8 with a byte order mark")


def test_gbk_csv_as_excel_in_china_saves_it_is_read(english):
    """"or GB18030/GBK": bytes that are not UTF-8 are read as GB18030, which holds GBK."""
    data = TEXT.encode("gbk")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    sheet = sheets.read("p.csv", data, 10)
    assert cells(sheet)[1] == ["CF1", "张三", "138"] and sheet.encoding == "GB18030"
    assert cells(sheets.read("p.csv", "工号\r\n㐀\r\n".encode("gb18030"), 10))[1] == ["㐀"]


def test_text_in_neither_encoding_is_refused(english):
    with pytest.raises(ImportFileError, match="text encoding is not UTF-8 or GBK"):
        sheets.read("p.csv", b"\xff\xfe\x80", 10)


def test_rows_keep_the_spreadsheets_own_numbers_past_blank_rows(english):
    """"Row numbers are the spreadsheet's own. Today they are off by one after a blank row.\""""
    text = "标题\r\n\r\n工号,姓名\r\n,\r\nCF1,张三\r\n".encode()
    assert [n for n, _row in sheets.read("p.csv", text, 10).rows] == [1, 3, 5]
    book = workbook(["标题"], [None], ["工号", "姓名"], [None, None], ["CF1", "张三"])
    assert [n for n, _row in sheets.read("p.xlsx", book, 10).rows] == [1, 3, 5]
    old = old_workbook(["标题"], [], ["工号", "姓名"], [], ["CF1", "张三"])
    assert [n for n, _row in sheets.read("p.xls", old, 10).rows] == [1, 3, 5]


def test_xlsx_cells_keep_what_the_sheet_holds(english):
    """"Times survive. Excel date-time cells keep their time of day. Today an .xlsx call list
    saves every call at 00:00." Dates as ISO dates, times of day as HH:MM:SS, whole numbers
    without ".0", empty cells as ""."""
    data = workbook(["工号", "开始时间", "日期", "时刻", "数", "空"],
                    [4002, datetime(2026, 11, 23, 9, 30, 15), date(2026, 3, 1), time(8, 30),
                     0.5, None],
                    [" CF1 ", datetime(2026, 11, 23), "2026/3/1", "09:00", 245.0, ""])
    rows = [[cell_text(c) for c in row] for row in cells(sheets.read("p.xlsx", data, 10))]
    assert rows[1] == ["4002", "2026-11-23 09:30:15", "2026-03-01", "08:30:00", "0.5"]
    assert rows[2][:5] == ["CF1", "2026-11-23", "2026/3/1", "09:00", "245"]


def test_xls_cells_keep_what_the_sheet_holds(english):
    """".xlsx and .xls for every import (WPS and older Excel still write .xls)": the same
    cells from an .xls, the time of day included."""
    data = old_workbook(["工号", "开始时间", "数"], ["CF1", datetime(2026, 11, 23, 9, 30), 245.0])
    rows = [[cell_text(c) for c in row] for row in cells(sheets.read("p.xls", data, 10))]
    assert rows == [["工号", "开始时间", "数"], ["CF1", "2026-11-23 09:30:00", "245"]]


@pytest.mark.parametrize(("name", "data", "said"), [
    ("P.XLSX", TEXT.encode(), "not a readable .xlsx file"),
    ("p.xls", TEXT.encode(), "not a readable .xls file"),
    ("p.xlsx", b"PK\x03\x04" + b"\x00" * 40, "not a readable .xlsx file"),
])
def test_a_file_that_is_not_what_its_name_says_is_refused(english, name, data, said):
    with pytest.raises(ImportFileError, match=said):
        sheets.read(name, data, 10)


def test_cell_text_and_dates_typed_in_a_sheet():
    """"Dates as Excel dates or typed as text (2026/12/3, 2026年12月3日, 2026-12-03) in every
    import"; full-width digits as the digits they are."""
    assert cell_text(None) == "" and cell_text(7.0) == "7" and cell_text(" a ") == "a"
    assert cell_text("１２０") == "120" and cell_text(True) == "1"
    for typed in ("2026-03-01", "2026/03/01", "2026.03.01", "2026年3月1日", " 2026-3-1 ",
                  "２０２６年３月１日", "2026/3/1 0:00", "2026-03-01 00:00:00"):
        assert parse_date(typed) == date(2026, 3, 1), typed
    assert parse_date("昨天") is None and parse_date("2026-02-30") is None


# --- the header matcher ------------------------------------------------------------------------

def test_headers_as_people_type_them(english):
    """"full-width and half-width brackets and spaces (通话时长（秒） as the help text spells
    it)", any case, spaces anywhere."""
    assert header_key(" 通话时长（秒） ") == header_key("通话时长 (秒)") == "通话时长(秒)"
    assert header_key("Ｅｍｐｌｏｙｅｅ　No.") == "employeeno."
    place, found = SPEC.match([["工 号", "姓名", "通话时长（秒）"]])
    assert (place, found) == (0, {"employee_no": 0, "name": 1, "duration_s": 2})
    assert SPEC.match([["  Name ", "备注", "EMPLOYEE NO."]]) == (
        0, {"name": 0, "employee_no": 2})


def test_the_header_is_the_first_row_that_names_the_columns(english):
    """"title rows above the header (a sheet that starts with 「12月排班表」): the header is
    the first row whose cells name the columns"."""
    rows = [["12月排班表"], ["制表：王主管", "", "2026年11月"], ["工号", "姓名"], ["工号", "x"]]
    assert SPEC.match(rows) == (2, {"employee_no": 0, "name": 1})


def test_the_first_cell_naming_a_column_wins(english):
    assert SPEC.match([["工号", "姓名", "employee_no"]]) == (0, {"employee_no": 0, "name": 1})


def test_a_missing_required_column_is_named(english):
    """A missing column is named by its label, or its key when it has none, from the row
    closest to a header; an optional one may be missing."""
    with pytest.raises(ImportFileError) as refused:
        SPEC.match([["月报"], ["通话时长(秒)", "备注"]])
    assert str(refused.value) == ("Columns missing from the header row: 工号, name. Download "
                                  "the template to see them.")
    without_template = Spec("t", SPEC.columns, 3, str, template=False)
    with pytest.raises(ImportFileError) as refused:
        without_template.match([["姓名"]])
    assert str(refused.value) == "Columns missing from the header row: 工号."


# --- a file into named rows ------------------------------------------------------------------

def test_blank_and_title_rows_are_left_out_and_rows_keep_their_numbers(english):
    data = "12月名单\r\n\r\n工号,姓名,通话时长（秒）\r\n,,\r\nCF1,张三\r\n\r\nCF2,李四,１３９\r\n"
    parsed = SPEC.parse("p.csv", data.encode())
    assert parsed.rows == [
        {LINE: 5, "employee_no": "CF1", "name": "张三", "duration_s": ""},
        {LINE: 7, "employee_no": "CF2", "name": "李四", "duration_s": "139"},
    ]
    assert parsed.encoding == "UTF-8"


def test_the_same_rows_from_xlsx_xls_and_csv(english):
    rows = (["Employee no.", "Name"], ["CF1", "张三"], [None, None], [2, "李四"])
    csv_text = "工号,姓名\nCF1,张三\n\n2,李四\n".encode("gbk")
    expected = [{LINE: 2, "employee_no": "CF1", "name": "张三"},
                {LINE: 4, "employee_no": "2", "name": "李四"}]
    assert SPEC.parse("p.xlsx", workbook(*rows)).rows == expected
    assert SPEC.parse("p.xls", old_workbook(*rows)).rows == expected
    assert SPEC.parse("p.csv", csv_text).rows == expected


def test_file_level_limits(english):
    with pytest.raises(ImportFileError, match="The file is empty"):
        SPEC.parse("p.csv", b",,\r\n\r\n")
    assert SPEC.parse("p.csv", "工号,姓名\r\n".encode()).rows == []  # a header alone is fine here
    with pytest.raises(ImportFileError, match="no rows here"):
        Spec("t", SPEC.columns, 3, str, no_rows=lambda: "no rows here").parse(
            "p.csv", "工号,姓名\r\n".encode())
    three = "表头上方的标题\r\n工号,姓名\r\n" + "CF1,张三\r\n" * 3
    assert len(SPEC.parse("p.csv", three.encode()).rows) == 3
    with pytest.raises(ImportFileError, match="at most 3"):
        SPEC.parse("p.csv", (three + "CF4,王五\r\n").encode())
