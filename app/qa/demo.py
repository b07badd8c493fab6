"""The demo center's quality data: a month of calls, a scorecard in two versions, a published
sampling rule with its daily samples, and a month of evaluations by both reviewers (one of
them stricter on the subjective items, as real reviewers are)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import insert, select

from app import audit
from app.extensions import db
from app.people.models import Role, User
from app.qa import evaluations, rules, scorecards
from app.qa.models import Call, SampledCall, SampleDraw
from app.timeutil import center_today, center_tz, utcnow

DAYS = 30
RECORDINGS = ["/static/demo/call-1.wav", "/static/demo/call-2.wav", "/static/demo/call-3.wav"]
CARD = [
    ("服务规范", [("开场白不规范", 2, "未按“您好，很高兴为您服务，工号××”开场"),
                 ("未核实客户身份", 5, "涉及账户信息前未核对姓名与手机号后四位"),
                 ("结束语缺失", 2, "")]),
    ("服务态度", [("语气生硬", 5, "语速过快、语调不耐烦，客户有明显不满"),
                 ("打断客户", 3, "客户陈述未完即插话，两次及以上"),
                 ("推诿客户", 10, "可当场解决的问题要求客户另行来电")]),
    ("业务能力", [("解答错误", 10, "与知识库标准答案不一致"),
                 ("未按知识库解答", 5, "自行发挥，未引用标准话术"),
                 ("未记录工单", 5, "需跟进的问题未建工单")]),
    ("合规", [("泄露客户信息", 20, "向非本人透露订单或账户信息"),
              ("使用服务忌语", 15, "见服务忌语清单")]),
]
# How often each item is deducted (per call) by a typical reviewer; the stricter reviewer
# deducts the subjective ones (tone, interrupting) more often.
RATES = {"开场白不规范": .10, "未核实客户身份": .06, "结束语缺失": .12, "语气生硬": .10,
         "打断客户": .12, "推诿客户": .03, "解答错误": .05, "未按知识库解答": .08,
         "未记录工单": .06, "泄露客户信息": .005, "使用服务忌语": .01, "未主动二次确认": .08}
CRITICAL = {"泄露客户信息"}  # 致命项: the call scores 0
STRICT = {"语气生硬": 1.9, "打断客户": 1.7, "开场白不规范": 1.4}


def _local(day, hh, mm, ss=0) -> datetime:
    return datetime.combine(day, time(hh, mm, ss), center_tz()).astimezone(UTC)


def load_quality_demo(boss: User, rng: random.Random) -> dict[str, int]:
    """Calls for the last month up to now, the scorecard, the rule, samples and evaluations."""
    today, now = center_today(), utcnow()
    agents = list(db.session.scalars(select(User).where(User.role == Role.AGENT)
                                     .order_by(User.employee_no)))
    reviewers = list(db.session.scalars(select(User).where(User.role == Role.QA)
                                        .order_by(User.employee_no)))
    rows = []
    for back in range(DAYS, -1, -1):
        day = today - timedelta(days=back)
        for agent in agents:
            if (agent.id + back) % 7 == 0:
                continue  # a day off
            minute = rng.randint(0, 40)
            for seq in range(rng.randint(6, 12)):
                started = _local(day, 8, 0) + timedelta(minutes=minute, seconds=rng.randint(0, 59))
                duration = int(min(1500, max(25, rng.lognormvariate(5.3, 0.6))))
                minute += duration // 60 + rng.randint(8, 70)
                if started > now - timedelta(minutes=5) or minute > 13 * 60:
                    break
                rows.append({
                    "serial_no": f"REC{day:%Y%m%d}{agent.employee_no}{seq:03d}",
                    "agent_id": agent.id, "started_at": started, "duration_s": duration,
                    "direction": "in" if rng.random() < .8 else "out",
                    "customer_number": f"1{rng.choice('3456789')}{rng.randint(0, 10**9 - 1):09d}",
                    "recording_url": RECORDINGS[seq % len(RECORDINGS)], "source": "api",
                    "imported_at": started + timedelta(seconds=duration + 60)})
    for start in range(0, len(rows), 2000):
        db.session.execute(insert(Call), rows[start:start + 2000])
    audit.record("call.import", object_type="call", object_id="demo", actor=boss,
                 after={"source": "demo", "rows": len(rows), "added": len(rows)})

    card = scorecards.create("通用质检表", boss)
    for name, items in CARD:
        category = scorecards.add_category(card, name, boss)
        for item_name, points, guidance in items:
            scorecards.add_item(card, category, item_name, points, guidance, boss,
                                critical=item_name in CRITICAL)
    first_version = scorecards.latest(card)

    qa1 = reviewers[0]
    rule_data = rules.RuleData(
        name="全员每日第2通（11点后，长于200秒）", scope="all", team_id=None, people_ids=[],
        weekdays=0b1111111, first_day=today - timedelta(days=DAYS - 2), last_day=None,
        window_start=time(11), window_end=None, longer_than_s=200, at_most_s=None,
        direction="any", nth_from=2, nth_to=2, scorecard_id=card.id)
    written = _local(rule_data.first_day - timedelta(days=2), 16, 30)
    rule = rules.save_draft(None, rule_data, qa1, now=written)
    rules.publish(rule, qa1, written, rule.version)
    db.session.flush()

    made = 0
    version = first_version
    # Just after midnight yesterday is not finished, so the newest day drawn may be the day
    # before: its sample is the one left not quite finished, at any hour the demo is loaded.
    newest = min((back for back in range(DAYS - 2, 0, -1)
                  if rules.drawable_from(today - timedelta(days=back)) <= now), default=None)
    for back in range(DAYS - 2, 0, -1):
        day = today - timedelta(days=back)
        if back == DAYS // 2:  # halfway through the month the scorecard changed
            interrupt = next(i for i in version.items if i.name == "打断客户")
            scorecards.change_item(card, interrupt, "打断客户", 5, interrupt.guidance, boss)
            confirm = scorecards.latest(card).categories[2]
            scorecards.add_item(card, confirm, "未主动二次确认", 3, "办理业务后未复述确认要点",
                                boss)
        if rules.drawable_from(day) > now:
            continue  # not finished yet (with its grace period): no draw
        # Drawn at 01:30 the next day (after its grace period), or now if that is later.
        drawn_at = min(max(rules.drawable_from(day), _local(day + timedelta(days=1), 1, 30)),
                       now)
        drawn = rules.draw(rule, day, drawn_at)
        db.session.flush()
        version = scorecards.latest(card)
        picks = db.session.scalars(select(SampledCall).where(SampledCall.draw_id == drawn.id)
                                   .order_by(SampledCall.id)).all()
        for pick in picks:
            if back == newest and pick.id % 3 == 0:
                continue  # the newest sample is not quite finished
            reviewer = db.session.get(User, pick.reviewer_id)
            strict = reviewer.id == reviewers[-1].id
            call = db.session.get(Call, pick.call_id)
            # Scored from 09:00 the next day; never later than now (just after midnight the
            # newest day's scores are being written as the demo loads).
            when = max(drawn_at, min(_local(day + timedelta(days=1), 9, 0)
                                     + timedelta(minutes=made % 400), now))
            evaluation = evaluations.start(call, reviewer, version, "", when)
            marks = [evaluations.Mark(item.id, _note(item.name, rng),
                                      rng.randint(0, call.duration_s))
                     for item in version.items
                     if rng.random() < RATES.get(item.name, .05) * (STRICT.get(item.name, 1)
                                                                    if strict else 1)]
            publish = not (back == newest and pick.id % 5 == 0)
            evaluations.save(evaluation, reviewer, marks, evaluation.version, publish, when)
            if publish and rng.random() < .7:
                read = min(when + timedelta(hours=rng.randint(1, 30)), now - timedelta(minutes=5))
                if read > when:
                    evaluations.confirm_read(evaluation, call.agent, read)
            made += 1
        db.session.flush()
    _off_sample(reviewers, version, today, rng)
    return {"calls": len(rows), "evaluations": made,
            "draws": db.session.query(SampleDraw).count()}


def _note(item: str, rng: random.Random) -> str:
    notes = {"语气生硬": ["客户询问第二遍时语气明显不耐烦", "“这个我刚才说过了”"],
             "打断客户": ["客户说明故障时两次插话", "未等客户说完就开始解释"],
             "解答错误": ["退款时效答成 3 天，应为 7 个工作日"],
             "未记录工单": ["承诺回电但未建工单"]}
    return rng.choice(notes.get(item, [""]))


def _off_sample(reviewers: list[User], version, today, rng: random.Random) -> None:
    """Two evaluations outside the sample, each with its reason, as after a complaint."""
    picked = set(db.session.scalars(select(SampledCall.call_id)))
    candidates = db.session.scalars(select(Call).where(
        Call.started_at < _local(today - timedelta(days=2), 0, 0), Call.duration_s > 300)
        .order_by(Call.id).limit(200)).all()
    chosen = [c for c in candidates if c.id not in picked][:2]
    for reviewer, call in zip(reviewers, chosen, strict=False):
        when = call.started_at + timedelta(days=1)
        reason = "客户来电投诉服务态度，按投诉调取录音"
        evaluation = evaluations.start(call, reviewer, version, reason, when)
        item = next(i for i in version.items if i.name == "语气生硬")
        evaluations.save(evaluation, reviewer, [evaluations.Mark(item.id, "客户投诉属实", 42)],
                         evaluation.version, True, when)


def load(boss: User, _teams: list, rng: random.Random) -> str:
    """The area's demo data, summed up in a few words."""
    made = load_quality_demo(boss, rng)
    return (f"{made['calls']} calls, {made['draws']} daily samples, "
            f"{made['evaluations']} evaluations")
