"""Roster import: upload, preview with every row's problems, then all-or-nothing."""

import io
import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from app.audit import AuditEvent
from app.extensions import db
from app.imports import ImportBatch
from app.people import importer
from app.people.models import Role, Status
from app.staff import roster, schedule
from app.staff.models import Shift
from tests.conftest import csrf_from, login, post_form

HEADER = "工号,日期,开始,结束,班次\r\n"


@pytest.fixture
def center(client, app, make_user, make_team, clock):
    """The client signed in (in English) as the lead of 一组; 二组 has its own agent."""
    lead = make_user(role=Role.LEAD, employee_no="L001")
    team = make_team("一组", lead=lead)
    other = make_team("二组")
    people = {
        "lead": lead, "team": team,
        "a1": make_user(team=team, employee_no="A001", name="张伟"),
        "a2": make_user(team=team, employee_no="A002", name="李娜"),
        "stranger": make_user(team=other, employee_no="B001", name="赵磊"),
        "gone": make_user(team=team, employee_no="A009", name="周强", status=Status.LEFT),
    }
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert login(client, lead.username).status_code == 303
    return people


def upload(client, filename: str, content: bytes, headers=None):
    token = csrf_from(client.get("/shifts/import").text)
    return client.post("/shifts/import", data={
        "csrf_token": token, "file": (io.BytesIO(content), filename)},
        content_type="multipart/form-data", headers=headers or {})


def shifts() -> int:
    return db.session.scalar(select(func.count(Shift.id)))


def test_the_upload_form_shows_progress_and_a_busy_indicator(client, center):
    page = client.get("/shifts/import").text
    form = page[page.index('<form id="roster-form"'):page.index("</form>", page.index(
        'id="roster-form"'))]
    assert 'hx-encoding="multipart/form-data"' in form and 'enctype="multipart/form-data"' in form
    assert 'hx-post="/shifts/import"' in form and 'action="/shifts/import"' in form
    assert "<progress" in form
    assert 'hx-indicator="#roster-busy"' in form and 'id="roster-busy" class="roster-busy"' in form
    assert "/shifts/import/template.csv" in page


def test_the_template_has_the_columns(client, center):
    response = client.get("/shifts/import/template.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    lines = response.text.lstrip("\ufeff").splitlines()
    assert lines[0] == "工号,日期,开始,结束,班次"
    assert roster.SPEC.parse("t.csv", response.data).rows[1]["end"] == "06:00"


def test_csv_preview_then_import_every_shift(client, center):
    content = (HEADER + "A001,2026-11-23,09:00,18:00,早班\r\n"
               "A002,2026/11/23,22:00,06:00,夜班\r\n"
               "A001,2026-11-24,9:00,18:00,\r\n").encode()
    response = upload(client, "roster.csv", content)
    assert response.status_code == 303
    batch_url = response.headers["Location"]
    preview = client.get(batch_url)
    assert preview.status_code == 200
    text = preview.text
    assert "Every row is correct" in text and "Import 3 shifts" in text
    assert "张伟" in text and "李娜" in text and "+1</sup>" in text
    assert shifts() == 0  # the preview saves nothing
    done = post_form(client, batch_url, token_page=batch_url)
    assert done.status_code == 303
    assert done.headers["Location"] == f"/shifts/week?week=2026-11-23&team={center['team'].id}"
    assert shifts() == 3
    night = db.session.scalar(select(Shift).where(Shift.label == "夜班"))
    assert night.day == date(2026, 11, 23)
    assert night.ends_at == datetime(2026, 11, 23, 22, 0, tzinfo=UTC)  # 06:00 next day local
    assert db.session.scalar(select(AuditEvent.action).order_by(AuditEvent.id.desc())) == (
        "shift.import")
    assert "3 shifts imported" in client.get(done.headers["Location"]).text
    again = post_form(client, batch_url, token_page=batch_url)
    assert again.status_code == 409
    assert shifts() == 3


def test_every_problem_is_listed_and_nothing_is_saved(client, center):
    schedule.add_shift(center["a2"], date(2026, 11, 25), time(9), time(18), "", None)
    db.session.commit()
    content = (HEADER
               + "A001,2026-11-23,09:00,18:00,早班\r\n"          # 2 fine on its own...
               + "A001,2026-11-23,17:00,20:00,加班\r\n"          # 3 ...but this overlaps it
               + "X999,2026-11-23,09:00,18:00,\r\n"              # 4 nobody
               + "B001,2026-11-23,09:00,18:00,\r\n"              # 5 another team
               + "A009,2026-11-23,09:00,18:00,\r\n"              # 6 left
               + "A002,明天,9点,18:00,\r\n"                      # 7 bad date and start
               + "A002,2026-11-24,06:00,23:00,\r\n"              # 8 17 hours
               + "A002,2026-11-25,17:00,19:00,\r\n"              # 9 overlaps a saved shift
               + ",2026-11-26,09:00,09:00,\r\n"                  # 10 no number, start = end
               + "A002,2026-11-27,09:00,18:00," + "长" * 40 + "\r\n"   # 11 long name
               + "A002,1999-11-27,09:00,18:00,\r\n").encode()   # 12 a typing error
    response = upload(client, "roster.csv", content)
    batch_url = response.headers["Location"]
    text = client.get(batch_url).text
    assert "Overlaps the shift on line 2 of this file" in text
    assert "Nobody has employee no. X999" in text
    assert "赵磊 is not in your team" in text
    assert "周强 has left the center" in text
    assert "Date must be a date such as 2026-11-23" in text
    assert "Start must be a time such as 09:00" in text
    assert "A shift lasts at most 16 hours" in text
    assert "李娜 already has a shift at that time (2026-11-25 09:00–18:00)" in text
    assert "Employee no. is missing" in text and "The end must differ from the start" in text
    assert "The shift name is longer than 32 characters" in text
    assert "Choose a day between 2000-01-01 and 2099-12-31" in text
    assert "10 rows have problems" in text
    assert "Import " not in text and "apply_roster" not in text
    assert text.count('class="row-bad"') == 10  # only the rows with problems, by default
    everything = client.get(batch_url + "?show=all").text
    assert everything.count("<tr") == 12 and "张伟" in everything
    refused = post_form(client, batch_url, token_page=batch_url)
    assert refused.status_code == 422
    assert "nothing was imported" in refused.text
    assert shifts() == 1


def test_a_supervisor_may_import_for_any_team(app, center, make_user):
    boss = make_user(role=Role.SUPERVISOR)
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert login(client, boss.username).status_code == 303
    response = upload(client, "roster.csv", (HEADER + "B001,2026-11-23,09:00,18:00,\r\n"
                                             "A001,2026-11-23,09:00,18:00,\r\n").encode())
    batch_url = response.headers["Location"]
    assert "Every row is correct" in client.get(batch_url).text
    assert post_form(client, batch_url, token_page=batch_url).status_code == 303
    assert shifts() == 2


def test_xlsx_with_date_and_time_cells_and_english_headers(client, center):
    book = Workbook()
    sheet = book.active
    sheet.append(["Employee no.", "Date", "Start", "End", "Shift"])
    sheet.append(["A001", datetime(2026, 11, 23), time(8, 30), time(17, 0), "Early"])
    sheet.append(["A002", "2026-11-23", 0.5, 0.875, "Late"])  # times as fractions of a day
    data = io.BytesIO()
    book.save(data)
    response = upload(client, "roster.xlsx", data.getvalue())
    batch_url = response.headers["Location"]
    assert "Every row is correct" in client.get(batch_url).text
    post_form(client, batch_url, token_page=batch_url)
    late = db.session.scalar(select(Shift).where(Shift.label == "Late"))
    assert late.hours == 9 and late.starts_at == datetime(2026, 11, 23, 4, 0, tzinfo=UTC)


@pytest.mark.parametrize(("name", "content", "message"), [
    ("roster.csv", b"name,day\r\nx,y\r\n", "Columns missing from the header row: 工号, 开始, 结束"),
    ("roster.csv", HEADER.encode(), "The file has no shifts below the header row"),
    ("roster.csv", b"", "The file is empty"),
    ("roster.xlsx", b"not a workbook", "This is not a readable .xlsx file"),
    ("roster.txt", b"x", "Only .xlsx, .xls and .csv files"),
])
def test_a_bad_file_is_refused_beside_the_field(client, center, name, content, message):
    response = upload(client, name, content,
                      headers={"HX-Request": "true", "HX-Target": "roster-form"})
    assert response.status_code == 422
    assert "<html" not in response.text
    assert re.search(r'id="file-error" class="error">[^<]*' + re.escape(message), response.text)
    assert db.session.scalar(select(func.count(ImportBatch.id))) == 0


def test_someone_elses_or_a_people_batch_is_not_found(client, center, make_user):
    other_lead = make_user(role=Role.LEAD)
    theirs = roster.SPEC.store("r.csv", [{"employee_no": "A001", "day": "2026-11-23",
                                          "start": "09:00", "end": "18:00"}], other_lead)
    people = importer.SPEC.store("p.csv", [], center["lead"])
    db.session.commit()
    for batch in (theirs, people):
        assert client.get(f"/shifts/import/{batch.id}").status_code == 404
        url = f"/shifts/import/{batch.id}"
        assert post_form(client, url, token_page="/shifts/import").status_code == 404
    assert shifts() == 0


def big_roster(team_members: list[str], rows: int) -> bytes:
    """`rows` shifts: each member a 9-to-6 on consecutive days."""
    lines = [HEADER]
    start = date(2026, 12, 1)
    for n in range(rows):
        number = team_members[n % len(team_members)]
        day = start + timedelta(days=n // len(team_members))
        lines.append(f"{number},{day.isoformat()},09:00,18:00,早班\r\n")
    return "".join(lines).encode()


def test_a_2000_row_file_is_checked_and_imported_all_or_nothing(client, center, make_user):
    numbers = [f"Z{n:03d}" for n in range(20)]
    for number in numbers:
        make_user(team=center["team"], employee_no=number)
    content = big_roster(numbers, 2000)
    # One bad row at the very end stops the other 1,999.
    bad = content + b"Z000,2026-12-01,10:00,12:00,\r\n"
    response = upload(client, "big.csv", bad)
    assert response.status_code == 303
    batch_url = response.headers["Location"]
    preview = client.get(batch_url)
    assert "1 row has problems" in preview.text and "Overlaps the shift on line 2" in preview.text
    assert post_form(client, batch_url, token_page=batch_url).status_code == 422
    assert shifts() == 0

    # How long this takes is measured by bench/imports.py, not asserted here.
    response = upload(client, "big.csv", content)
    assert response.status_code == 303
    batch_url = response.headers["Location"]
    preview = client.get(batch_url)
    assert "Import 2000 shifts" in preview.text
    done = post_form(client, batch_url, token_page=batch_url)
    assert done.status_code == 303
    assert shifts() == 2000
    per_person = db.session.scalars(select(func.count(Shift.id)).group_by(Shift.user_id)).all()
    assert per_person == [100] * 20


def test_an_empty_batch_imports_nothing(client, center):
    batch = roster.SPEC.store("empty.csv", [], center["lead"])
    db.session.commit()
    url = f"/shifts/import/{batch.id}"
    preview = client.get(url).text
    assert "The file has no shifts below the header row" in preview and "Import 0" not in preview
    refused = post_form(client, url, token_page=url)
    assert refused.status_code == 422
    db.session.refresh(batch)
    assert batch.applied_at is None and shifts() == 0


def test_an_xls_roster_under_a_title_row_with_dates_as_people_type_them(client, center):
    """Issue 13: ".xlsx and .xls for every import (WPS and older Excel still write .xls)";
    "title rows above the header (a sheet that starts with 「12月排班表」)"; "Dates as Excel
    dates or typed as text (2026/12/3, 2026年12月3日, 2026-12-03) in every import"; the
    spreadsheet's own row numbers."""
    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("12月")
    dated = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    sheet.write(0, 0, "12月排班表")
    for c, title in enumerate(["工号", "日期", "开始", "结束", "班次"]):
        sheet.write(2, c, title)
    lines = [("A001", datetime(2026, 11, 23)), ("A002", "2026/11/24"),
             ("A001", "2026年11月25日"), ("A002", "２０２６-11-26")]
    for r, (number, day) in enumerate(lines, start=3):
        sheet.write(r, 0, number)
        sheet.write(r, 1, day, dated) if isinstance(day, datetime) else sheet.write(r, 1, day)
        sheet.write(r, 2, "09:00")
        sheet.write(r, 3, "18:00")
    sheet.write(8, 0, "A001")  # row 9 of the sheet: no date, a problem on its own row
    data = io.BytesIO()
    book.save(data)
    response = upload(client, "roster.xls", data.getvalue())
    assert response.status_code == 303
    preview = client.get(response.headers["Location"]).text
    assert "<td>9</td>" in preview and "1 row has problems" in preview
    sheet.write(8, 1, "2026-11-27")
    sheet.write(8, 2, "09:00")
    sheet.write(8, 3, "18:00")
    data = io.BytesIO()
    book.save(data)
    response = upload(client, "roster.xls", data.getvalue())
    batch_url = response.headers["Location"]
    assert "Every row is correct" in client.get(batch_url).text
    post_form(client, batch_url, token_page=batch_url)
    days = sorted(db.session.scalars(select(Shift.day)))
    assert days == [date(2026, 11, day) for day in (23, 24, 25, 26, 27)]
