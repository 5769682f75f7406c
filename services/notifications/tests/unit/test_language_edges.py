"""The message language at its edges: no known language, no municipality, repeats in the chain, and
nothing to choose (mutation testing, issue 17)."""

import dataclasses

import pytest

from notifications.domain.language import LanguageChoice, choose, order

pytestmark = pytest.mark.unit


def test_the_chain_is_the_clients_languages_then_the_municipalitys_then_english_without_repeats():
    assert order(["ar", "ru"], "hango") == ("ar", "ru", "fi", "en")
    assert order(["fi", "en", "fi"], "hango") == ("fi", "en")
    assert order([], "inga") == ("sv", "en")


def test_without_a_known_municipality_the_regions_default_is_swedish():
    assert order(["ar"], None) == ("ar", "sv", "en")
    assert order(["ar"], "") == ("ar", "sv", "en")
    assert order(["ar"], "lohja") == ("ar", "sv", "en")


def test_a_client_with_no_known_language_gets_the_municipalitys_as_a_fallback():
    choice = choose([], "hango", {"fi", "sv", "en"})

    assert (choice.language, choice.wanted, choice.fell_back) == ("fi", None, True)


def test_the_wanted_language_is_the_clients_first_even_when_a_later_one_is_chosen():
    choice = choose(iter(["th", "ar"]), "raseborg", {"ar", "sv"})

    assert (choice.language, choice.wanted, choice.fell_back, choice.right_to_left) == ("ar", "th", True, True)


def test_a_left_to_right_first_language_is_not_a_fallback():
    choice = choose(["sv"], "hango", {"sv", "fi"})

    assert (choice.fell_back, choice.right_to_left) == (False, False)


def test_nothing_to_choose_says_what_was_tried():
    with pytest.raises(LookupError, match="^template: not available in the client's languages, the "
                                          "municipality's language or English$"):
        choose(["ar"], None, {"de"})


def test_a_choice_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        LanguageChoice("sv", "sv").language = "fi"  # type: ignore[misc]


def test_the_wanted_language_as_another_string_object_is_not_a_fallback():
    wanted = "".join(list("sv"))  # read from a row: equal to "sv", not the same object

    assert LanguageChoice("sv", wanted).fell_back is False
    assert LanguageChoice("sv", None).fell_back is True


@pytest.mark.parametrize(("chosen", "wanted"), [("fi", "ar"), ("ar", "fi")])  # either way round in the alphabet
def test_another_language_than_the_wanted_one_is_a_fallback(chosen, wanted):
    assert LanguageChoice(chosen, wanted).fell_back is True
