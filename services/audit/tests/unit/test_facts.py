from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from audit.domain.facts import Fact, add_months, client_state, figures, half_year, open_deadlines

pytestmark = pytest.mark.unit

C = uuid.uuid4()
AT = datetime(2026, 3, 2, 10, tzinfo=UTC)


def fact(type_: str, client=C, organisation="raseborg", at=AT, **payload) -> Fact:
    fact.seq += 1
    return Fact(fact.seq, type_, "x", organisation, client, at, {k: str(v) if isinstance(v, date) else v
                                                                  for k, v in payload.items()})


fact.seq = 0


def registered(client=C, municipality="raseborg", day=date(2026, 3, 2), source="kela_notification", **kw) -> Fact:
    return fact("ClientRegistered", client, home_municipality=municipality, registered_on=day, source=source,
                state="to_be_assessed", responsible_organisation=kw.pop("owner", "raseborg"),
                assessment_due_on=kw.pop("due", date(2026, 3, 9)), languages=["ar"], **kw)


def plan(day: date, plan_id="p1", client=C) -> Fact:
    return fact("PlanIssued", client, plan_id=plan_id, starts_on=day, ends_on=date(2027, 1, 1),
                responsible_organisation="raseborg")


def referral(day: date, plan_id="p1", client=C) -> Fact:
    return fact("ReferralMade", client, referral_id=str(uuid.uuid4()), plan_id=plan_id, referred_on=day)


class TestClientState:
    def test_each_part_shows_its_latest_state_and_unknown_types_change_nothing(self):
        state = client_state([registered(), fact("SomethingNew", whatever=1),
                              fact("AssessmentStarted", started_on=date(2026, 3, 4)),
                              plan(date(2026, 4, 1)), referral(date(2026, 4, 5)),
                              fact("NotificationSent", channel="sms", language="ar"),
                              fact("NotificationFailed", channel="email", final=True)])

        assert state == {"intake": "to_be_assessed, responsible raseborg", "assessment": "started 2026-03-04",
                         "plan": "issued, 2026-04-01 to 2027-01-01", "referrals": "1 made",
                         "messages": "1 delivered, 1 failed"}


class TestDeadlines:
    def test_r8_the_assessment_start_is_open_until_the_assessment_starts(self):
        opened = open_deadlines([registered()])
        closed = open_deadlines([registered(), fact("AssessmentStarted", started_on=date(2026, 3, 4))])

        assert [(d.what, d.rule, d.due_on, d.organisation) for d in opened] == [
            ("assessment start", "R8", date(2026, 3, 9), "raseborg")]
        assert closed == []

    def test_r12_a_referral_is_due_one_month_after_the_plan_and_r13_a_review_six_months(self):
        dues = {d.what: d for d in open_deadlines([registered(), fact("AssessmentStarted"), plan(date(2026, 1, 31))])}

        assert (dues["referral"].rule, dues["referral"].due_on) == ("R12", date(2026, 2, 28))
        assert (dues["plan review"].rule, dues["plan review"].due_on) == ("R13", date(2026, 7, 31))

    def test_a_referral_closes_r12_and_a_review_moves_r13(self):
        dues = open_deadlines([registered(), fact("AssessmentStarted"), plan(date(2026, 1, 10)),
                               referral(date(2026, 1, 20)),
                               fact("PlanReviewed", plan_id="p1", reviewed_on=date(2026, 5, 1))])

        assert [(d.what, d.due_on) for d in dues] == [("plan review", date(2026, 11, 1))]

    def test_an_ended_relationship_leaves_nothing_open(self):
        assert open_deadlines([registered(), fact("ClientRelationshipEnded", ended_on=date(2026, 3, 3))]) == []

    def test_the_owner_follows_responsibility(self):
        dues = open_deadlines([registered(owner="employment-region"),
                               fact("ResponsibilityAssigned", responsible_organisation="raseborg")])
        assert [d.organisation for d in dues] == ["raseborg"]


class TestFigures:
    def test_registrations_are_counted_by_source_for_the_municipality_and_half_year_only(self):
        facts = [registered(uuid.uuid4(), source="kela_notification"),
                 registered(uuid.uuid4(), source="kela_notification"),
                 registered(uuid.uuid4(), source="refugee_placement"),
                 registered(uuid.uuid4(), municipality="hango"),
                 registered(uuid.uuid4(), day=date(2026, 7, 1))]

        rows = figures(facts, "raseborg", "2026H1")["registrations"]

        assert [(r.label, r.value) for r in rows] == [("kela_notification", 2), ("refugee_placement", 1)]

    @pytest.mark.parametrize(("referred", "within"), [(date(2026, 2, 28), True), (date(2026, 3, 1), False)])
    def test_r12_a_referral_on_the_last_day_of_the_month_is_within_and_the_next_day_is_not(self, referred, within):
        facts = [registered(), plan(date(2026, 1, 31)), referral(referred)]

        rows = {r.label: r.value for r in figures(facts, "raseborg", "2026H1")["referrals"]}

        assert rows["share within 1 month"] == (100.0 if within else 0.0)

    def test_interviews_on_time_are_a_share_of_those_due_in_the_period(self):
        facts = [registered(),
                 fact("InitialInterviewScheduled", scheduled_at="2026-03-09T10:00:00+02:00", due_on=date(2026, 3, 9)),
                 fact("InitialInterviewScheduled", scheduled_at="2026-03-10T10:00:00+02:00", due_on=date(2026, 3, 9))]

        rows = {r.label: r.value for r in figures(facts, "raseborg", "2026H1")["on-time"]}

        assert rows["share of initial interviews on time"] == 50.0 and rows["initial interviews late"] == 1

    def test_messages_counselling_plans_and_overdue_reviews(self):
        facts = [registered(), fact("NotificationSent", channel="sms", language="ar"),
                 fact("NotificationFailed", channel="email", final=True),
                 fact("NotificationFailed", channel="email", final=False),
                 fact("CounsellingVisitRecorded", visited_on=date(2026, 3, 3), place="karis",
                      topics=["housing", "work"]),
                 plan(date(2026, 3, 5)), fact("PlanExtended", plan_id="p1", reason="illness"),
                 fact("DeadlineMissed", deadline="plan_review", due_on=date(2026, 4, 1))]

        f = figures(facts, "raseborg", "2026H1")

        assert {r.label: r.value for r in f["messages"]} == {"delivered / sms / ar": 1, "failed / email / ar": 1}
        assert {r.label: r.value for r in f["counselling"]} == {"karis / housing": 1, "karis / work": 1}
        assert {r.label: r.value for r in f["plans"]} == {"issued": 1, "extended: illness": 1}
        assert [r.value for r in f["reviews-overdue"]] == [1]


def test_half_years_and_months():
    assert (half_year(date(2026, 6, 30)), half_year(date(2026, 7, 1))) == ("2026H1", "2026H2")
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28) and add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)
