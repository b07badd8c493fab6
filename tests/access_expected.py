"""Who may open each route, written from ../shared/DESIGN.md (the roles table and the rules) and
SECURITY.md, independently of what the areas declare.

The access table the areas declare (merged by app.areas.access_table) is what the app enforces;
this table is what the design asks for. It is kept by hand, on purpose:
tests/test_access_expected.py fails when the two disagree, and the access matrix in
tests/test_access.py checks every real answer against this table, so a wrong entry in an area
shows up instead of being copied into the expected answer. A new route needs a line here too,
decided from DESIGN.md, not copied from the area.

The roles are "anonymous" (not signed in), "agent", "qa", "lead" and "supervisor". A route
opened to a role may still answer 403 for a step that is not that person's turn, or 404 for an
object outside their scope: that is the views' and policies' business, not this table's.
"""

ANYONE = frozenset({"anonymous", "agent", "qa", "lead", "supervisor"})
SIGNED_IN = frozenset({"agent", "qa", "lead", "supervisor"})

_TABLE: dict[str, set[str] | frozenset[str]] = {
    # anyone, signed in or not: the page furniture, the health check, the language switch and
    # the sign-in page itself
    "static": ANYONE,
    "main.health": ANYONE,
    "main.set_language": ANYONE,
    "auth.login": ANYONE,
    # the telephony system's door: it proves itself with an API token, not a session, so no
    # role is turned away before the token is checked
    "qa_api.receive_calls": ANYONE,
    # everyone signed in: the home page and its counter, sign-out, their own password, the
    # directory of colleagues and teams (a person who left is the supervisor's only: a policy)
    "main.home": SIGNED_IN,
    "main.pending_count": SIGNED_IN,
    # everyone signed in has an inbox (消息): the list, its unread counter, marking read. Each
    # person reads only their own notifications; another's is missing (404), not forbidden
    "inbox.list_notifications": SIGNED_IN,
    "inbox.unread_count": SIGNED_IN,
    "inbox.read_notification": SIGNED_IN,
    "inbox.read_all": SIGNED_IN,
    "auth.logout": SIGNED_IN,
    "auth.change_password": SIGNED_IN,
    "people.list_people": SIGNED_IN,
    "people.show_person": SIGNED_IN,
    "people.list_teams": SIGNED_IN,
    # only the supervisor manages people and settings: people, teams, grades, probation,
    # accounts, the people import, the center's rule numbers, the telephony system's tokens,
    # and the audit trail (the supervisor sees everything)
    "people.new_person": {"supervisor"},
    "people.edit_person": {"supervisor"},
    "people.deactivate_person": {"supervisor"},
    "people.promote_person": {"supervisor"},
    "people.confirm_person": {"supervisor"},
    "people.reset_password": {"supervisor"},
    "auth.unlock_person": {"supervisor"},
    # "a supervisor sees a list of locked accounts" (issue 13; SECURITY.md: a supervisor can
    # unlock)
    "auth.locked_accounts": {"supervisor"},
    "people.new_team": {"supervisor"},
    "people.edit_team": {"supervisor"},
    "people.import_people": {"supervisor"},
    "people.preview_import": {"supervisor"},
    "people.apply_import": {"supervisor"},
    "people.import_template": {"supervisor"},
    "main.edit_settings": {"supervisor"},
    "main.old_settings_address": {"supervisor"},
    "qa.list_tokens": {"supervisor"},
    "qa.revoke_token": {"supervisor"},
    "main.list_audit": {"supervisor"},
    # everyone works shifts: each sees their own
    "staff.my_shifts": SIGNED_IN,
    # a lead runs one team and sees its numbers (the week and its hourly head count); the
    # supervisor sees every team
    "staff.week_view": {"lead", "supervisor"},
    # the schedule (排班): a lead "runs one team" and writes its shifts, the supervisor writes
    # any team's (a policy keeps a lead to their own team). DESIGN.md's "rotas" in the
    # supervisor's row is the review rota (复核轮值), which comes with appeals; no line of it
    # takes the shift schedule from the lead
    "staff.new_shift": {"lead", "supervisor"},
    "staff.delete_shift": {"lead", "supervisor"},
    "staff.new_pattern": {"lead", "supervisor"},
    "staff.import_roster": {"lead", "supervisor"},
    "staff.preview_roster": {"lead", "supervisor"},
    "staff.apply_roster": {"lead", "supervisor"},
    "staff.roster_template": {"lead", "supervisor"},
    # anyone on the staff asks for leave, sees and withdraws their own (a lead may record an
    # agent's phoned-in sick leave)
    "staff.list_leave": SIGNED_IN,
    "staff.new_leave": SIGNED_IN,
    "staff.show_leave": SIGNED_IN,
    "staff.withdraw_leave": SIGNED_IN,
    # leads and the supervisor approve: leave (lead first, supervisor final) and stepping away
    "staff.decide_leave": {"lead", "supervisor"},
    "staff.decide_away": {"lead", "supervisor"},
    # a swap is between two agents or two leads: they ask and withdraw; the other person
    # agrees, both leads sign, the supervisor approves. QA reviewers have no part in it.
    "staff.new_swap": {"agent", "lead"},
    "staff.withdraw_swap": {"agent", "lead"},
    "staff.list_swaps": {"agent", "lead", "supervisor"},
    "staff.show_swap": {"agent", "lead", "supervisor"},
    "staff.decide_swap": {"agent", "lead", "supervisor"},
    # an agent asks the lead to step away (at most 5 minutes) and comes back; the lead (or the
    # supervisor) sees who is away and may mark the return for them
    "staff.ask_away": {"agent"},
    "staff.away_board": {"agent", "lead", "supervisor"},
    "staff.return_away": {"agent", "lead", "supervisor"},
    # leads write shift handovers, the incoming lead acknowledges and closes the items, the
    # lead signs; the supervisor stands in for any lead (a team without one goes to the
    # supervisor, who can take over any step)
    "staff.list_handovers": {"lead", "supervisor"},
    "staff.new_handover": {"lead", "supervisor"},
    "staff.show_handover": {"lead", "supervisor"},
    "staff.ack_handover_item": {"lead", "supervisor"},
    "staff.sign_handover": {"lead", "supervisor"},
    "staff.close_handover_item": {"lead", "supervisor"},
    # QA publishes sampling rules ahead of time; once published leads and agents can see them,
    # and anyone can recompute the sample (why these calls)
    "qa.new_rule": {"qa"},
    "qa.edit_rule": {"qa"},
    "qa.publish_rule": {"qa"},
    "qa.list_rules": SIGNED_IN,
    "qa.show_rule": SIGNED_IN,
    "qa.why_sampled": SIGNED_IN,
    "qa.rule_covered": SIGNED_IN,
    # QA scores the sampled calls: the reviewer's queue, the day's draw, the scorecard form
    "qa.queue": {"qa"},
    "qa.draw_sample": {"qa"},
    "qa.start_evaluation": {"qa"},
    "qa.save_evaluation": {"qa"},
    "qa.evaluation_total": {"qa"},
    # an agent sees their own calls and evaluations, a lead the team's, QA and the supervisor
    # all of them (the policy filters the objects)
    "qa.list_calls": SIGNED_IN,
    "qa.show_call": SIGNED_IN,
    "qa.list_evaluations": SIGNED_IN,
    "qa.show_evaluation": SIGNED_IN,
    # the scored person confirms having read the evaluation. Written first as the agent only,
    # which was too strict: leads (班长) take calls too, and sampling rules cover a team's or
    # named people's calls, leads included, so a lead confirms reading their own evaluation.
    "qa.confirm_read": {"agent", "lead"},
    # the supervisor manages scorecards; QA scores with them and leads speak for their agents
    # in appeals, so both read them (an agent sees the items on their own evaluations)
    "qa.list_scorecards": {"qa", "lead", "supervisor"},
    "qa.show_scorecard": {"qa", "lead", "supervisor"},
    "qa.add_category": {"supervisor"},
    "qa.add_item": {"supervisor"},
    "qa.change_item": {"supervisor"},
    "qa.remove_item": {"supervisor"},
    # call logs that did not come through the telephony API are uploaded by the people who run
    # quality: QA and the supervisor (DESIGN names no one; nobody else needs customer data)
    "qa.import_calls": {"qa", "supervisor"},
    "qa.preview_calls": {"qa", "supervisor"},
    "qa.apply_calls": {"qa", "supervisor"},
    # calibration: the reviewers take part ("runs QA reports and calibration") and score blind;
    # the supervisor starts and closes a round, so no reviewer can end a blind round early and
    # read the others' scores before scoring (the appeals rules have the supervisor start the
    # round that disputes propose)
    "qa.list_calibrations": {"qa", "supervisor"},
    "qa.show_calibration": {"qa", "supervisor"},
    "qa.new_calibration": {"supervisor"},
    "qa.close_calibration": {"supervisor"},
    "qa.score_calibration": {"qa"},
    # QA runs the QA reports; a lead sees the team's numbers; the supervisor sees everything.
    # How alike the reviewers score is QA's and the supervisor's; exports are the supervisor's
    # only (SECURITY.md)
    "qa.show_report": {"qa", "lead", "supervisor"},
    "qa.show_consistency": {"qa", "supervisor"},
    "qa.export_report": {"supervisor"},
}

EXPECTED: dict[str, frozenset[str]] = {endpoint: frozenset(roles)
                                       for endpoint, roles in _TABLE.items()}
