"""Each source in law's terms, and the client aggregate's decisions: R1-R9, R29, R30, ownership."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import uuid4

import pytest

from contracts.events.intake import (
    ClientDetailsChanged,
    ClientErased,
    ClientRegistered,
    ClientRelationshipEnded,
    ClientSourceAdded,
    ResponsibilityAssigned,
)
from intake.domain import sources
from intake.domain.agreements import default_agreement_book
from intake.domain.client import Client, Policy
from intake.domain.errors import Refused
from services.intake.tests.factories import TODAY, registration

pytestmark = pytest.mark.unit

POLICY = Policy()
INGA_IN_FORCE = Policy(default_agreement_book(inga_status="in_force", inga_from=date(2026, 1, 1)))


def register(source: str = "refugee_placement", *, policy: Policy = POLICY, under_23: bool = False,
             today: date = TODAY, **facts) -> Client:
    return Client.register(uuid4(), registration(source, today=today, **facts), languages=("ar", "sv"),
                           under_23=under_23, today=today, policy=policy)


def only(client: Client, kind: type):
    [event] = [e for e in client.pending if isinstance(e, kind)]
    return event


class TestSenders:
    @pytest.mark.parametrize(("source", "sender"), [
        ("employment_region_jobseeker", "employment-region"), ("kela_notification", "kela"),
        ("refugee_placement", "hango"), ("municipal_newcomer_notice", "hango"), ("authority_contact", "luvn"),
        ("authority_contact", "kela"), ("authority_contact", "employment-region")])
    def test_the_owner_of_a_source_may_send_it(self, source, sender):
        sources.check_sender(registration(source), sender)

    @pytest.mark.parametrize(("source", "sender"), [
        ("employment_region_jobseeker", "raseborg"), ("kela_notification", "hango"),
        ("refugee_placement", "kela"), ("municipal_newcomer_notice", "employment-region"),
        ("own_request", "raseborg")])
    def test_anyone_else_is_refused_naming_the_ownership_rule(self, source, sender):
        with pytest.raises(Refused) as refused:
            sources.check_sender(registration(source), sender)
        assert refused.value.rule == "ownership.source"

    def test_a_municipality_places_refugees_for_its_own_residents_only(self):
        with pytest.raises(Refused) as refused:
            sources.check_sender(registration("refugee_placement", home_municipality="inga"), "hango")
        assert refused.value.rule == "ownership.municipality"

    def test_only_the_person_sends_an_own_request_and_the_person_sends_nothing_else(self):
        sources.check_sender(registration("own_request"), None)
        with pytest.raises(Refused):
            sources.check_sender(registration("kela_notification"), None)


class TestLaw:
    def test_R1_a_newcomer_notice_without_a_target_group_gives_guidance_only(self):
        event = only(register("municipal_newcomer_notice"), ClientRegistered)

        assert (event.state, event.state_rule, event.assessment_due_on) == ("guidance_only", "R2", None)
        assert event.state_reason == "no_qualifying_target_group"

    def test_R2_each_source_establishes_its_target_group_and_the_person_is_to_be_assessed(self):
        cases = {"employment_region_jobseeker": "unemployed_jobseeker", "kela_notification": "social_assistance",
                 "refugee_placement": "international_protection",
                 "authority_contact": "own_request_or_authority_contact",
                 "own_request": "own_request_or_authority_contact"}
        for source, group in cases.items():
            event = only(register(source), ClientRegistered)
            assert group in event.target_groups and event.state == "to_be_assessed", source

    def test_R2_the_window_runs_from_the_first_permit_not_from_moving(self):
        event = only(register(first_permit_date="2023-03-03", moved_to_finland_on="2022-01-10"), ClientRegistered)

        assert event.window_ends_on == date(2026, 3, 3)
        assert event.state == "to_be_assessed"

    def test_R2_after_the_window_a_refugee_is_offered_guidance_only(self):
        event = only(register(first_permit_date="2023-03-01"), ClientRegistered)

        assert (event.state, event.state_reason) == ("guidance_only", "window_expired")

    def test_R2_an_unaccompanied_minor_counts_only_under_23(self):
        young = only(register("municipal_newcomer_notice", under_23=True, target_groups=["unaccompanied_minor"]),
                     ClientRegistered)
        older = only(register("municipal_newcomer_notice", under_23=False, target_groups=["unaccompanied_minor"]),
                     ClientRegistered)

        assert (young.state, older.state) == ("to_be_assessed", "guidance_only")

    def test_R3_a_trafficking_victim_is_assessed_after_the_window(self):
        event = only(register("authority_contact", first_permit_date="2020-01-01",
                              target_groups=["trafficking_victim"]), ClientRegistered)

        assert (event.state, event.state_reason, event.state_rule) == (
            "to_be_assessed", "trafficking_victim_after_window", "R3")

    def test_R4_registration_never_makes_an_integration_client_only_someone_to_assess(self):
        # "Integration client" in law is a person with a valid plan (§16); intake never issues one.
        states = {only(register(s), ClientRegistered).state for s in
                  ("employment_region_jobseeker", "kela_notification", "municipal_newcomer_notice")}

        assert states <= {"to_be_assessed", "guidance_only"}

    def test_R5_a_registered_jobseeker_belongs_to_the_employment_region(self):
        event = only(register("employment_region_jobseeker"), ClientRegistered)

        assert (event.responsible_organisation, event.responsibility_reason) == (
            "employment-region", "registered_jobseeker")
        assert event.registered_jobseeker is True

    def test_R5_anyone_else_belongs_to_the_municipality_or_its_agreed_provider(self):
        hango = only(register(home_municipality="hango"), ClientRegistered)
        inga_pending = only(register("kela_notification", home_municipality="inga"), ClientRegistered)
        inga_in_force = only(register("kela_notification", home_municipality="inga", policy=INGA_IN_FORCE),
                             ClientRegistered)

        assert (hango.responsible_organisation, hango.responsibility_reason) == ("raseborg", "service_agreement")
        assert (inga_pending.responsible_organisation, inga_pending.responsibility_reason) == (
            "inga", "own_municipal_services")
        assert inga_in_force.responsible_organisation == "raseborg"

    def test_R5_responsibility_moves_when_jobseeker_status_changes_with_from_to_and_reason(self):
        client = register("employment_region_jobseeker")
        client.pending.clear()

        client.change_jobseeker_status(False, on=TODAY, today=TODAY, policy=POLICY)
        back = only(client, ResponsibilityAssigned)
        client.pending.clear()
        client.change_jobseeker_status(True, on=TODAY, today=TODAY, policy=POLICY)
        moved = only(client, ResponsibilityAssigned)

        assert (moved.previous_organisation, moved.responsible_organisation, moved.reason) == (
            "raseborg", "employment-region", "registered_as_jobseeker")
        assert (back.previous_organisation, back.responsible_organisation, back.reason) == (
            "employment-region", "raseborg", "no_longer_registered_jobseeker")

    def test_R5_responsibility_moves_with_the_home_municipality_unless_the_region_is_responsible(self):
        client = register("kela_notification", home_municipality="raseborg")
        client.pending.clear()
        client.move("inga", on=TODAY, today=TODAY, policy=POLICY)
        jobseeker = register("employment_region_jobseeker", home_municipality="raseborg")
        jobseeker.pending.clear()
        jobseeker.move("inga", on=TODAY, today=TODAY, policy=POLICY)

        assert only(client, ResponsibilityAssigned).responsible_organisation == "inga"
        assert only(client, ClientDetailsChanged).home_municipality == "inga"
        assert [type(e) for e in jobseeker.pending] == [ClientDetailsChanged]

    def test_R5_an_agreement_entering_into_force_hands_inkoo_clients_to_raseborg(self):
        client = register("kela_notification", home_municipality="inga")
        client.pending.clear()

        client.review_responsibility(today=TODAY, policy=INGA_IN_FORCE)

        event = only(client, ResponsibilityAssigned)
        assert (event.previous_organisation, event.responsible_organisation, event.reason) == (
            "inga", "raseborg", "service_agreement_changed")

    def test_R6_luvn_takes_part_for_quota_refugees_and_social_assistance_not_for_jobseekers(self):
        assert only(register("refugee_placement"), ClientRegistered).luvn_participation_required is True
        assert only(register("kela_notification"), ClientRegistered).luvn_participation_required is True
        assert only(register("employment_region_jobseeker"), ClientRegistered).luvn_participation_required is False

    def test_R7_an_authority_contact_without_consent_is_refused(self):
        with pytest.raises(Refused) as refused:
            register("authority_contact", consent_given_on=None)
        assert refused.value.rule == "R7"

    def test_R7_an_authority_contact_with_consent_is_handled_without_delay(self):
        event = only(register("authority_contact"), ClientRegistered)

        assert event.registered_on == TODAY and event.assessment_due_on == date(2026, 3, 9)

    def test_R8_the_assessment_target_is_5_working_days_from_the_day_intake_learns(self):
        # Thursday 2 April 2026: Good Friday and Easter Monday are not working days.
        event = only(register("refugee_placement", today=date(2026, 4, 2)), ClientRegistered)

        assert event.assessment_due_on == date(2026, 4, 13)

    def test_R8_the_target_is_configurable(self):
        policy = Policy(assessment_target_working_days=10)

        assert only(register(policy=policy), ClientRegistered).assessment_due_on == date(2026, 3, 16)

    def test_R9_a_jobseekers_initial_interview_is_due_5_working_days_after_the_registration_day(self):
        event = only(register("employment_region_jobseeker", registered_on="2026-02-27"), ClientRegistered)

        assert (event.registered_on, event.assessment_due_on) == (date(2026, 2, 27), date(2026, 3, 6))

    def test_R9_a_later_jobseeker_registration_of_a_client_sets_the_interview_and_moves_responsibility(self):
        client = register("municipal_newcomer_notice")
        client.pending.clear()

        client.add_source(registration("employment_region_jobseeker"), under_23=False, today=TODAY, policy=POLICY)

        added = only(client, ClientSourceAdded)
        assert (added.state, added.assessment_due_on) == ("to_be_assessed", date(2026, 3, 9))
        assert only(client, ResponsibilityAssigned).responsible_organisation == "employment-region"

    def test_R29_erasure_at_the_end_of_retention_waits_4_years_after_the_relationship_ends(self):
        client = register()
        client.end_relationship(ended_on=date(2026, 2, 27), reason="services_completed", today=TODAY)

        assert only(client, ClientRelationshipEnded).erase_on == date(2030, 2, 27)
        with pytest.raises(Refused) as refused:
            client.erase(today=date(2030, 2, 26), basis="retention_expired")
        assert refused.value.rule == "R29"
        client.erase(today=date(2030, 2, 27), basis="retention_expired")
        assert only(client, ClientErased).basis == "retention_expired"

    def test_R29_an_erased_client_takes_no_more_commands(self):
        client = register()
        client.erase(today=TODAY, basis="client_request")

        with pytest.raises(Refused):
            client.add_source(registration("kela_notification"), under_23=False, today=TODAY, policy=POLICY)

    def test_R30_kela_notifies_non_temporary_social_assistance_only(self):
        with pytest.raises(Refused) as refused:
            register("kela_notification", non_temporary=False)
        assert refused.value.rule == "R30"

    def test_R30_home_care_allowance_from_kela_is_a_target_group(self):
        event = only(register("kela_notification", benefit="home_care_allowance", non_temporary=False),
                     ClientRegistered)

        assert event.target_groups == ("home_care_allowance",)


class TestOnePersonOneClient:
    def test_another_source_adds_groups_and_keeps_the_earlier_assessment_target(self):
        client = register("refugee_placement")
        first_due = client.assessment_due_on
        client.pending.clear()

        client.add_source(registration("kela_notification", today=TODAY + timedelta(days=7)), under_23=False,
                          today=TODAY + timedelta(days=7), policy=POLICY)

        added = only(client, ClientSourceAdded)
        assert set(added.target_groups) == {"international_protection", "social_assistance"}
        assert added.assessment_due_on == first_due

    def test_an_earlier_first_permit_moves_the_window_back(self):
        client = register(first_permit_date="2025-06-01")
        client.pending.clear()

        client.add_source(registration("kela_notification", first_permit_date="2024-06-01"), under_23=False,
                          today=TODAY, policy=POLICY)

        assert only(client, ClientDetailsChanged).window_ends_on == date(2027, 6, 1)

    def test_history_rebuilds_the_same_client(self):
        client = register("employment_region_jobseeker")
        client.change_jobseeker_status(False, on=TODAY, today=TODAY, policy=POLICY)
        client.flag_possible_duplicate(uuid4(), "name_and_birth_date")

        rebuilt = Client.from_history(client.id, client.pending)

        assert rebuilt.responsible_organisation == client.responsible_organisation == "raseborg"
        assert rebuilt.open_duplicates == client.open_duplicates and rebuilt.version == len(client.pending)
