"""Properties of the client aggregate over generated people, sources, days and agreements: whatever
comes in, what intake publishes agrees with law.md (R1-R3, R5, R6, R8, R9, R31-R33)."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backbone.workdays import WorkingDays
from contracts.events.intake import ClientRegistered, ResponsibilityAssigned
from contracts.vocabulary import LUVN_GROUPS, Municipality, TargetGroup
from intake.domain.agreements import default_agreement_book
from intake.domain.client import INITIAL_INTERVIEW_WORKING_DAYS, Client, Policy, years_later
from intake.domain.responsibility import responsible_organisation
from services.intake.tests.factories import registration
from tests.support.people import people

from contracts.dates import today_in_finland
from intake.domain.errors import Refused

pytestmark = pytest.mark.unit

SOURCES = ("employment_region_jobseeker", "kela_notification", "refugee_placement", "municipal_newcomer_notice",
           "authority_contact", "own_request")
today_ = st.dates(min_value=date(2024, 1, 1), max_value=today_in_finland())  # registrations' dates are past days
policies = st.builds(
    lambda inga, inga_from, saturday, target: Policy(
        default_agreement_book(inga_status=inga, inga_from=inga_from), WorkingDays(saturday), target),
    st.sampled_from(["pending", "in_force"]), st.dates(date(2024, 1, 1), date(2032, 12, 31)), st.booleans(),
    st.integers(0, 15))
extra_groups = st.lists(st.sampled_from([TargetGroup.UNACCOMPANIED_MINOR, TargetGroup.TRAFFICKING_VICTIM]),
                        unique=True, max_size=2)


@st.composite
def registrations(draw):
    today = draw(today_)
    source = draw(st.sampled_from(SOURCES))
    permit = today - timedelta(days=draw(st.integers(0, 6 * 365)))
    facts = {"home_municipality": draw(st.sampled_from(Municipality)), "first_permit_date": permit.isoformat(),
             "target_groups": draw(extra_groups)}
    if source == "employment_region_jobseeker":
        facts["registered_on"] = (today - timedelta(days=draw(st.integers(0, 10)))).isoformat()
    if source == "kela_notification":
        facts["benefit"] = draw(st.sampled_from(["social_assistance", "home_care_allowance"]))
    return today, registration(source, today=today, **facts)


@settings(max_examples=300, deadline=None)
@given(case=registrations(), person=people(), policy=policies)
def test_what_a_registration_publishes_agrees_with_the_law(case, person, policy):
    today, reg = case
    under_23 = today < years_later(person.date_of_birth, 23)

    client = Client.register(uuid4(), reg, languages=person.languages, under_23=under_23, today=today, policy=policy)
    [event] = client.pending

    assert isinstance(event, ClientRegistered)
    groups = set(event.target_groups)
    counting = groups - (set() if under_23 else {TargetGroup.UNACCOMPANIED_MINOR})
    window_open = today <= event.window_ends_on
    # R2, R3: assessed exactly when a counting group and the window is open, or a trafficking victim
    assert (event.state == "to_be_assessed") == (bool(counting) and window_open
                                                 or TargetGroup.TRAFFICKING_VICTIM in counting)
    assert event.window_ends_on == years_later(reg.first_permit_date, 3)  # R2, R11: from the permit, not the move
    # R5: the employment region for registered jobseekers, else the municipality or its agreed provider
    jobseeker = reg.source == "employment_region_jobseeker"
    expected = responsible_organisation(jobseeker, reg.home_municipality, today, policy.agreements).organisation
    assert event.responsible_organisation == expected
    assert (event.responsible_organisation == "employment-region") == jobseeker
    assert event.luvn_participation_required == bool(groups & LUVN_GROUPS)  # R6
    # R8, R9, R31-R33: a target only when assessed, on a working day, the start day not counted
    if event.state == "guidance_only":
        assert event.assessment_due_on is None
    else:
        days = INITIAL_INTERVIEW_WORKING_DAYS if jobseeker else policy.assessment_target_working_days
        assert event.assessment_due_on == policy.working_days.deadline(event.registered_on, days=days, unit="working")
        assert event.assessment_due_on.weekday() != 6
        assert event.assessment_due_on > event.registered_on or days == 0


changes = st.lists(st.one_of(st.tuples(st.just("jobseeker"), st.booleans()),
                             st.tuples(st.just("move"), st.sampled_from(Municipality))), max_size=8)


@settings(max_examples=200, deadline=None)
@given(case=registrations(), policy=policies, steps=changes)
def test_R5_every_handover_names_who_had_the_client_and_ends_where_the_law_says(case, policy, steps):
    today, reg = case
    client = Client.register(uuid4(), reg, languages=("ar",), under_23=False, today=today, policy=policy)
    for kind, value in steps:
        try:
            if kind == "jobseeker":
                client.change_jobseeker_status(value, on=today, today=today, policy=policy)
            else:
                client.move(value, on=today, today=today, policy=policy)
        except Refused as refused:  # a step that changes nothing, or a status change without a registration
            assert refused.rule in ("unchanged.jobseeker_status", "unchanged.home_municipality",
                                    "ownership.jobseeker_registration")

    holder = client.pending[0].responsible_organisation
    for event in client.pending[1:]:
        if isinstance(event, ResponsibilityAssigned):
            assert event.previous_organisation == holder != event.responsible_organisation
            holder = event.responsible_organisation
    assert holder == responsible_organisation(client.registered_jobseeker, client.home_municipality, today,
                                              policy.agreements).organisation

