"""Codes shared by the events: organisations, places, languages and the law's categories.

Everything here is a code, never free text; rule ids refer to `shared/docs/law.md`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import StringConstraints


class Service(StrEnum):
    """A deployable service; the producer of an envelope. The same names as `topics.SERVICES`."""

    INTAKE = "intake"
    ASSESSMENT = "assessment"
    PLANNING = "planning"
    GUIDANCE = "guidance"
    NOTIFICATIONS = "notifications"
    AUDIT = "audit"


class Organisation(StrEnum):
    """An organisation taking part in the process. The same ids as `topics.ORGANISATIONS`."""

    EMPLOYMENT_REGION = "employment-region"
    RASEBORG = "raseborg"
    HANGO = "hango"
    INGA = "inga"
    LUVN = "luvn"
    KELA = "kela"


class Municipality(StrEnum):
    """A home municipality served by the programme."""

    RASEBORG = "raseborg"
    HANGO = "hango"
    INGA = "inga"


class Language(StrEnum):
    """The languages the programme names (ISO 639-1); others are allowed as `LanguageCode`."""

    SWEDISH = "sv"
    FINNISH = "fi"
    RUSSIAN = "ru"
    ESTONIAN = "et"
    ARABIC = "ar"
    UKRAINIAN = "uk"
    ENGLISH = "en"
    KURDISH = "ku"
    THAI = "th"
    TAGALOG = "tl"
    GERMAN = "de"
    POLISH = "pl"


LanguageCode = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}$")]
"""An ISO 639-1 or 639-3 code such as a `Language` value."""

Code = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_.-]{1,63}$")]
"""A catalogue code (service, provider, message template): lower case, no spaces."""

RuleId = Annotated[str, StringConstraints(pattern=r"^R[0-9]{1,3}$")]
"""A rule id of `law.md`, such as "R15"."""

ClientState = Literal["to_be_assessed", "guidance_only"]
"""A registered person before any plan: one to be assessed (R2), or one offered guidance only (R1)."""


class TargetGroup(StrEnum):
    """Why a person must be assessed (R2, §14(1))."""

    UNEMPLOYED_JOBSEEKER = "unemployed_jobseeker"
    INTERNATIONAL_PROTECTION = "international_protection"
    FAMILY_MEMBER = "family_member"
    HOME_CARE_ALLOWANCE = "home_care_allowance"
    OWN_REQUEST_OR_AUTHORITY_CONTACT = "own_request_or_authority_contact"
    SOCIAL_ASSISTANCE = "social_assistance"
    UNACCOMPANIED_MINOR = "unaccompanied_minor"
    TRAFFICKING_VICTIM = "trafficking_victim"


LUVN_GROUPS: frozenset[TargetGroup] = frozenset({
    TargetGroup.INTERNATIONAL_PROTECTION,  # includes quota refugees
    TargetGroup.SOCIAL_ASSISTANCE,  # R2's group is non-temporary social assistance only
    TargetGroup.UNACCOMPANIED_MINOR,
    TargetGroup.TRAFFICKING_VICTIM,
})
"""The groups for which the programme has the wellbeing services county (LUVN) take part (R6; law.md's
reconciliation of the repealed multi-sector assessment, §15/§17)."""


class RegistrationSource(StrEnum):
    """Where intake learnt of the person (programme §3, R7, R30)."""

    EMPLOYMENT_REGION_JOBSEEKER = "employment_region_jobseeker"
    KELA_NOTIFICATION = "kela_notification"
    REFUGEE_PLACEMENT = "refugee_placement"
    MUNICIPAL_NEWCOMER_NOTICE = "municipal_newcomer_notice"
    AUTHORITY_CONTACT = "authority_contact"
    OWN_REQUEST = "own_request"


class ExtensionReason(StrEnum):
    """The grounds on which a plan may run past its maximum (R15-R17), or a further period inside it (R14)."""

    LOW_EDUCATION_SPECIAL_MEASURES = "low_education_special_measures"
    MULTI_SECTOR_SPECIAL_MEASURES = "multi_sector_special_measures"
    HOME_CARE_ALLOWANCE_PART_TIME = "home_care_allowance_part_time"
    UNABLE_TO_CARRY_OUT = "unable_to_carry_out"
    SELF_MOTIVATED_STUDIES = "self_motivated_studies"
    CONTINUED_WITHIN_MAXIMUM = "continued_within_maximum"


EXTENSION_RULES: dict[ExtensionReason, str] = {
    ExtensionReason.LOW_EDUCATION_SPECIAL_MEASURES: "R15",
    ExtensionReason.MULTI_SECTOR_SPECIAL_MEASURES: "R15",
    ExtensionReason.HOME_CARE_ALLOWANCE_PART_TIME: "R15",
    ExtensionReason.UNABLE_TO_CARRY_OUT: "R16",
    ExtensionReason.SELF_MOTIVATED_STUDIES: "R17",
    ExtensionReason.CONTINUED_WITHIN_MAXIMUM: "R14",  # a further period inside the 2-year maximum
}
"""The rule that grants each extension reason."""
