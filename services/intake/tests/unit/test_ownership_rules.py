"""Who may change who owns a client (issue 8): moves by the responsible organisation, claims by the
receiving municipality, the employment region's registration, and the protection after a handover."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import uuid4

import pytest

from contracts.events.intake import (
    ClaimAccepted,
    ClaimObjected,
    ClientDetailsChanged,
    ClientErased,
    ClientRelationshipEnded,
    ResponsibilityAssigned,
    ResponsibilityClaimed,
)
from intake.domain.client import Client, Policy
from intake.domain.errors import Refused, Unchanged
from intake.service_layer.registration import proposed_values
from services.intake.tests.factories import TODAY, personal, registration
from tests.support.people import invent

pytestmark = pytest.mark.unit

POLICY = Policy()  # 10 working days to object, 30 days of protection after a handover
DEADLINE = date(2026, 3, 16)  # TODAY (Monday 2 March 2026) + 10 working days


def raseborg_client(source: str = "kela_notification") -> Client:
    client = Client.register(uuid4(), registration(source, home_municipality="raseborg"), languages=("ar",),
                             under_23=False, today=TODAY, policy=POLICY)
    client.pending.clear()
    return client


def claimed(client: Client, claimant: str = "inga", municipality: str = "inga"):
    return client.claim(claimant, municipality, claim_id=uuid4(), moved_on=TODAY, today=TODAY, policy=POLICY)


class TestClaims:
    def test_a_claim_moves_nothing_until_the_responsible_organisation_accepts(self):
        client = raseborg_client()

        claim = claimed(client)

        event = client.pending[-1]
        assert isinstance(event, ResponsibilityClaimed)
        assert (event.claimant, event.home_municipality, event.objection_deadline) == ("inga", "inga", DEADLINE)
        assert (client.home_municipality, client.responsible_organisation) == ("raseborg", "raseborg")
        client.pending.clear()
        client.accept_claim(claim.claim_id, by="responsible_organisation", today=TODAY, policy=POLICY)
        assert [type(e) for e in client.pending] == [ClaimAccepted, ClientDetailsChanged, ResponsibilityAssigned]
        assert (client.home_municipality, client.responsible_organisation) == ("inga", "inga")

    def test_an_unopposed_claim_takes_effect_the_day_after_its_last_objection_day_and_not_on_it(self):
        client = raseborg_client()
        claim = claimed(client)

        with pytest.raises(Refused) as on_last_day:
            client.accept_claim(claim.claim_id, by="deadline", today=DEADLINE, policy=POLICY)
        client.accept_claim(claim.claim_id, by="deadline", today=DEADLINE + timedelta(days=1), policy=POLICY)

        assert on_last_day.value.rule == "claims.deadline"
        assert client.responsible_organisation == "inga"
        assert only_one(client, ClaimAccepted).accepted_by == "deadline"

    def test_the_objection_period_is_configurable_in_working_days(self):
        client = raseborg_client()

        claim = client.claim("inga", "inga", claim_id=uuid4(), moved_on=TODAY, today=TODAY,
                             policy=Policy(claim_objection_working_days=1))

        assert claim.deadline == date(2026, 3, 3)

    @pytest.mark.parametrize(("claimant", "municipality"), [
        ("hango", "hango"),  # Hanko's residents are Raseborg's under the agreement: Hanko itself claims nobody
        ("inga", "hango"),   # only for its own new residents
        ("employment-region", "inga"),
    ])
    def test_only_the_organisation_serving_the_new_municipality_may_claim(self, claimant, municipality):
        client = raseborg_client()

        with pytest.raises(Refused) as refused:
            claimed(client, claimant, municipality)

        assert refused.value.rule == "ownership.claim" and client.pending == []

    def test_an_objected_claim_changes_nothing_and_another_claim_may_follow(self):
        client = raseborg_client()
        claim = claimed(client)

        client.object_to_claim(claim.claim_id, "not_moved")
        claimed(client)

        assert [type(e) for e in client.pending] == [ResponsibilityClaimed, ClaimObjected, ResponsibilityClaimed]
        assert client.responsible_organisation == "raseborg"

    def test_a_move_the_responsible_organisation_records_decides_an_open_claim(self):
        accepted, elsewhere = raseborg_client(), raseborg_client()
        claimed(accepted), claimed(elsewhere)

        accepted.move("inga", on=TODAY, today=TODAY, policy=POLICY)
        elsewhere.move("hango", on=TODAY, today=TODAY, policy=POLICY)

        assert only_one(accepted, ClaimAccepted).accepted_by == "responsible_organisation"
        assert only_one(elsewhere, ClaimObjected).reason == "moved_elsewhere"
        assert accepted.open_claim is None and elsewhere.open_claim is None
        assert (accepted.responsible_organisation, elsewhere.home_municipality) == ("inga", "hango")

    def test_a_second_claim_while_one_is_open_is_refused(self):
        client = raseborg_client()
        claimed(client)

        with pytest.raises(Refused) as refused:
            claimed(client)

        assert refused.value.rule == "claims.open"

    def test_a_claim_to_where_the_person_lives_already_is_unchanged(self):
        client = raseborg_client()

        with pytest.raises(Unchanged) as unchanged:
            claimed(client, "raseborg", "raseborg")

        assert unchanged.value.rule == "unchanged.home_municipality"


class TestMovesAndJobseekerStatus:
    def test_a_move_to_the_same_municipality_is_refused_as_unchanged_not_a_success(self):
        client = raseborg_client()

        with pytest.raises(Unchanged) as unchanged:
            client.move("raseborg", on=TODAY, today=TODAY, policy=POLICY)

        assert unchanged.value.rule == "unchanged.home_municipality" and client.pending == []

    def test_R5_a_status_change_cannot_make_a_client_never_registered_as_a_jobseeker_one(self):
        client = raseborg_client()

        with pytest.raises(Refused) as refused:
            client.change_jobseeker_status(True, on=TODAY, today=TODAY, policy=POLICY)

        assert refused.value.rule == "ownership.jobseeker_registration"
        assert client.responsible_organisation == "raseborg" and client.pending == []

    def test_R5_a_jobseeker_registration_takes_the_client_at_once(self):
        client = raseborg_client()

        client.add_source(registration("employment_region_jobseeker", home_municipality="raseborg"),
                          under_23=False, today=TODAY, policy=POLICY)

        assert only_one(client, ResponsibilityAssigned).responsible_organisation == "employment-region"

    def test_R5_the_employment_region_restores_its_own_registration_at_once(self):
        client = raseborg_client("employment_region_jobseeker")
        client.change_jobseeker_status(False, on=TODAY, today=TODAY, policy=POLICY)

        client.change_jobseeker_status(True, on=TODAY, today=TODAY, policy=POLICY)

        assert client.responsible_organisation == "employment-region"

    def test_a_status_change_that_changes_nothing_is_unchanged(self):
        client = raseborg_client("employment_region_jobseeker")

        with pytest.raises(Unchanged):
            client.change_jobseeker_status(True, on=TODAY, today=TODAY, policy=POLICY)


class TestHandoverProtection:
    def taken_over(self) -> Client:
        client = raseborg_client()
        client.add_source(registration("employment_region_jobseeker", home_municipality="raseborg"),
                          under_23=False, today=TODAY, policy=POLICY)
        client.pending.clear()
        return client

    def test_erasure_on_request_is_refused_until_the_protection_period_after_a_handover_has_passed(self):
        client = self.taken_over()

        with pytest.raises(Refused) as last_refused:
            client.erase(today=TODAY + timedelta(days=29), basis="client_request", policy=POLICY)
        client.erase(today=TODAY + timedelta(days=30), basis="client_request", policy=POLICY)

        assert last_refused.value.rule == "handover.protection"
        assert isinstance(client.pending[-1], ClientErased)

    def test_the_relationship_end_is_refused_until_the_protection_period_after_a_handover_has_passed(self):
        client = self.taken_over()

        with pytest.raises(Refused) as refused:
            client.end_relationship(ended_on=TODAY, reason="other", today=TODAY + timedelta(days=29), policy=POLICY)
        client.end_relationship(ended_on=TODAY, reason="other", today=TODAY + timedelta(days=30), policy=POLICY)

        assert refused.value.rule == "handover.protection"
        assert isinstance(client.pending[-1], ClientRelationshipEnded)

    def test_the_protection_counts_from_the_day_the_handover_was_recorded_not_the_day_it_names(self):
        client = Client.register(uuid4(), registration("kela_notification", home_municipality="raseborg"),
                                 languages=("ar",), under_23=False, today=TODAY, policy=POLICY)
        client.add_source(registration("employment_region_jobseeker", home_municipality="raseborg"),
                          under_23=False, today=TODAY, policy=POLICY)  # effective on its registration day
        recorded_later = [TODAY + timedelta(days=5)] * len(client.pending)
        rebuilt = Client.from_history(client.id, client.pending, recorded_later)
        two_days = Policy(handover_protection_days=2)

        with pytest.raises(Refused):
            rebuilt.erase(today=TODAY + timedelta(days=6), basis="client_request", policy=two_days)
        rebuilt.erase(today=TODAY + timedelta(days=7), basis="client_request", policy=two_days)

        assert rebuilt.erased

    def test_a_client_never_handed_over_may_be_erased_at_once(self):
        client = raseborg_client()

        client.erase(today=TODAY, basis="client_request", policy=POLICY)

        assert isinstance(client.pending[-1], ClientErased)


def only_one(client: Client, kind: type):
    [event] = [e for e in client.pending if isinstance(e, kind)]
    return event


class TestProposedValues:
    def test_only_what_differs_is_proposed_languages_as_the_union_and_nothing_when_all_agree(self):
        known = personal(invent(languages=("ar",)))
        sent = known.model_copy(update={"email": "other.address@example.org", "languages": ["ar", "en"],
                                        "phone": None})

        assert proposed_values(known, sent) == {"email": "other.address@example.org", "languages": ["ar", "en"]}
        assert proposed_values(known, known) == {}
