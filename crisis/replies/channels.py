"""The channels a reply goes out on: their length limits and the platform rules that bind the text.

Limits come from DOMAIN.md's platform table. X counts weighted characters (a URL counts 23, CJK
and emoji count 2) through `twitter-text-parser`, the port of X's own counter; Google review
replies count UTF-8 bytes. `breaches(channel, text)` names every limit or rule a text breaks,
where, and by how much; it never raises.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

UNITS = {"weighted": "weighted characters", "chars": "characters", "bytes": "bytes (UTF-8)"}


@dataclass(frozen=True)
class Rule:
    """A platform rule a text can break: its id, what it forbids, and the phrases that break it."""

    id: str
    forbids: str
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class Channel:
    id: str
    name: str
    limit: int | None
    unit: str = "chars"
    public: bool = True
    rules: tuple[Rule, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class Breach:
    """What broke, where (line of the text, 1-based; 0 for the whole text) and by how much."""

    channel: str
    line: int
    problem: str

    def __str__(self) -> str:
        place = f" line {self.line}:" if self.line else ""
        return f"{self.channel}:{place} {self.problem}"


def _words(*phrases: str) -> re.Pattern[str]:
    return re.compile("|".join(rf"(?<!\w){p}(?!\w)" for p in phrases), re.IGNORECASE)


GIFT_OR_MONEY = Rule("gift_or_money", "offers of gifts, money, discounts or free services", _words(
    r"cadeaux?", r"offert(e|s|es)?", r"offrir", r"vous offrons", r"gratuite?s?", r"gracieusement", r"rembours\w*", r"bons? d'achat",
    r"r[ée]ductions?", r"remises? (de|sur)", r"geste commercial", r"dédommag\w*", r"indemnis\w*", r"nuit(ée)? offerte",
    r"gifts?", r"free (of charge|night|nights|stay|meal|meals|dinner|breakfast|drinks?|room|upgrade|voucher)", r"for free", r"complimentary", r"refund\w*", r"vouchers?", r"discounts?", r"compensat\w*", r"on the house",
    r"\d+\s?(€|euros?|%)", r"(€|\$|£)\s?\d+"))
FAKE_ACCUSATION = Rule("fake_accusation", "saying or implying that the review is fake, or speculating about who wrote it", _words(
    r"faux avis", r"avis (mensonger|frauduleux|bidon)\w*", r"jamais (séjourné|venue?s?|mis les pieds)", r"n'(êtes|est) jamais venue?s?",
    r"(un|une|nos?) concurrents?", r"menteur\w*", r"vous mentez", r"mensonges?",
    r"fake( review)?", r"fraudulent", r"never (stayed|visited|came)", r"(a|our) competitors?", r"you are lying", r"liar",
    r"no record of (your|a) stay", r"aucune trace de (votre|ce) séjour"))
LISTS_OR_HTML = Rule("list_or_html", "lists, bullets or HTML",
                     re.compile(r"^\s*([-*•·▪‣–]|\d+[.)])\s+|<[a-zA-Z/][^>]*>", re.MULTILINE))
CHANGE_OR_REMOVE = Rule("change_or_remove", "asking the reviewer to change, update or remove their review", _words(
    r"(modifier|changer|retirer|supprimer|mettre à jour|revoir|réviser|corriger) (votre|son|cet|l') ?avis",
    r"(change|update|edit|amend|remove|delete|withdraw|take down|revise) (your|the|this) review"))
THREAT = Rule("threat", "threatening or coercing the reviewer (lawyers, legal action)", _words(
    r"avocats?", r"poursuites?", r"porter plainte", r"en justice", r"diffamation", r"diffamatoire",
    r"lawyers?", r"legal action", r"sue", r"lawsuit", r"defamation", r"defamatory", r"solicitors?"))
LINK = Rule("link", "links in a management response", re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE))
PERSONAL_DATA = Rule("personal_data", "personal data in a public reply (a phone number or an e-mail address other than the brand's)",
                     re.compile(r"(?<![\w.+])(?:\+\d{1,3}[ .-]?\d|0[1-9])(?:[ .-]?\d{2}){4}(?!\w)|[\w.+-]+@[\w-]+(\.[\w-]+)+"))

CHANNELS: dict[str, Channel] = {c.id: c for c in (
    Channel("x", "X (Twitter)", 280, "weighted", rules=(PERSONAL_DATA,), note="every URL counts 23; CJK and emoji count 2"),
    Channel("facebook", "Facebook comment", 8000, rules=(PERSONAL_DATA,)),
    Channel("instagram", "Instagram comment", 2200, rules=(PERSONAL_DATA,),
            note="replies only to top-level comments; a private reply is possible within 7 days"),
    Channel("linkedin", "LinkedIn comment", 1250, rules=(PERSONAL_DATA,)),
    Channel("tiktok", "TikTok comment", 150, rules=(PERSONAL_DATA,)),
    Channel("google_reviews", "Google Business Profile review reply", 4096, "bytes", rules=(PERSONAL_DATA,),
            note="one reply per review; a new one replaces it"),
    Channel("tripadvisor", "Tripadvisor management response", 5000, rules=(GIFT_OR_MONEY, FAKE_ACCUSATION, THREAT, LINK, LISTS_OR_HTML, PERSONAL_DATA),
            note="one response per review; no published limit, kept under 5,000 characters"),
    Channel("trustpilot", "Trustpilot reply", 2000, rules=(CHANGE_OR_REMOVE, PERSONAL_DATA),
            note="polite, thank, offer further support; no published limit, kept under 2,000 characters"),
    Channel("email", "E-mail or letter (private)", None, public=False),
    Channel("website", "The brand's own website or newsroom", None, rules=(PERSONAL_DATA,)),
)}


def find_channel(channel_id: str) -> Channel | None:
    return CHANNELS.get(channel_id)


def measure(channel: Channel, text: str) -> int:
    """The length of `text` in the channel's unit.

    >>> measure(CHANNELS["google_reviews"], "café")
    5
    """
    if channel.unit == "bytes":
        return len(text.encode("utf-8"))
    if channel.unit == "weighted":
        return _parse_tweet()(text).weightedLength
    return len(text)


@cache
def _parse_tweet():
    from twitter_text import parse_tweet  # 0.4 s to import its tables: only when an X text is measured

    return parse_tweet


def breaches(channel: Channel, text: str, *, allowed: tuple[str, ...] = (), names: tuple[str, ...] = ()) -> list[Breach]:
    """Every limit and rule of `channel` that `text` breaks; `allowed` are texts the rules let through
    (the brand's contact address), `names` those of people (the reviewer, the responder) Tripadvisor forbids naming."""
    found = []
    if not text.strip():
        found.append(Breach(channel.id, 0, "the text is empty"))
    if channel.limit is not None:
        length = measure(channel, text)
        if length > channel.limit:
            found.append(Breach(channel.id, 0, f"{length}/{channel.limit} {UNITS[channel.unit]} "
                                               f"({length - channel.limit} over the limit{'; ' + channel.note if channel.note else ''})"))
    for rule in channel.rules:
        for number, line in enumerate(text.splitlines(), 1):
            for match in rule.pattern.finditer(line):
                if match.group(0).strip() in allowed:
                    continue
                found.append(Breach(channel.id, number, f"{channel.name} forbids {rule.forbids}: {match.group(0).strip()!r}"))
    if channel.id == "tripadvisor":
        for name in (n.strip() for n in names if n and n.strip()):
            pattern = re.compile(rf"(?<!\w){re.escape(name)}(?!\w)", re.IGNORECASE)
            for number, line in enumerate(text.splitlines(), 1):
                if pattern.search(line):
                    found.append(Breach(channel.id, number, f"{channel.name} forbids naming any person: {name!r}"))
    return found
