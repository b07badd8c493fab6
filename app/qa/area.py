"""What quality declares: its routes' access, links and home card, its settings and the
command that draws the finished days' samples."""

from datetime import date

import click
from flask import Flask
from flask_babel import ngettext
from sqlalchemy import select

from app.access import (
    ON_THE_FLOOR,
    PUBLIC,
    QA,
    QA_AND_SUPERVISOR,
    QUALITY_VIEWERS,
    SIGNED_IN,
    SUPERVISOR,
)
from app.areas import Area, NavLink, Panel, Waiting
from app.extensions import db
from app.i18n import lazy_gettext as _l
from app.qa import (
    api,
    bp,
    calibration,
    call_routes,
    demo,
    home,
    notifications,
    policy,
    rule_routes,
    rules,
)
from app.qa.models import SamplingRule
from app.settings import Kind, Spec
from app.timeutil import utcnow
from app.workflow import Refusal


def _quality_card(user) -> dict | None:
    found = home.card(user)
    return None if found is None else {"q": found}


def _setup(app: Flask) -> None:
    @app.cli.command("draw-samples")
    @click.option("--day", type=click.DateTime(formats=["%Y-%m-%d"]),
                  help="Draw only this day (YYYY-MM-DD); it must have ended.")
    def draw_samples_command(day) -> None:
        """Draw the samples that are due: every finished day (past its grace period) of every
        published rule that has not drawn it yet. Run it from cron once a night."""
        only: date | None = day.date() if day else None
        try:
            made = rules.draw_due(utcnow(), only)
        except Refusal as refusal:
            db.session.rollback()
            raise click.ClickException(refusal.message) from None
        db.session.commit()
        for draw in made:
            click.echo(f"{draw.day.isoformat()}  rule {draw.rule_id}: {len(draw.picks)} calls")
        click.echo(f"Drew {len(made)} samples.")


def _rule_names(ids: list[int]) -> dict[int, str]:
    """Sampling rules by their names, for the audit trail."""
    return dict(db.session.execute(select(SamplingRule.id, SamplingRule.name).where(
        SamplingRule.id.in_(ids))).all()) if ids else {}


AREA = Area(
    name="qa",
    title=_l("Quality"),
    # The telephony system's door is the one second blueprint: an API token, never a session
    # (see app/qa/api.py).
    blueprints=(bp, api.bp),
    access={
        "qa.list_calls": SIGNED_IN,
        "qa.show_call": SIGNED_IN,
        "qa.list_rules": SIGNED_IN,
        "qa.show_rule": SIGNED_IN,
        "qa.why_sampled": SIGNED_IN,
        "qa.rule_covered": SIGNED_IN,
        "qa.new_rule": QA,
        "qa.edit_rule": QA,
        "qa.publish_rule": QA,
        "qa.queue": QA,
        "qa.draw_sample": QA,
        "qa.start_evaluation": QA,
        "qa.show_evaluation": SIGNED_IN,
        "qa.save_evaluation": QA,
        "qa.evaluation_total": QA,
        "qa.confirm_read": ON_THE_FLOOR,
        "qa.list_evaluations": SIGNED_IN,
        "qa.list_scorecards": QUALITY_VIEWERS,
        "qa.show_scorecard": QUALITY_VIEWERS,
        "qa.add_category": SUPERVISOR,
        "qa.add_item": SUPERVISOR,
        "qa.change_item": SUPERVISOR,
        "qa.remove_item": SUPERVISOR,
        "qa.import_calls": QA_AND_SUPERVISOR,
        "qa.preview_calls": QA_AND_SUPERVISOR,
        "qa.apply_calls": QA_AND_SUPERVISOR,
        "qa.list_calibrations": QA_AND_SUPERVISOR,
        "qa.new_calibration": SUPERVISOR,
        "qa.show_calibration": QA_AND_SUPERVISOR,
        "qa.score_calibration": QA,
        "qa.close_calibration": SUPERVISOR,
        "qa.show_report": QUALITY_VIEWERS,
        "qa.show_consistency": QA_AND_SUPERVISOR,
        "qa.export_report": SUPERVISOR,
        "qa.list_tokens": SUPERVISOR,
        "qa.revoke_token": SUPERVISOR,
        "qa_api.receive_calls": PUBLIC,
    },
    before_password_change=frozenset({"qa_api.receive_calls"}),
    nav=(
        NavLink("qa.queue", _l("QA queue"), 70),
        NavLink("qa.list_evaluations", _l("Evaluations"), 80),
        NavLink("qa.list_calls", _l("Calls"), 110, more=True),
        NavLink("qa.list_rules", _l("Sampling rules"), 120, more=True),
        NavLink("qa.list_scorecards", _l("Scorecards"), 130, more=True),
        NavLink("qa.show_report", _l("QA reports"), 140, more=True),
        NavLink("qa.show_consistency", _l("Consistency"), 150, more=True),
        NavLink("qa.list_calibrations", _l("Calibration"), 160, more=True),
        NavLink("qa.list_tokens", _l("API tokens"), 170, more=True),
    ),
    home_cards=(Panel("qa/_card_quality.html", _quality_card, 20),),
    waiting=(
        Waiting("calibrations", calibration.waiting_for,
                lambda n: ngettext("%(num)d calibration round waits for your score",
                                   "%(num)d calibration rounds wait for your score", n),
                "qa.list_calibrations"),
    ),
    audit_actions={
        "call.import": _l("Calls imported"),
        "api_token.create": _l("API token made"),
        "api_token.revoke": _l("API token revoked"),
        "scorecard.create": _l("Scorecard created"),
        "scorecard.new_version": _l("Scorecard version made"),
        "scorecard.add_category": _l("Scorecard category added"),
        "scorecard.add_item": _l("Deduction item added"),
        "scorecard.change_item": _l("Deduction item changed"),
        "scorecard.remove_item": _l("Deduction item removed"),
        "sampling_rule.save": _l("Sampling rule saved"),
        "sampling_rule.publish": _l("Sampling rule published"),
        "sample.draw": _l("Sample drawn"),
        "evaluation.start": _l("Evaluation started"),
        "evaluation.save": _l("Evaluation saved"),
        "evaluation.publish": _l("Evaluation published"),
        "evaluation.read": _l("Evaluation read"),
        "calibration.create": _l("Calibration started"),
        "calibration.close": _l("Calibration closed"),
        "report.export": _l("Report exported"),
    },
    audit_objects={
        "call": (_l("Call"), "qa.show_call", "call_id"),
        "api_token": (_l("API token"), None, None),
        "scorecard": (_l("Scorecard"), "qa.show_scorecard", "scorecard_id"),
        "scorecard_version": (_l("Scorecard version"), None, None),
        "scorecard_category": (_l("Scorecard category"), None, None),
        "scorecard_item": (_l("Deduction item"), None, None),
        "sampling_rule": (_l("Sampling rule"), "qa.show_rule", "rule_id"),
        "sample_draw": (_l("Daily sample"), None, None),
        "evaluation": (_l("Evaluation"), "qa.show_evaluation", "evaluation_id"),
        "calibration": (_l("Calibration"), "qa.show_calibration", "calibration_id"),
        "report": (_l("QA report"), None, None),
    },
    audit_values={("evaluation", "status"): call_routes.EVALUATION_STATUS,
                  ("sampling_rule", "status"): rule_routes.RULE_STATUS},
    audit_names={"sampling_rule": _rule_names},
    template_globals={"qa_policy": policy},
    notification_kinds=notifications.KINDS,
    settings=(
        Spec("rule_notice_days", Kind.WHOLE, 1,
             _l("A sampling rule must be published this many days before its first day"),
             _l("days"), 1, 30),
        Spec("sample_grace_minutes", Kind.WHOLE, 60,
             _l("A day's sample is drawn this long after the day ends, so late uploads of "
                "its calls count"), _l("minutes"), 0, 1440),
        Spec("recording_hosts", Kind.TEXTS, [],
             _l("Recording servers: a call's recording address must be on one of these host "
                "names (one per line, e.g. rec.example.cn)")),
    ),
    setup=_setup,
    demo=demo.load,
)
