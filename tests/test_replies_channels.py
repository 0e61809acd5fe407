"""The channel table: X weighted length, Google bytes, and the rules of Tripadvisor, Trustpilot and personal data."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crisis.replies.channels import CHANNELS, breaches, measure

X, GOOGLE, TRIPADVISOR, TRUSTPILOT, FACEBOOK, EMAIL = (CHANNELS[c] for c in ("x", "google_reviews", "tripadvisor", "trustpilot",
                                                                               "facebook", "email"))


def problems(channel, text, **kw) -> list[str]:
    return [str(b) for b in breaches(channel, text, **kw)]


def test_every_channel_of_the_issue_is_in_the_table():
    assert set(CHANNELS) == {"x", "facebook", "instagram", "linkedin", "tiktok", "google_reviews", "tripadvisor", "trustpilot",
                             "email", "website"}
    assert {c: CHANNELS[c].limit for c in ("facebook", "instagram", "linkedin", "tiktok")} == \
        {"facebook": 8000, "instagram": 2200, "linkedin": 1250, "tiktok": 150}


def test_x_counts_280_weighted_characters_and_names_the_overflow():
    assert problems(X, "a" * 280) == []
    assert problems(X, "a" * 312) == ["x: 312/280 weighted characters (32 over the limit; every URL counts 23; CJK and emoji count 2)"]


def test_on_x_a_url_counts_23_whatever_its_length():
    url = "https://www.example.com/newsroom/" + "a" * 150
    assert measure(X, f"Read {url}") == 5 + 23
    assert problems(X, "b" * 256 + " " + url) == []
    assert "281/280" in problems(X, "b" * 257 + " " + url)[0]


def test_on_x_cjk_and_emoji_count_two():
    assert measure(X, "日本語") == 6
    assert measure(X, "👍") == 2
    assert measure(X, "👨‍👩‍👧") == 2  # one emoji sequence, however many code points
    assert measure(X, "é" * 10) == 10  # Latin accents count one
    assert problems(X, "日" * 140) == [] and "282/280" in problems(X, "日" * 141)[0]


def test_google_review_replies_are_limited_in_utf8_bytes():
    assert problems(GOOGLE, "é" * 2048) == []  # 4,096 bytes, 2,048 characters
    assert problems(GOOGLE, "é" * 2049) == ["google_reviews: 4098/4096 bytes (UTF-8) (2 over the limit; one reply per review; a new one replaces it)"]


@pytest.mark.parametrize("text,rule", [
    ("Nous vous offrons une nuit gratuite lors de votre prochain séjour.", "gifts, money"),
    ("We would like to offer you a free night and a voucher.", "gifts, money"),
    ("Un remboursement de 50 € vous attend.", "gifts, money"),
    ("This is clearly a fake review.", "review is fake"),
    ("Ce faux avis a sans doute été écrit par un concurrent.", "review is fake"),
    ("You never stayed with us.", "review is fake"),
    ("Notre avocat étudie une action en diffamation.", "threatening"),
    ("Our lawyers will be in touch.", "threatening"),
    ("See https://example.com/truth", "links"),
    ("Our answers:\n- the room\n- the staff", "lists, bullets or HTML"),
    ("<b>Thank you</b>", "lists, bullets or HTML"),
])
def test_tripadvisor_refuses_what_its_guidelines_forbid(text, rule):
    found = problems(TRIPADVISOR, text)
    assert found and all(f.startswith("tripadvisor: line ") for f in found)
    assert any(rule in f for f in found), found


def test_tripadvisor_names_nobody():
    assert problems(TRIPADVISOR, "Hello,\nThank you Jane Doe.\nAna, for Acme", names=("Jane Doe", "Ana")) == [
        "tripadvisor: line 2: Tripadvisor management response forbids naming any person: 'Jane Doe'",
        "tripadvisor: line 3: Tripadvisor management response forbids naming any person: 'Ana'"]
    assert problems(TRIPADVISOR, "Our analysis is done.", names=("Ana",)) == []


@pytest.mark.parametrize("text", ["Could you update your review once it is solved?", "Pourriez-vous modifier votre avis ?",
                                  "Please remove your review.", "Merci de retirer votre avis."])
def test_trustpilot_refuses_asking_to_change_or_remove_the_review(text):
    found = problems(TRUSTPILOT, text)
    assert len(found) == 1 and "forbids asking the reviewer to change, update or remove their review" in found[0]


def test_no_public_channel_gets_personal_data_but_the_brand_contact_passes():
    text = "Write to care@acme.example or call Mr Smith on 06 12 34 56 78, or jane.smith@gmail.com."
    found = problems(FACEBOOK, text, allowed=("care@acme.example",))
    assert [f.split(": ")[-1] for f in found] == ["'06 12 34 56 78'", "'jane.smith@gmail.com'"]
    assert problems(EMAIL, text) == []  # a private letter carries the addresses it needs


def test_ordinary_courteous_wording_is_not_mistaken_for_a_breach():
    text = ("Thank you for taking the time to write to us. Feel free to write to us at care@acme.example; "
            "the responsibility lies with us, and we offer our apologies. Published on 2025-03-14.")
    assert problems(TRIPADVISOR, text, allowed=("care@acme.example",)) == []
    assert problems(TRUSTPILOT, text, allowed=("care@acme.example",)) == []


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(CHANNELS)), st.text(max_size=400))
def test_breaches_never_raise_on_any_text(channel, text):
    for breach in breaches(CHANNELS[channel], text):
        assert breach.channel == channel and breach.problem
