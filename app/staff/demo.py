"""Demo data for the time work: four weeks of shifts, and leave, swaps and handovers in every
state, for the people app/demo.py made."""

import random
from datetime import datetime, time, timedelta

from app.extensions import db
from app.people.models import Role, Team, User
from app.staff import handovers, leave, schedule, swaps
from app.timeutil import center_today, center_tz, utcnow
from app.workflow import Refusal

SHIFT_TIMES = [("早班", time(8), time(17)), ("中班", time(12), time(21)),
               ("晚班", time(14), time(23)), ("夜班", time(22), time(7))]


def load_time_demo(boss: User, teams: list[Team], rng: random.Random) -> dict[str, int]:
    """Four weeks of shifts (last week to two weeks ahead) and leave, swaps and handovers in every
    state, made through the same services people use, each at a plausible moment."""
    today = center_today()
    monday = schedule.week_start(today) - timedelta(weeks=1)
    last = monday + timedelta(weeks=4) - timedelta(days=1)
    shifts = 0
    for index, team in enumerate(teams):
        people = sorted(team.members, key=lambda u: u.employee_no)
        for slot, person in enumerate(people):
            label, start, end = SHIFT_TIMES[(slot + index) % len(SHIFT_TIMES)]
            off = {(slot + index) % 7, (slot + index + 1) % 7}  # two days off, rotating
            weekdays = {d for d in range(7) if d not in off}
            shifts += schedule.apply_pattern(team, [person], monday, last, weekdays, start,
                                             end, label, boss)
    db.session.flush()
    agents = [u for t in teams for u in sorted(t.members, key=lambda u: u.employee_no)
              if u.role == Role.AGENT]

    def upcoming(person: User, days_ahead: int):
        return next(s for s in schedule.my_shifts(person, today + timedelta(days=days_ahead))
                    if s.leave_id is None)

    def ask_leave(person, kind, days_ahead, reason):
        shift = upcoming(person, days_ahead)
        asked = utcnow() - timedelta(hours=8)  # in the past; the shift is days ahead
        request = leave.ask(person, kind, shift.starts_at, shift.ends_at, reason, asked)
        return request, asked

    made = {"leave": 0, "swaps": 0}
    reasons = ["孩子开家长会", "回老家办事", "身体不适需要复查", "搬家", "参加婚礼", "年假休息"]
    plan = ["pending_lead"] * 4 + ["pending_supervisor"] * 3 + ["approved"] * 4 + ["rejected"] * 2
    for number, outcome in enumerate(plan):
        person = agents[(number * 7) % len(agents)]
        kind = ["personal", "annual", "sick", "annual"][number % 4]
        if kind == "personal" and person.on_probation(today):
            kind = "annual"
        request, asked = ask_leave(person, kind, 3 + number % 9, reasons[number % len(reasons)])
        lead = leave.lead_of(person)
        if outcome != "pending_lead" and lead is not None:
            approve = outcome != "rejected"
            leave.decide(request, lead, approve, "" if approve else "当天人手不足，请改期",
                         request.version, asked + timedelta(hours=2))
        if outcome == "approved":
            leave.decide(request, boss, True, "", request.version, asked + timedelta(hours=5))
        made["leave"] += 1
        db.session.flush()

    for number in range(6):
        requester = agents[number]
        counterpart = next(a for a in agents[number + 10:] + agents[:number]
                           if a.grade == requester.grade and a.id != requester.id)
        pair = _swappable(requester, counterpart, today + timedelta(days=3 + number))
        if pair is None:
            continue
        mine, theirs, when = pair
        swap = swaps.ask(requester, mine, theirs, "家里有事，想和同事调一下班", when)
        steps = number % 4  # 0: waits for the colleague, 1: leads, 2: supervisor, 3: done
        if steps >= 1:
            swaps.decide(swap, counterpart, True, "", swap.version, when + timedelta(hours=1))
        if steps >= 2:
            for lead_id in sorted({swap.requester_lead_id, swap.counterpart_lead_id} - {None}):
                swaps.decide(swap, db.session.get(User, lead_id), True, "", swap.version,
                             when + timedelta(hours=2))
        if steps >= 3:
            swaps.decide(swap, boss, True, "", swap.version, when + timedelta(hours=3))
        made["swaps"] += 1
        db.session.flush()

    written = 0
    items = [
        ("customer", "客户王先生（尾号 3321）投诉退款未到账，已承诺今晚 20 点前回电", "值班组长"),
        ("instruction", "明天起话术更新：双十一活动退换货政策以最新知识库为准", "主管办公室"),
        ("equipment", "12 号座席耳机有杂音，已报 IT，工单号 IT-2031", "IT 服务台"),
    ]
    for index, team in enumerate(teams):
        lead = team.lead
        for days_back in (2, 1):
            day = today - timedelta(days=days_back)
            handover = handovers.write(
                team, lead, day, "早班 → 中班", "整体平稳，来电高峰在 10–11 点。",
                [items[(index + days_back) % len(items)]],
                datetime.combine(day, time(17), center_tz()))
            written += 1
            if days_back == 2:
                receiver = teams[(index + 1) % len(teams)].lead
                for item in handovers.items_to_receive(handover):
                    handovers.acknowledge(item, handover, receiver, False, "", item.version)
                handovers.sign(handover, receiver, handover.version,
                               datetime.combine(day, time(17, 20), center_tz()))
            db.session.flush()
    return {"shifts": shifts, "leave": made["leave"], "swaps": made["swaps"],
            "handovers": written}


def _swappable(requester: User, counterpart: User, since):
    """The first pair of upcoming shifts the two could exchange without a clash."""
    for mine in schedule.my_shifts(requester, since, limit=8):
        for theirs in schedule.my_shifts(counterpart, since, limit=8):
            when = utcnow() - timedelta(hours=8)  # in the past; both shifts are days ahead
            try:
                swaps.check_swap(requester, mine, theirs, when)
            except Refusal:
                continue
            return mine, theirs, when
    return None


def load(boss: User, teams: list[Team], rng: random.Random) -> str:
    """The area's demo data, summed up in a few words."""
    counts = load_time_demo(boss, teams, rng)
    return (f"{counts['shifts']} shifts, {counts['leave']} leave requests, "
            f"{counts['swaps']} shift swaps, {counts['handovers']} handovers")
