"""The demo center leaves a reviewer something to do at any hour it is loaded: a sample not
quite finished and a draft, on the newest day that may be drawn ("a day is drawn only after it
has ended (plus a grace period for late uploads)", DESIGN.md). Loaded just after midnight,
yesterday is not finished, so that day is the day before."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app import timeutil
from app.demo import load_demo
from app.extensions import db
from app.inbox.models import Notification
from app.qa.models import Evaluation, SampledCall, SampleDraw
from app.timeutil import as_utc, center_today


@pytest.mark.parametrize(("hour_utc", "newest_back"), [
    (2, 1),      # 10:00 in Shanghai: yesterday is drawn
    (16, 2),     # 00:00 in Shanghai, within the 60-minute grace: yesterday is not
    (17, 1),     # 01:00 in Shanghai: the grace has passed
    (18, 1),     # 02:00 in Shanghai: yesterday's scores would be written at 09:00
])
def test_the_newest_drawn_day_is_left_not_quite_finished(app, hour_utc, newest_back):
    timeutil.freeze(datetime(2026, 11, 19, hour_utc, 0, tzinfo=UTC))
    try:
        load_demo()
        newest = db.session.scalar(select(func.max(SampleDraw.day)))
        assert newest == center_today() - timedelta(days=newest_back)
        picks = select(SampledCall.id).join(SampleDraw).where(SampleDraw.day == newest)
        scored = select(Evaluation.sampled_call_id).where(Evaluation.sampled_call_id.in_(picks))
        left = db.session.scalar(select(func.count()).select_from(SampledCall).join(SampleDraw)
                                 .where(SampleDraw.day == newest,
                                        SampledCall.id.not_in(scored)))
        drafts = db.session.scalar(select(func.count()).select_from(Evaluation).where(
            Evaluation.status == "draft", Evaluation.sampled_call_id.in_(picks)))
        assert left > 0
        assert drafts > 0
        # nothing happened later than now: no score, notice or reading in the future
        now = timeutil.utcnow()
        for column in (Evaluation.published_at, Evaluation.read_at,
                       Notification.created_at, SampleDraw.drawn_at):
            latest = db.session.scalar(select(func.max(column)))
            assert latest is None or as_utc(latest) <= now, column
    finally:
        timeutil.freeze(None)

