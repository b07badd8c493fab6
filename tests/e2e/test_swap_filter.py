"""The swap form's colleague filter in a real browser: typing narrows the list of colleagues'
shifts (htmx sends the box, not the whole form), again and again, and choosing the shift to
give redraws the list with what fits it."""

import pytest
from playwright.sync_api import expect

from tests.e2e.test_leave_journey import PHONE, no_overflow, sign_in

pytestmark = pytest.mark.browser


def test_typing_narrows_the_colleagues_shifts(browser, live_server, screenshot):
    context, page = sign_in(browser, live_server, "agent05", PHONE)
    requests = []
    page.on("request", lambda r: requests.append(r.url) if "/swaps/new?" in r.url else None)
    page.goto(f"{live_server.url}/swaps/new")
    groups = page.locator("#their_shift optgroup")
    everyone = [g.get_attribute("label") for g in groups.all()]
    assert len({label.split(" · ")[0] for label in everyone}) > 1, "the demo offers colleagues"
    for label in everyone[:2]:  # twice: the list is redrawn in place each time
        name = label.split(" · ")[0]
        page.fill("#swap-who", name)
        expect(groups).to_have_count(sum(1 for e in everyone if e.split(" · ")[0] == name))
        expect(groups.first).to_have_attribute("label", label)
    assert requests and all("csrf_token" not in url for url in requests)
    page.fill("#swap-who", "不存在的人")
    expect(page.locator("#swap-theirs")).to_contain_text("没有符合条件的同事班次")
    page.fill("#swap-who", "")
    expect(groups).to_have_count(len(everyone))
    with page.expect_response(lambda r: "my_shift=" in r.url and r.status == 200):
        page.select_option("#my_shift", index=1)  # the list now holds what fits that shift
    expect(page.locator("#swap-theirs")).to_be_visible()
    no_overflow(page)
    screenshot(page, "swap-filter")
    context.close()
