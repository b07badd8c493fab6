"""QA reports: the report with its charts, the reviewers' consistency, the spreadsheet."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Response, abort, request
from flask_babel import gettext as _
from flask_login import current_user

from app import audit, charts
from app.extensions import db
from app.htmx import render
from app.i18n import lazy_gettext as _l
from app.qa import bp, policy, reports
from app.qa.forms import VersionForm
from app.qa.models import Evaluation
from app.timeutil import center_today
from app.web import date_arg

PERIOD_LABELS = {"day": _l("Day"), "week": _l("Week"), "month": _l("Month")}
GROUP_LABELS = {"agent": _l("Agent"), "team": _l("Team"), "reviewer": _l("Reviewer")}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _report_args() -> tuple[str, date, str]:
    period = request.args.get("period", "month")
    group = request.args.get("by", "agent")
    return (period if period in reports.PERIODS else "month", date_arg("day") or center_today(),
            group if group in reports.GROUPS else "agent")


def _off_sample_included() -> bool:
    """Off-sample evaluations are counted (and marked) unless ?off_sample=0 leaves them out."""
    return request.args.get("off_sample") != "0"


def _report_scope():
    """Leads see their team's agents only; reviewers and supervisors the whole center."""
    if policy.can_report_on_center(current_user):
        return None
    return policy.visible_agents(current_user, Evaluation.agent_id)


@bp.route("/qa/reports")
def show_report():
    """Daily, weekly or monthly QA report per agent, team or reviewer, with its charts."""
    period, day, group = _report_args()
    if group == "reviewer" and not policy.can_report_on_center(current_user):
        group = "agent"
    off_sample = _off_sample_included()
    report = reports.build(period, day, group, _report_scope(), off_sample)
    args = {"period": period, "by": group, "day": day.isoformat()}
    if not off_sample:
        args["off_sample"] = "0"
    return render("qa/report.html", report=report, periods=PERIOD_LABELS, groups=GROUP_LABELS,
                  prev_day=report.first - timedelta(days=1),
                  next_day=report.last + timedelta(days=1), day=day,
                  chart=charts.line_chart([average for _day, average, _n in report.trend]),
                  bars=charts.bar_chart([n for _label, n in report.buckets]), args=args)


@bp.route("/qa/consistency")
def show_consistency():
    """How alike the reviewers score: average against the center's and item by item."""
    period, day, _group = _report_args()
    found = reports.consistency(period, day, _off_sample_included())
    first, last = reports.bounds(period, day)
    return render("qa/consistency.html", found=found, period=period, day=day, first=first,
                  last=last, periods=PERIOD_LABELS)


@bp.route("/qa/reports.xlsx", methods=["POST"])
def export_report():
    """The report as a spreadsheet (supervisors). A POST: every export is audited, and a GET
    never changes anything."""
    if not VersionForm().validate_on_submit():
        abort(400)
    period, day, group = _report_args()
    report = reports.build(period, day, group, off_sample=_off_sample_included())
    body = reports.to_xlsx(report, {
        "off_sample": _("Off sample"), "left_out": _("left out"),
        "critical": _("Critical errors"), "critical_item": _("Critical item"), "yes": _("yes"),
        "period": str(PERIOD_LABELS[period]), "by": str(GROUP_LABELS[group]),
        "name": _("Name"), "count": _("Evaluations"), "average": _("Average"),
        "lowest": _("Lowest"), "highest": _("Highest"), "item": _("Deduction item"),
        "times": _("Times"), "points": _("Points deducted"), "day": _("Day"),
        "scores": _("Scores")})
    audit.record("report.export", object_type="report", object_id=f"{period}:{day}:{group}",
                 after={"period": period, "day": day, "by": group, "rows": len(report.rows),
                        "off_sample": report.off_sample_included})
    db.session.commit()
    name = f"qa-report-{period}-{report.first.isoformat()}-{group}.xlsx"
    return Response(body, mimetype=XLSX, headers={
        "Content-Disposition": f"attachment; filename={name}"})
