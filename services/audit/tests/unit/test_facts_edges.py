"""The console's derived facts at their edges: every event type the rules read, types they must
ignore, the first due date, the on-time boundaries and the rounding of shares. What mutation testing
of audit/domain/facts.py showed the first tests let through.

Facts are built as the console reads them from the trail: type and payload decoded from JSON, so
their strings are equal to, not the same objects as, the literals in the code."""

from __future__ import annotations

import dataclasses
import json
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from dateutil.relativedelta import relativedelta

from audit.domain.facts import Due, Fact, Row, add_months, client_state, figures, open_deadlines

pytestmark = pytest.mark.unit

AT = datetime(2026, 3, 2, 10, tzinfo=UTC)
NOTHING = {"intake": "nothing yet", "assessment": "nothing yet", "plan": "nothing yet", "referrals": "nothing yet",
           "messages": "nothing yet"}


class Trail:
    """Numbers facts in trail order, for one client unless told otherwise."""

    def __init__(self) -> None:
        self.seq = 0
        self.client = uuid.uuid4()

    def __call__(self, type_: str, client: uuid.UUID | None = None, organisation: str = "raseborg", at=AT,
                 **payload) -> Fact:
        self.seq += 1
        decoded = json.loads(json.dumps({"type": type_, "payload": payload}, default=str))
        return Fact(self.seq, decoded["type"], "x", organisation, client or self.client, at, decoded["payload"])


@pytest.fixture
def fact() -> Trail:
    return Trail()


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


# Fact.day and add_months ---------------------------------------------------------------------------
class TestDays:
    @pytest.mark.parametrize(("value", "day"), [
        ("2026-03-09", date(2026, 3, 9)), ("2026-03-09T23:30:00+02:00", date(2026, 3, 9)),
        ("2026-13-01", None), ("not a date", None), (20260309, None), (None, None),
    ])
    def test_a_payload_day_is_its_date_or_none(self, fact, value, day):
        assert fact("X", due_on=value).day("due_on") == day

    def test_a_missing_day_is_none(self, fact):
        assert fact("X").day("due_on") is None

    def test_add_months_matches_calendar_months_clamped_to_the_month_end(self):
        starts = [date(2023, 12, 1) + timedelta(days=i) for i in range(0, 500)]  # a leap February in it

        wrong = [(d, n) for d in starts for n in range(0, 26) if add_months(d, n) != d + relativedelta(months=n)]

        assert wrong == []

    def test_facts_dues_and_rows_cannot_be_changed_in_place(self, fact):
        for value in (fact("X"), Due("plan", "R10", uuid.uuid4(), None, "raseborg"), Row("x", 1)):
            name = dataclasses.fields(value)[0].name
            with pytest.raises(dataclasses.FrozenInstanceError):
                setattr(value, name, getattr(value, name))


# client_state ---------------------------------------------------------------------------------------
class TestClientState:
    @pytest.mark.parametrize(("type_", "payload", "part", "shown"), [
        ("ClientRegistered", {"state": "to_be_assessed", "responsible_organisation": "hango"}, "intake",
         "to_be_assessed, responsible hango"),
        ("ClientSourceAdded", {"state": "eligible"}, "intake", "eligible"),
        ("ResponsibilityAssigned", {"responsible_organisation": "inga", "effective_on": "2026-03-05"}, "intake",
         "responsible inga from 2026-03-05"),
        ("ClientRelationshipEnded", {"ended_on": "2026-04-01", "reason": "moved"}, "intake",
         "relationship ended 2026-04-01 (moved)"),
        ("ClientErased", {"erased_on": "2026-05-01"}, "intake", "erased 2026-05-01"),
        ("InitialInterviewScheduled", {"due_on": "2026-03-09"}, "assessment",
         "initial interview scheduled, due 2026-03-09"),
        ("AssessmentStarted", {"started_on": "2026-03-04"}, "assessment", "started 2026-03-04"),
        ("AssessmentCompleted", {"completed_on": "2026-03-20", "plan_needed": True}, "assessment",
         "completed 2026-03-20, plan needed"),
        ("AssessmentCompleted", {"completed_on": "2026-03-20", "plan_needed": False}, "assessment",
         "completed 2026-03-20, no plan needed"),
        ("AssessmentCompleted", {"completed_on": "2026-03-20"}, "assessment", "completed 2026-03-20, no plan needed"),
        ("PlanIssued", {"starts_on": "2026-04-01", "ends_on": "2027-01-01"}, "plan", "issued, 2026-04-01 to 2027-01-01"),
        ("PlanExtended", {"until": "2027-06-01", "reason": "illness"}, "plan", "extended until 2027-06-01 (illness)"),
        ("PlanEnded", {"ended_on": "2026-12-01", "reason": "employed"}, "plan", "ended 2026-12-01 (employed)"),
        ("NotificationSent", {}, "messages", "1 delivered, 0 failed"),
        ("NotificationFailed", {}, "messages", "0 delivered, 1 failed"),
        ("NotificationFailed", {"final": True}, "messages", "0 delivered, 1 failed"),
        ("NotificationFailed", {"final": False}, "messages", "nothing yet"),
        ("ReferralMade", {"referral_id": "r1"}, "referrals", "1 made"),
        ("ReferralAccepted", {"referral_id": "r1"}, "referrals", "1 accepted"),
        ("ReferralCompleted", {"referral_id": "r1"}, "referrals", "1 completed"),
        ("ReferralMade", {}, "referrals", "nothing yet"),
        ("ClientRegistered", {"responsible_organisation": "hango"}, "intake", "nothing yet"),
    ])
    def test_each_type_sets_its_part_and_only_its_part(self, fact, type_, payload, part, shown):
        assert client_state([fact(type_, **payload)]) == NOTHING | {part: shown}

    @pytest.mark.parametrize("type_", ["Aardvark", "Zebra", "AssessmentX", "PlanX", "ReferralX", "Notification"])
    def test_types_it_does_not_know_change_nothing_whatever_their_payload(self, fact, type_):
        payload = {"state": "x", "referral_id": "r1", "plan_needed": True, "final": True, "reason": "x",
                   "responsible_organisation": "hango"}

        assert client_state([fact(type_, **payload)]) == NOTHING

    def test_a_referral_shows_its_latest_step_and_referrals_are_counted_by_step(self, fact):
        state = client_state([fact("ReferralMade", referral_id="r1"), fact("ReferralMade", referral_id="r2"),
                              fact("ReferralMade", referral_id="r3"), fact("ReferralAccepted", referral_id="r1"),
                              fact("ReferralCompleted", referral_id="r2"), fact("ReferralAccepted", referral_id="r2")])

        assert state["referrals"] == "2 accepted, 1 made"

    def test_messages_count_every_delivery_and_final_failure(self, fact):
        state = client_state([fact("NotificationSent"), fact("NotificationSent"), fact("NotificationFailed"),
                              fact("NotificationFailed", final=False), fact("NotificationFailed", final=True)])

        assert state["messages"] == "2 delivered, 2 failed"


# open_deadlines -------------------------------------------------------------------------------------
def whats(dues: list[Due]) -> list[tuple]:
    return [(d.what, d.rule, d.due_on, d.organisation, d.subject) for d in dues]


class TestDeadlines:
    def test_r9_the_initial_interview_is_open_until_the_assessment_starts_or_completes(self, fact):
        scheduled = fact("InitialInterviewScheduled", due_on="2026-03-09")

        assert whats(open_deadlines([scheduled])) == [("initial interview", "R9", date(2026, 3, 9), "raseborg", "")]
        assert open_deadlines([scheduled, fact("AssessmentStarted")]) == []
        assert open_deadlines([scheduled, fact("AssessmentCompleted")]) == []

    def test_r8_closes_when_the_assessment_completes(self, fact):
        assert open_deadlines([fact("ClientRegistered", assessment_due_on="2026-03-09"),
                               fact("AssessmentCompleted", plan_needed=False)]) == []

    def test_r10_a_plan_is_due_without_delay_only_when_the_assessment_needs_one(self, fact):
        needed = open_deadlines([fact("AssessmentCompleted", plan_needed=True)])

        assert whats(needed) == [("plan", "R10", None, "raseborg", "")]
        assert open_deadlines([fact("AssessmentCompleted", plan_needed=False)]) == []
        issued = open_deadlines([fact("AssessmentCompleted", plan_needed=True),
                                 fact("PlanIssued", plan_id="p1", starts_on="2026-01-10")])
        assert [d.what for d in issued] == ["referral", "plan review"]

    def test_a_registration_without_a_due_date_opens_nothing(self, fact):
        assert open_deadlines([fact("ClientRegistered", responsible_organisation="hango")]) == []

    def test_r8_opens_once_from_the_first_due_date_and_is_not_reopened_by_a_later_source(self, fact):
        first = [fact("ClientRegistered", assessment_due_on="2026-03-09"),
                 fact("ClientSourceAdded", assessment_due_on="2026-03-20")]

        assert whats(open_deadlines(first)) == [("assessment start", "R8", date(2026, 3, 9), "raseborg", "")]
        assert open_deadlines(first + [fact("AssessmentStarted"),
                                       fact("ClientSourceAdded", assessment_due_on="2026-04-01")]) == []

    def test_without_any_responsible_organisation_the_publishing_organisation_owns_it(self, fact):
        dues = open_deadlines([fact("InitialInterviewScheduled", organisation="inga", due_on="2026-03-09")])

        assert [d.organisation for d in dues] == ["inga"]

    def test_plan_ended_closes_that_plans_referral_and_review_only(self, fact):
        issued = [fact("PlanIssued", plan_id="p1", starts_on="2026-01-10"),
                  fact("PlanIssued", plan_id="p2", starts_on="2026-02-10")]

        dues = open_deadlines(issued + [fact("PlanEnded", plan_id="p1")])

        assert whats(dues) == [("referral", "R12", date(2026, 3, 10), "raseborg", "p2"),
                               ("plan review", "R13", date(2026, 8, 10), "raseborg", "p2")]

    def test_a_plan_extension_moves_the_review_six_months_from_its_day(self, fact):
        dues = open_deadlines([fact("PlanIssued", plan_id="p1", starts_on="2026-01-10"),
                               fact("ReferralMade", plan_id="p1"),
                               fact("PlanExtended", plan_id="p1", at=at(date(2026, 5, 31)))])

        assert whats(dues) == [("plan review", "R13", date(2026, 11, 30), "raseborg", "p1")]

    def test_a_plan_without_a_start_day_counts_from_the_day_it_was_issued(self, fact):
        dues = open_deadlines([fact("PlanIssued", plan_id="p1", at=at(date(2026, 1, 31)))])

        assert [d.due_on for d in dues] == [date(2026, 2, 28), date(2026, 7, 31)]

    @pytest.mark.parametrize("type_", ["PlanIssued", "ReferralMade", "PlanReviewed", "PlanExtended", "PlanEnded"])
    def test_plan_events_without_a_plan_id_change_nothing(self, fact, type_):
        before = [fact("PlanIssued", plan_id="p1", starts_on="2026-01-10")]

        assert open_deadlines(before + [fact(type_, starts_on="2026-02-01", reviewed_on="2026-02-01")]) == \
            open_deadlines(before)

    @pytest.mark.parametrize("type_", ["Aardvark", "Zebra", "PlanX", "ReferralAccepted", "AssessmentX"])
    def test_types_it_does_not_track_close_and_open_nothing(self, fact, type_):
        before = [fact("ClientRegistered", assessment_due_on="2026-03-09"),
                  fact("InitialInterviewScheduled", due_on="2026-03-05"),
                  fact("PlanIssued", plan_id="p1", starts_on="2026-01-10")]
        other = fact(type_, plan_id="p1", plan_needed=True, assessment_due_on="2026-03-01", due_on="2026-03-01",
                     reviewed_on="2026-03-01", starts_on="2026-03-01")

        assert open_deadlines(before + [other]) == open_deadlines(before)

    def test_dues_are_sorted_without_delay_first_then_by_date(self, fact):
        dues = open_deadlines([fact("ClientRegistered", assessment_due_on="2026-09-01"),
                               fact("PlanIssued", plan_id="p1", starts_on="2026-01-10"),
                               fact("AssessmentCompleted", plan_needed=True),
                               fact("InitialInterviewScheduled", client=uuid.uuid4(), due_on="2026-01-01")])

        assert [(d.what, d.due_on) for d in dues] == [
            ("plan", None), ("initial interview", date(2026, 1, 1)), ("referral", date(2026, 2, 10)),
            ("plan review", date(2026, 7, 10))]


# figures --------------------------------------------------------------------------------------------
def rows(facts: list[Fact], figure: str, municipality: str = "raseborg", half: str = "2026H1") -> dict[str, float]:
    return {r.label: r.value for r in figures(facts, municipality, half)[figure]}


class TestFigures:
    def test_only_the_asked_municipality_and_half_year_count(self, fact):
        facts = [fact("ClientRegistered", client=uuid.uuid4(), home_municipality=m, registered_on=day, source=m)
                 for m in ("hango", "inga", "raseborg") for day in ("2025-12-31", "2026-01-01", "2026-07-01")]

        assert rows(facts, "registrations", "inga", "2026H1") == {"inga": 1}
        assert rows(facts, "registrations", "inga", "2026H2") == {"inga": 1}
        assert rows(facts, "registrations", "hango", "2025H2") == {"hango": 1}

    def test_a_registration_without_a_day_or_source_counts_on_its_own_day_as_unknown(self, fact):
        facts = [fact("ClientRegistered", home_municipality="raseborg", at=at(date(2026, 6, 30)))]

        assert rows(facts, "registrations") == {"unknown": 1}

    def test_interviews_on_or_before_the_due_day_are_on_time_and_after_it_late(self, fact):
        facts = [fact("ClientRegistered", home_municipality="raseborg")] + [
            fact("InitialInterviewScheduled", scheduled_at=s, due_on="2026-03-09")
            for s in ("2026-03-01T10:00:00+02:00", "2026-03-09T10:00:00+02:00", "2026-03-10T10:00:00+02:00")] + [
            fact("InitialInterviewScheduled", due_on="2026-03-09")]

        assert rows(facts, "on-time") == {"share of initial interviews on time": 50.0,
                                          "initial interviews on time": 2, "initial interviews late": 2}

    def test_assessments_are_on_time_against_the_first_due_day_once_per_client(self, fact):
        def client(started_on: str | None, *, later_due: bool = False) -> list[Fact]:
            c = uuid.uuid4()
            facts = [fact("ClientRegistered", client=c, home_municipality="raseborg", assessment_due_on="2026-03-09")]
            if later_due:
                facts.append(fact("ClientSourceAdded", client=c, assessment_due_on="2026-03-31"))
            started = {"started_on": started_on} if started_on else {}
            return facts + [fact("AssessmentCompleted", client=c, completed_on="2026-03-01"),
                            fact("AssessmentStarted", client=c, **started),
                            fact("AssessmentStarted", client=c, started_on="2026-12-01")]

        # 3 before the due day, 1 on it, 2 after it (one of them before a later source's due day), 1 undated
        facts = (client("2026-03-01") + client("2026-03-05") + client("2026-03-08") + client("2026-03-09")
                 + client("2026-03-10") + client("2026-03-20", later_due=True) + client(None))

        assert rows(facts, "on-time") == {"share of assessments on time": 57.1, "assessments on time": 4,
                                          "assessments late": 3}

    def test_an_assessment_due_in_another_half_year_is_not_counted(self, fact):
        facts = [fact("ClientRegistered", home_municipality="raseborg", assessment_due_on="2026-07-01"),
                 fact("AssessmentStarted", started_on="2026-06-30")]

        assert rows(facts, "on-time") == {}

    def test_shares_are_rounded_to_one_decimal(self, fact):
        facts = [fact("ClientRegistered", home_municipality="raseborg")] + [
            fact("InitialInterviewScheduled", scheduled_at=s, due_on="2026-03-09")
            for s in ("2026-03-01", "2026-03-02", "2026-03-20")]

        assert rows(facts, "on-time")["share of initial interviews on time"] == 66.7

    def test_referrals_count_the_first_referral_of_each_plan(self, fact):
        def plan(plan_id: str, *events: Fact) -> list[Fact]:
            return [fact("PlanIssued", plan_id=plan_id, starts_on="2026-01-31"), *events]

        facts = [fact("ClientRegistered", home_municipality="raseborg")]
        facts += plan("early", fact("ReferralMade", plan_id="early", referred_on="2026-02-01"),
                      fact("ReferralMade", plan_id="early", referred_on="2026-05-01"))
        facts += plan("reviewed", fact("PlanReviewed", plan_id="reviewed", reviewed_on="2026-02-01"),
                      fact("Zebra", plan_id="reviewed", referred_on="2026-02-01"),
                      fact("ReferralMade", referred_on="2026-02-01"))
        facts += plan("late", fact("ReferralMade", plan_id="late", referred_on="2026-03-01"))
        facts += plan("undated", fact("ReferralMade", plan_id="undated", at=at(date(2026, 2, 27))))

        assert rows(facts, "referrals") == {"share within 1 month": 50.0, "within 1 month": 2,
                                            "later or not yet": 2}

    def test_plans_issued_in_the_period_and_extensions_by_ground(self, fact):
        facts = [fact("ClientRegistered", home_municipality="raseborg"),
                 fact("PlanIssued", plan_id="p1", at=at(date(2026, 2, 1))),
                 fact("PlanIssued", plan_id="p2", starts_on="2026-07-01"),
                 fact("PlanIssued", starts_on="2026-02-01"),
                 fact("PlanExtended", plan_id="p1", reason="illness"), fact("PlanExtended", plan_id="p1"),
                 fact("PlanExtended", plan_id="p1", reason="illness", at=at(date(2026, 7, 1)))]

        assert rows(facts, "plans") == {"issued": 1, "extended: illness": 1, "extended: unknown": 1}

    def test_overdue_reviews_count_only_plan_review_deadlines_due_in_the_period(self, fact):
        facts = [fact("ClientRegistered", home_municipality="raseborg")] + [
            fact("DeadlineMissed", deadline=d, due_on=day)
            for d, day in (("plan_review", "2026-04-01"), ("plan_review", "2026-07-01"), ("assessment_start",
                           "2026-04-01"), ("referral", "2026-04-01"), ("plan_reviews", "2026-04-01"))]

        assert rows(facts, "reviews-overdue") == {"reviews overdue": 1}

    def test_counselling_by_place_else_mode_and_topic_in_the_period(self, fact):
        facts = [fact("ClientRegistered", home_municipality="raseborg"),
                 fact("CounsellingVisitRecorded", visited_on="2026-03-03", place="karis", mode="phone",
                      topics=["housing"]),
                 fact("CounsellingVisitRecorded", visited_on="2026-03-03", mode="phone", topics=["work", "housing"]),
                 fact("CounsellingVisitRecorded", visited_on="2026-03-03"),
                 fact("CounsellingVisitRecorded", visited_on="2026-07-03", place="karis", topics=["housing"])]

        assert rows(facts, "counselling") == {"karis / housing": 1, "phone / work": 1, "phone / housing": 1,
                                              "unknown / unknown": 1}

    def test_messages_by_channel_and_the_clients_first_language(self, fact):
        facts = [fact("ClientRegistered", home_municipality="raseborg", languages=["ar", "sv"]),
                 fact("NotificationSent", channel="sms", language="ar"),
                 fact("NotificationSent", channel="sms", language="ar", at=at(date(2026, 7, 1))),
                 fact("NotificationFailed", channel="email"), fact("NotificationFailed", channel="email", final=True),
                 fact("NotificationFailed", channel="email", final=False),
                 fact("NotificationFailed", channel="email", at=at(date(2026, 7, 1)))]

        assert rows(facts, "messages") == {"delivered / sms / ar": 1, "failed / email / ar": 2}

    @pytest.mark.parametrize("type_", ["Aardvark", "Zebra", "Initial", "DeadlineX", "NotificationX", "ReferralX"])
    def test_types_it_does_not_know_count_nowhere(self, fact, type_):
        before = [fact("ClientRegistered", home_municipality="raseborg", assessment_due_on="2026-03-09"),
                  fact("PlanIssued", plan_id="p1", starts_on="2026-01-31")]
        other = fact(type_, plan_id="p1", due_on="2026-03-09", scheduled_at="2026-03-01", started_on="2026-03-01",
                     deadline="plan_review", visited_on="2026-03-03", referred_on="2026-02-01", channel="sms",
                     final=True, reason="x", topics=["x"], place="x", source="x")

        assert figures(before + [other], "raseborg", "2026H1") == figures(before, "raseborg", "2026H1")
