"""The one spreadsheet reader and the one header matcher, on their own (app/imports.py).

Issue 11: "app/imports.py: the one upload → preview → apply pipeline and the one spreadsheet
reader, used by every import. Each area supplies only its column spec and its row checks."
"""

import io
from datetime import date, datetime, time

import pytest
from openpyxl import Workbook

from app.imports import Column, ImportFileError, Spec, cell_text, parse_date, read_rows

SPEC = Spec(
    kind="test",
    columns=(
        Column("employee_no", ("employee no.", "工号"), required=True, label="工号"),
        Column("name", ("姓名",), required=True),
        Column("phone", ("电话",)),
    ),
    max_rows=3,
    too_many=lambda n: f"at most {n}",
)
TEXT = "工号,姓名,电话\r\nCF1,张三,138\r\n"


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


# --- the reader ------------------------------------------------------------------------------

def test_utf8_csv_with_and_without_a_byte_order_mark_reads_the_same(english):
    """"UTF-8 with or without BOM": Excel's "CSV UTF-8" starts with one, other tools do not;
    the mark never ends up in the first header cell."""
    plain = read_rows("p.csv", TEXT.encode("utf-8"))
    marked = read_rows("p.csv", TEXT.encode("utf-8-sig"))
    assert plain == marked == [["工号", "姓名", "电话"], ["CF1", "张三", "138"]]


def test_gbk_csv_as_excel_in_china_saves_it_is_read(english):
    """"then GB18030/GBK": bytes that are not UTF-8 are read as GB18030, which holds GBK."""
    data = TEXT.encode("gbk")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert read_rows("p.csv", data)[1] == ["CF1", "张三", "138"]
    assert read_rows("p.csv", "工号\r\n㐀\r\n".encode("gb18030"))[1] == ["㐀"]  # beyond GBK


def test_text_in_neither_encoding_is_refused(english):
    with pytest.raises(ImportFileError, match="text encoding is not UTF-8 or GBK"):
        read_rows("p.csv", b"\xff\xfe\x80")


def test_cells_are_trimmed_and_a_blank_row_is_kept_by_the_reader(english):
    rows = read_rows("p.csv", " 工号 ,姓名\r\n,\r\n CF1 , 张三 \r\n".encode())
    assert rows == [["工号", "姓名"], ["", ""], ["CF1", "张三"]]


def test_xlsx_cells_become_text_as_the_imports_store_them(english):
    """Dates as ISO dates (a date-time keeps its date only, as today), times as HH:MM:SS,
    whole numbers without ".0", empty cells as ""."""
    data = workbook(["工号", "日期", "时刻", "数", "空"],
                    [4002, datetime(2026, 11, 23, 9, 30), time(8, 30), 0.5, None],
                    [" CF1 ", date(2026, 3, 1), "09:00", 245.0, ""])
    assert read_rows("p.xlsx", data) == [
        ["工号", "日期", "时刻", "数", "空"],
        ["4002", "2026-11-23", "08:30:00", "0.5", ""],
        ["CF1", "2026-03-01", "09:00", "245", ""],
    ]


def test_an_xlsx_name_with_other_bytes_is_refused(english):
    with pytest.raises(ImportFileError, match="not a readable .xlsx file"):
        read_rows("P.XLSX", TEXT.encode())


def test_cell_text_and_dates_typed_in_a_sheet():
    assert cell_text(None) == "" and cell_text(7.0) == "7" and cell_text(" a ") == "a"
    for typed in ("2026-03-01", "2026/03/01", "2026.03.01", "2026年3月1日", " 2026-3-1 "):
        assert parse_date(typed) == date(2026, 3, 1), typed
    assert parse_date("昨天") is None and parse_date("2026-02-30") is None


# --- the header matcher ------------------------------------------------------------------------

def test_headers_match_in_chinese_or_english_whatever_the_case_and_spaces(english):
    assert SPEC.match(["工号", "姓名"]) == {"employee_no": 0, "name": 1}
    assert SPEC.match(["  Name ", "备注", "EMPLOYEE NO.", "Phone"]) == {
        "name": 0, "employee_no": 2, "phone": 3}
    assert SPEC.key_of("employee_no") == "employee_no" and SPEC.key_of("备注") is None


def test_the_first_cell_naming_a_column_wins(english):
    assert SPEC.match(["工号", "姓名", "employee_no"]) == {"employee_no": 0, "name": 1}


def test_a_missing_required_column_is_named(english):
    """A missing column is named by its label, or its key when it has none; an optional one
    may be missing."""
    with pytest.raises(ImportFileError) as refused:
        SPEC.match(["电话", "备注"])
    assert str(refused.value) == ("Columns missing from the first row: 工号, name. Download the "
                                  "template to see them.")
    without_template = Spec("t", SPEC.columns, 3, str, template=False)
    with pytest.raises(ImportFileError) as refused:
        without_template.match(["姓名"])
    assert str(refused.value) == "Columns missing from the first row: 工号."


# --- a file into named rows ------------------------------------------------------------------

def test_blank_rows_are_left_out_and_short_rows_filled(english):
    data = "\r\n工号,姓名,电话\r\n,,\r\nCF1,张三\r\n\r\nCF2,李四,139\r\n".encode()
    assert SPEC.parse("p.csv", data) == [
        {"employee_no": "CF1", "name": "张三", "phone": ""},
        {"employee_no": "CF2", "name": "李四", "phone": "139"},
    ]


def test_the_same_rows_from_xlsx_and_csv(english):
    sheet = workbook(["Employee no.", "Name"], ["CF1", "张三"], [None, None], [2, "李四"])
    assert SPEC.parse("p.xlsx", sheet) == SPEC.parse("p.csv", "工号,姓名\nCF1,张三\n2,李四\n"
                                                     .encode("gbk")) == [
        {"employee_no": "CF1", "name": "张三"}, {"employee_no": "2", "name": "李四"}]


def test_file_level_limits(english):
    with pytest.raises(ImportFileError, match="The file is empty"):
        SPEC.parse("p.csv", b",,\r\n\r\n")
    assert SPEC.parse("p.csv", "工号,姓名\r\n".encode()) == []  # a header alone is fine here
    with pytest.raises(ImportFileError, match="no rows here"):
        Spec("t", SPEC.columns, 3, str, no_rows=lambda: "no rows here").parse(
            "p.csv", "工号,姓名\r\n".encode())
    three = "工号,姓名\r\n" + "CF1,张三\r\n" * 3
    assert len(SPEC.parse("p.csv", three.encode())) == 3
    with pytest.raises(ImportFileError, match="at most 3"):
        SPEC.parse("p.csv", (three + "CF4,王五\r\n").encode())
