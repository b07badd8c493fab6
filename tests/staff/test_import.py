"""Bulk import of people: preview with every row's problems, then all-or-nothing."""

import io

from openpyxl import Workbook
from sqlalchemy import func, select

from app.extensions import db
from app.imports import ImportBatch, rows_of
from app.people import importer
from app.people.models import User
from tests.conftest import csrf_from, post_form

HEADER = "工号,姓名,用户名,电话,角色,班组,职级,入职日期,试用期至\r\n"


def upload(client, filename: str, content: bytes):
    token = csrf_from(client.get("/people/import").text)
    return client.post("/people/import", data={
        "csrf_token": token, "file": (io.BytesIO(content), filename)},
        content_type="multipart/form-data")


def people_count() -> int:
    return db.session.scalar(select(func.count(User.id)))


def test_csv_preview_then_import_everyone(client, login_as, make_team):
    login_as("supervisor")
    make_team("一组")
    content = (HEADER + "CF3001,孙丽,sunli,13800000001,座席员,一组,普通,2026-10-01,2027-01-01\r\n"
               "CF3002,周强,,13800000002,组长,一组,,2024-03-01,\r\n").encode()
    response = upload(client, "people.csv", content)
    assert response.status_code == 303
    preview = client.get(response.headers["Location"])
    assert "孙丽" in preview.text and "周强" in preview.text
    before = people_count()
    assert before == 1  # nothing saved by the preview
    batch_url = response.headers["Location"]
    done = post_form(client, batch_url, token_page=batch_url)
    assert done.status_code == 200
    assert people_count() == before + 2
    lead = db.session.scalar(select(User).where(User.employee_no == "CF3002"))
    assert lead.username == "cf3002" and lead.role == "lead" and lead.must_change_password
    assert done.text.count('<code>') >= 4  # usernames and one-time passwords shown once
    again = post_form(client, batch_url, token_page=batch_url)
    assert again.status_code == 409
    assert people_count() == before + 2


def test_every_problem_is_listed_and_nothing_is_saved(client, login_as, make_user):
    login_as("supervisor")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    make_user(employee_no="CF0007", username="taken")
    content = (HEADER
               + "CF3001,好人,good,,座席员,,普通,2026-10-01,\r\n"
               + "CF0007,重复号,dup,,座席员,,普通,2026-10-01,\r\n"
               + "CF3003,,taken,,经理,火星组,特级,昨天,\r\n"
               + "CF3001,又一个,good,,座席员,,,2026-10-01,2026-01-01\r\n").encode()
    response = upload(client, "people.csv", content)
    preview = client.get(response.headers["Location"])
    text = preview.text
    assert "Employee no. CF0007 is already in use" in text
    assert "Name is missing" in text
    assert "Username taken is already taken" in text
    assert "Role “经理” is unknown" in text
    assert "Team “火星组” does not exist" in text
    assert "Grade “特级” is unknown" in text
    assert "Hire date must be a date" in text
    assert "Employee no. CF3001 appears again (line 2)" in text
    assert "Agents need a grade" in text
    assert "Probation cannot end before the hire date" in text
    assert "3 rows have problems" in text
    assert "apply_import" not in text and "Import 4 people" not in text
    batch_url = response.headers["Location"]
    before = people_count()
    refused = post_form(client, batch_url, token_page=batch_url)
    assert refused.status_code == 422
    assert people_count() == before


def test_xlsx_with_english_headers_and_date_cells(client, login_as):
    from datetime import date

    login_as("supervisor")
    book = Workbook()
    sheet = book.active
    sheet.append(["employee_no", "name", "role", "grade", "hire_date"])
    sheet.append(["CF4001", "钱多多", "agent", "senior", date(2023, 5, 6)])
    sheet.append([4002, "吴用", "qa", None, "2022/01/02"])
    buffer = io.BytesIO()
    book.save(buffer)
    response = upload(client, "people.xlsx", buffer.getvalue())
    checks = importer.check_rows(rows_of(db.session.scalar(select(ImportBatch))))
    assert [c.problems for c in checks] == [[], []]
    assert checks[0].person.hire_date == date(2023, 5, 6)
    assert checks[1].person.employee_no == "4002"
    batch_url = response.headers["Location"]
    assert post_form(client, batch_url, token_page=batch_url).status_code == 200
    assert db.session.scalar(select(User).where(User.name == "吴用")).role == "qa"


def test_gbk_csv_from_excel_is_read(client, login_as):
    login_as("supervisor")
    content = (HEADER + "CF5001,郑好,,,质检员,,,2026-01-05,\r\n").encode("gb18030")
    response = upload(client, "people.csv", content)
    assert response.status_code == 303
    assert "郑好" in client.get(response.headers["Location"]).text


def test_bad_files_are_refused_beside_the_field(client, login_as):
    login_as("supervisor")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    for name, content, message in [
        ("people.csv", b"", "The file is empty"),
        ("people.csv", "姓名,电话\r\n张三,1\r\n".encode(), "Columns missing"),
        ("people.xlsx", b"not a zip", "not a readable .xlsx"),
        ("people.txt", b"x", "Only .xlsx, .xls and .csv"),
    ]:
        response = upload(client, name, content)
        assert response.status_code == 422, name
        assert message in response.text.split('id="file-error"')[1], name
    assert db.session.scalar(select(func.count(ImportBatch.id))) == 0


def test_another_supervisor_cannot_see_my_batch(app, client, login_as, make_user):
    login_as("supervisor")
    response = upload(client, "people.csv", (HEADER + "CF6001,甲,,,座席员,,普通,2026-01-01,\r\n")
                      .encode())
    other = make_user(role="supervisor")
    second = app.test_client()
    from tests.conftest import login

    login(second, other.username)
    assert second.get(response.headers["Location"]).status_code == 404


def test_template_download(client, login_as):
    login_as("supervisor")
    response = client.get("/people/import/template.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = importer.SPEC.parse("t.csv", response.data).rows
    assert importer.check_rows(rows)[0].problems == []


def test_a_gbk_csv_and_an_xls_of_people_are_read_with_their_row_numbers(client, login_as,
                                                                         make_team):
    """Issue 13: ".csv in UTF-8 with or without a BOM, or GB18030/GBK ... The preview shows
    the encoding found"; ".xls for every import"; "Row numbers are the spreadsheet's own":
    a duplicate names the row the preview numbers."""
    import xlwt

    login_as("supervisor")
    make_team("一组")
    content = ("人员名单（12月）\r\n" + HEADER + "\r\n"
               "CF3001,孙丽,sunli,13800000001,座席员,一组,普通,2026年10月1日,\r\n"
               "CF3001,周强,,13800000002,组长,一组,,2024/3/1,\r\n").encode("gbk")
    response = upload(client, "people.csv", content)
    preview = client.get(response.headers["Location"]).text
    assert "文本编码：GB18030" in preview
    assert "工号 CF3001 重复出现（第 4 行）" in preview  # the first is on row 4 of the sheet
    assert "<td>5</td>" in preview
    book = xlwt.Workbook()
    sheet = book.add_sheet("人员")
    for r, line in enumerate([HEADER.strip().split(","),
                              ["CF3003", "钱红", "", "13800000003", "座席员", "一组", "普通",
                               "2026-10-01", ""]]):
        for c, value in enumerate(line):
            sheet.write(r, c, value)
    data = io.BytesIO()
    book.save(data)
    response = upload(client, "people.xls", data.getvalue())
    batch_url = response.headers["Location"]
    preview = client.get(batch_url).text
    assert "钱红" in preview and "文本编码" not in preview
    post_form(client, batch_url, token_page=batch_url)
    assert db.session.scalar(select(User).where(User.employee_no == "CF3003")).name == "钱红"
