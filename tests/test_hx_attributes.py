"""Issue 13: "User text never sits inside hx-* attributes, confirmations included." An htmx
attribute is read as a selector, a URL, JSON or a question, so a name or a reason written into
one could change what a click does. Every page of the app, as every role, is read for the text
people typed into the seeded center (names, reasons, notes, details ...)."""

import re

import pytest
from sqlalchemy import String, Text, select

from app.extensions import db
from tests.routes_helper import ROLES, copy_seed, make_seed, open_world, sign_in, urls

HX_ATTRIBUTE = re.compile(r'\bhx-[a-z-]+=(?:"([^"]*)"|\'([^\']*)\')')
TYPED = {"name", "reason", "notes", "details", "note", "contact", "guidance", "off_sample_reason",
         "shift_label", "label", "filename"}  # the columns that hold what a person typed


@pytest.fixture(scope="module")
def seed(tmp_path_factory):
    return make_seed(tmp_path_factory.mktemp("seed"))


@pytest.fixture(autouse=True)
def seeded(seed, tmp_path):
    copy_seed(seed, tmp_path)


def typed_texts() -> set[str]:
    """Everything people typed into the seeded center, two characters or more."""
    found = set()
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns
                   if c.name in TYPED and isinstance(c.type, String | Text)]
        for column in columns:
            found.update(v for v in db.session.scalars(select(column)) if v and len(v) >= 2)
    return found


@pytest.mark.parametrize("role", [r for r in ROLES if r != "anonymous"])
def test_no_typed_text_sits_in_an_htmx_attribute(app, client, seed, role):
    world = open_world(app, seed)
    texts = typed_texts()
    assert len(texts) >= 5  # the seeded names, reasons and notes
    sign_in(client, world, role)
    pages = 0
    for url in urls(app, world, "GET"):
        response = client.get(url)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        pages += 1
        for match in HX_ATTRIBUTE.finditer(response.text):
            value = match.group(1) or match.group(2) or ""
            leaked = sorted(text for text in texts if text in value)
            assert not leaked, f"{url} as {role}: {match.group(0)} holds {leaked}"
    assert pages >= 10
