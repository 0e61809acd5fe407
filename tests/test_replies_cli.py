"""A reply's life through the CLI: draft (and --edit), four-eyes approval, the step guard, publication by hand and by webhook."""

from __future__ import annotations

import hashlib
import json
import re
import sys
import tempfile
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from crisis.cli import context

ROSTER = """\
people:
  - {id: ana, name: Ana Martin, roles: [community_manager]}
  - {id: bea, name: Bea Durand, roles: [comms_lead]}
  - {id: carl, name: Carl Petit, roles: [legal]}
"""
QUALIFY = ["capture_evidence", "measure_spread", "list_influential_authors", "freeze_scheduled_posts", "never_delete_critics",
           "alert_comms_lead"]
HOLDING = ["post_where_it_started", "no_euphemism", "no_humour_no_defence", "promise_next_update", "answer_influential_first",
           "brief_front_line"]


class Hook:
    """A webhook receiver on loopback, as Make, Zapier or n8n would be: fails its first `failures` POSTs with 503."""

    def __init__(self, failures: int = 0) -> None:
        self.failures, self.received = failures, []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                hook.received.append((dict(self.headers), body))
                status = 503 if len(hook.received) <= hook.failures else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(autouse=True)
def kept_edits_stay_in_the_test(tmp_path: Path, monkeypatch) -> None:
    """A refused edit is kept in a temporary file: the test's own folder, not the machine's /tmp."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))


@pytest.fixture
def hook() -> Iterator[Hook]:
    receiver = Hook(failures=1)
    yield receiver
    receiver.close()


@pytest.fixture
def team(workspace: Path, hook: Hook) -> Path:
    """The workspace with a roster (ana writes, bea is comms lead, carl is legal) and a [replies] section."""
    (workspace / "oncall.yaml").write_text(ROSTER, encoding="utf-8")
    with (workspace / "crisis.toml").open("a", encoding="utf-8") as toml:
        toml.write(f'\n[replies]\ncontact = "care@acme.example"\nwebhook_url = "{hook.url}"\n')
    context.settings.cache_clear()
    return workspace


def editor(tmp_path: Path, monkeypatch, code: str) -> None:
    """A scripted $EDITOR: a Python snippet run on the file, `text` in and out."""
    script = tmp_path / "editor.py"
    script.write_text("import sys\npath = sys.argv[1]\ntext = open(path, encoding='utf-8').read()\n" + code +
                      "\nopen(path, 'w', encoding='utf-8').write(text)\n", encoding="utf-8")
    monkeypatch.setenv("EDITOR", f"{sys.executable} {script}")
    monkeypatch.delenv("VISUAL", raising=False)


def timeline(cli, ref="1") -> list[dict]:
    return json.loads(cli("timeline", ref, "--json").stdout)


def replies(cli, ref="1") -> list[dict]:
    return json.loads(cli("reply", "list", ref, "--json").stdout)


def bad_buzz_at_the_holding_statement(cli, *, sensitive: str = "yes") -> None:
    cli("open", "-p", "bad_buzz", "-t", "Naked man in the catalogue photo", "--channel", "x")
    cli("ack", "1")
    for key, value in (("origin_platform", "x"), ("fault_kind", "our_content"), ("subject", "the photo in our winter catalogue"),
                       ("offending_content", "catalogue_or_website"), ("sensitive_stakes", sensitive), ("person_harmed", "no")):
        cli("fact", "1", key, value)
    cli("respond", "1")
    for item in QUALIFY:
        cli("check", "1", item)
    cli("next", "1")


def test_the_bad_buzz_holding_statement_from_draft_to_webhook(team, cli, tmp_path, monkeypatch, hook):
    """Drafted on X in French, edited past 280 (refused with the count), refused to its author and to a non-holder,
    approved by the comms lead, published by webhook: delivered once after a failure, retries on the timeline."""
    bad_buzz_at_the_holding_statement(cli)

    editor(tmp_path, monkeypatch, "text = text.strip() + ' Nous tenons à ce que chacun ait une réponse précise et complète.' * 3")
    refused = cli("reply", "draft", "1", "--lang", "fr", "--set", "next_update_at=15 h", "--edit", code=4)
    assert "the reply as edited breaks the rules of X (Twitter):\n  - x: 381/280 weighted characters (101 over the limit" in refused.stderr
    kept = refused.stderr.split("your edited text is kept in ", 1)[1].split(";", 1)[0]
    assert Path(kept).parent == tmp_path and "précise et complète." in Path(kept).read_text(encoding="utf-8")
    assert replies(cli) == [] and "reply_drafted" not in [e["kind"] for e in timeline(cli)]

    editor(tmp_path, monkeypatch, "text = text.replace('au plus tard', 'sans faute')")
    drafted = cli("reply", "draft", "1", "--lang", "fr", "--set", "next_update_at=15 h", "--edit")
    text = drafted.stdout.strip()
    assert text.startswith("Nous avons vu vos messages concernant the photo in our winter catalogue") and "15 h sans faute" in text
    assert "R1 drafted from holding_statement.x.fr.txt.j2 for x (fr)" in drafted.stderr
    digest = hashlib.sha256(text.encode()).hexdigest()
    kinds = {e["kind"]: e["data"] for e in timeline(cli)}
    assert kinds["reply_drafted"]["channel"] == "x" and kinds["reply_edited"]["hash"] == digest

    own = cli("reply", "approve", "1", "R1", code=4)
    assert "ana wrote R1 and cannot approve it: at SEV2 and above a statement is approved by someone other than its author " \
           "holding comms_lead (four-eyes rule, SEV1 now)" in own.stderr
    assert "Hint: ask bea (Bea Durand)" in own.stderr
    legal = cli("reply", "approve", "1", "R1", "--as", "carl", code=4)
    assert "carl cannot approve R1: at SEV2 and above a statement is approved by someone other than its author holding " \
           "comms_lead; carl holds legal" in legal.stderr

    for item in HOLDING:
        cli("check", "1", item)
    held = cli("next", "1", code=4)
    assert "next refused: step holding_statement needs its statement (holding_statement) published before it is left" in held.stderr
    assert "R1 is a draft: a reply is published only once approved" in cli("reply", "publish", "1", "R1", "--via", "webhook", code=4).stderr

    assert cli("reply", "approve", "1", "R1", "--as", "bea").stdout == "R1 approved by bea\n"
    cli("reply", "publish", "1", "R1", "--via", "webhook", now="2026-11-20T10:20:00+00:00")
    assert "first_response" not in [d["deadline"] for d in json.loads(cli("show", "1", "--json").stdout)["deadlines"]]
    published = [e for e in timeline(cli) if e["kind"] == "reply_published"][0]["data"]
    assert published["hash"] == digest and published["via"] == "webhook" and published["deadlines_met"] == ["first_response"]

    cli("tick", "--now", "2026-11-20T10:21:00+00:00")  # the receiver answers 503: retried later, not lost
    cli("tick", "--now", "2026-11-20T10:40:00+00:00")  # taken
    cli("tick", "--now", "2026-11-20T11:40:00+00:00")  # nothing left to send
    assert len(hook.received) == 2
    keys = {headers["Idempotency-Key"] for headers, _ in hook.received}
    assert keys == {published["idempotency_key"]}
    body = hook.received[-1][1]
    assert {k: body[k] for k in ("incident", "channel", "lang", "text", "reply_id", "idempotency_key")} == {
        "incident": "INC-0001", "channel": "x", "lang": "fr", "text": text, "reply_id": "R1", "idempotency_key": published["idempotency_key"]}
    [row] = json.loads(cli("oncall", "outbox", "--json").stdout)
    assert (row["status"], row["attempts"], row["sent_at"]) == ("sent", 2, "2026-11-20T10:40:00+00:00")  # on the row, not the timeline

    assert "→ responding.crisis_cell" in cli("next", "1", now="2026-11-20T11:41:00+00:00").stdout
    assert "ok: 1 timeline(s)" in cli("audit", "verify").stdout
    story = cli("timeline", "1").stdout
    assert f"R1 PUBLISHED on x (webhook), sha256 {digest[:12]}; met: first_response" in story
    assert "R1 approved (written by ana; four-eyes at SEV2+ by a holder of comms_lead)" in story


def test_manual_publication_prints_exactly_the_approved_text(team, cli):
    bad_buzz_at_the_holding_statement(cli, sensitive="no")  # SEV3: below the approval severity, the author may approve
    text = cli("reply", "draft", "1", "--channel", "facebook", "--set", "next_update_at=3 pm").stdout
    assert cli("reply", "approve", "1", "1").stdout == "R1 approved by ana\n"
    approved = [e for e in timeline(cli) if e["kind"] == "reply_approved"][0]["data"]
    assert approved["rule"] == "no approval rule at this severity"
    published = cli("reply", "publish", "1", "R1")
    assert published.stdout == text and "R1 recorded as published on facebook" in published.stderr
    assert "published" in cli("reply", "show", "1", "R1").stdout.splitlines()[0]
    again = cli("reply", "publish", "1", "R1", code=4)
    assert "R1 is published; only a reply that is approved can be published" in again.stderr


def test_a_rejected_reply_says_why_and_cannot_be_published(team, cli):
    bad_buzz_at_the_holding_statement(cli)
    cli("reply", "draft", "1", "--set", "next_update_at=3 pm")
    assert "a rejection needs its reason" in cli("reply", "reject", "1", "R1", "--why", " ", "--as", "bea", code=2).stderr
    cli("reply", "reject", "1", "R1", "--why", "say what we already removed", "--as", "bea")
    view = json.loads(cli("reply", "show", "1", "R1", "--json").stdout)
    assert (view["status"], view["decided_by"], view["rejected_why"]) == ("rejected", "bea", "say what we already removed")
    refused = cli("reply", "publish", "1", "R1", code=4)
    assert "R1 is rejected; only a reply that is approved can be published" in refused.stderr
    assert [e["data"]["why"] for e in timeline(cli) if e["kind"] == "reply_rejected"] == ["say what we already removed"]
    assert "bea          R1 rejected: say what we already removed" in cli("timeline", "1").stdout
    missing = cli("reply", "show", "1", "R9", code=3)
    assert "Error: INC-0001 has no reply 'R9'\nHint: crisis reply list INC-0001" in missing.stderr


def defamatory_review_at_the_public_reply(cli) -> None:
    cli("open", "-p", "defamatory_review", "-t", "One-star review from someone who never stayed", "--channel", "tripadvisor")
    cli("ack", "1")
    for key, value in (("platform", "tripadvisor"), ("review_url", "https://www.tripadvisor.fr/ShowUserReviews-g1-d2-r3.html"),
                       ("known_customer", "no"), ("first_published_at", "2026-11-18"), ("personal_data", "no"),
                       ("rules_breach", "no"), ("wider_attention", "no"), ("legal_action_considered", "no"),
                       ("author_reachable", "no")):
        cli("fact", "1", key, value)
    cli("respond", "1")
    for step in ("keep_evidence", "assess"):
        state = json.loads(cli("show", "1", "--json").stdout)
        for item in state["step"]["checklist"]:
            cli("check", "1", item["id"])
        cli("next", "1")
    assert json.loads(cli("show", "1", "--json").stdout)["state"] == "responding.public_reply"


def test_a_tripadvisor_reply_offering_a_gift_is_refused(team, cli, tmp_path, monkeypatch):
    defamatory_review_at_the_public_reply(cli)
    editor(tmp_path, monkeypatch, "text = text.replace('La direction', 'Pour nous faire pardonner, nous vous offrons une nuit gratuite.\\n\\nLa direction')")
    refused = cli("reply", "draft", "1", "--lang", "fr", "--set", "author=Voyageur75", "--edit", code=4)
    assert "the reply as edited breaks the rules of Tripadvisor management response:" in refused.stderr
    assert "tripadvisor: line 7: Tripadvisor management response forbids offers of gifts, money, discounts or free services: " \
           "'vous offrons'" in refused.stderr
    assert "'gratuite'" in refused.stderr
    text = cli("reply", "draft", "1", "--lang", "fr", "--set", "author=Voyageur75").stdout
    assert text.strip().endswith("La direction, Acme") and "Voyageur75" not in text and "care@acme.example" in text
    assert replies(cli)[0]["template"] == "review_reply" and replies(cli)[0]["channel"] == "tripadvisor"


def test_a_reply_on_a_channel_it_is_not_written_for_is_refused(team, cli):
    defamatory_review_at_the_public_reply(cli)
    result = cli("reply", "draft", "1", "--channel", "x", code=2)
    assert "template review_reply of defamatory_review is written for google_reviews, tripadvisor, trustpilot, facebook, not for x" \
           in result.stderr
    assert "--set nope: playbook defamatory_review declares no such value" in cli("reply", "draft", "1", "--set", "nope=1", code=2).stderr
    assert "--channel 'telegram' is not a channel crisis knows" in cli("reply", "draft", "1", "--channel", "telegram", code=2).stderr


def test_the_dsa_notice_is_drafted_for_email_with_its_four_elements(team, cli):
    defamatory_review_at_the_public_reply(cli)
    for key, value in (("disputed_passage", "The manager took cash from the safe."), ("why_false", "None of our rooms has a safe."),
                       ("notifier_name", "Claire Martin, general manager"), ("notifier_email", "claire.martin@example.com"),
                       ("author_request_sent_on", "2026-11-19")):
        cli("fact", "1", key, value)
    notice = cli("reply", "draft", "1", "--template", "host_notice", "--lang", "en", "--set", "author=Voyageur75").stdout
    for element in ("1. Exact location of the content\nURL: https://www.tripadvisor.fr/ShowUserReviews-g1-d2-r3.html",
                    "2. Substantiated explanation of why the content is illegal", "article 29", "3. Notifier\nClaire Martin, general manager",
                    "E-mail address: claire.martin@example.com", "4. Statement of good faith", "5. Prior request to the author\nOn 19 November 2026"):
        assert element in notice, element
    assert replies(cli)[-1]["channel"] == "email"


def test_a_missing_value_or_contact_is_named_with_how_to_give_it(workspace, cli):
    """Without [replies] contact in crisis.toml, a template that invites private contact cannot be drafted."""
    bad_buzz_at_the_holding_statement(cli)
    result = cli("reply", "draft", "1", "--lang", "fr", code=2)
    assert "template holding_statement.x.fr.txt.j2 needs next_update_at (Heure du prochain point" in result.stderr
    assert "Hint: --set next_update_at='15 h'" in result.stderr
    cli("next", "1", code=4)  # nothing published: the step holds
    cli("reply", "draft", "1", "--channel", "facebook", "--set", "next_update_at=3 pm")  # this one has no contact line
    result = cli("reply", "draft", "1", "--template", "update", "--channel", "facebook", "--set", "next_update_at=3 pm", code=2)
    assert "template update.en.txt.j2 invites private contact but no address is set for it" in result.stderr


def test_without_a_roster_the_second_pair_of_eyes_is_still_required(workspace, cli):
    bad_buzz_at_the_holding_statement(cli)
    cli("reply", "draft", "1", "--set", "next_update_at=3 pm")
    assert "ana wrote R1 and cannot approve it" in cli("reply", "approve", "1", "R1", code=4).stderr
    cli("reply", "approve", "1", "R1", "--as", "bea")
    rule = [e for e in timeline(cli) if e["kind"] == "reply_approved"][0]["data"]["rule"]
    assert rule == "four-eyes at SEV2+; roles not checked: the workspace has no oncall.yaml"


def test_an_injected_template_is_refused_end_to_end_and_nothing_is_stored(team, cli):
    path = team / "templates" / "bad_buzz" / "holding_statement.x.en.txt.j2"
    path.write_text("We have seen your messages.\n{{ cycler.__init__.__globals__.os.popen('id').read() }}\n", encoding="utf-8")
    bad_buzz_at_the_holding_statement(cli)
    result = cli("reply", "draft", "1", "--set", "next_update_at=3 pm", code=5)
    assert f"Error: {path}:2: refused: attribute '__globals__'" in result.stderr
    assert replies(cli) == []
    check = cli("playbook", "check", "bad_buzz", code=5, report=True)
    assert f"{path}:2: error: refused: attribute '__globals__'; a reply template cannot reach Python internals" in check.stdout


def test_playbook_check_reads_the_templates_as_a_reviewer_would(team, cli):
    folder = team / "templates" / "bad_buzz"
    (folder / "update.x.fr.txt.j2").write_text("Point d'étape : {{ facts.mood }} {{ weather }}.\n", encoding="utf-8")
    (folder / "holding_statement.x.en.txt.j2").write_text("We have seen your messages. " * 12 + "Next update by {{ next_update_at }}.\n",
                                                          encoding="utf-8")
    (folder / "correction.fr.txt.j2").write_text("Bonjour,\n{% if facts.fix %}\n", encoding="utf-8")
    out = cli("playbook", "check", "bad_buzz", code=5, report=True).stdout
    assert f"{folder / 'update.x.fr.txt.j2'}:1: error: variable 'weather' is provided by no field, fact or value declared in " in out
    assert f"{folder / 'update.x.fr.txt.j2'}:1: error: fact 'mood' is not a fact of playbook bad_buzz" in out
    assert f"{folder / 'correction.fr.txt.j2'}:2: error: template syntax error: Unexpected end of template" in out
    (folder / "update.x.fr.txt.j2").unlink()
    (folder / "correction.fr.txt.j2").unlink()
    (folder / "correction.fr.txt.j2").write_text("Bonjour {{ brand }}.\n", encoding="utf-8")
    out = cli("playbook", "check", "bad_buzz", code=5, report=True).stdout
    assert re.search(rf"{re.escape(str(folder / 'holding_statement.x.en.txt.j2'))}:0: error: rendered with the samples for x in en: "
                     r"x: 3\d\d/280 weighted characters", out)
    # without its short X form, the update falls back to the long base text, which X cannot carry
    assert re.search(rf"{re.escape(str(folder / 'update.fr.txt.j2'))}:0: error: rendered with the samples for x in fr: x: 4\d\d/280", out)


def test_templates_list_shows_variants_languages_and_channels(team, cli):
    out = cli("templates", "list", "--playbook", "defamatory_review").stdout
    assert "defamatory_review  review_reply           tripadvisor     fr  written for: google_reviews, tripadvisor, trustpilot, facebook" in out
    rows = json.loads(cli("templates", "list", "--json").stdout)
    assert {r["playbook"] for r in rows} >= {"activist_attack", "bad_buzz", "defamatory_review", "hijacked_account", "rumour", "data_leak", "abusive_comments"}
    assert {(r["name"], r["lang"]) for r in rows if r["playbook"] == "defamatory_review" and r["name"] == "right_of_reply"} == \
        {("right_of_reply", "fr"), ("right_of_reply", "en")}


def test_a_self_approval_that_no_longer_suffices_after_a_severity_rise_is_refused_at_publication(team, cli):
    bad_buzz_at_the_holding_statement(cli, sensitive="no")
    cli("reply", "draft", "1", "--set", "next_update_at=3 pm")
    cli("reply", "approve", "1", "R1")  # SEV3: below the approval severity
    cli("severity", "1", "SEV1", "--why", "picked up by the national press")
    refused = cli("reply", "publish", "1", "R1", code=4)
    assert "R1 was approved by ana, which no longer suffices: INC-0001 is SEV1 now, and at SEV2 and above" in refused.stderr
    assert "crisis reply approve INC-0001 R1 --as SOMEONE_ELSE (ask bea (Bea Durand))" in refused.stderr
    assert "ana wrote R1 and cannot approve it" in cli("reply", "approve", "1", "R1", code=4).stderr
    cli("reply", "approve", "1", "R1", "--as", "bea")
    cli("reply", "publish", "1", "R1")
    assert [e["actor"] for e in timeline(cli) if e["kind"] == "reply_approved"] == ["ana", "bea"]


def test_a_holding_statement_published_during_triage_counts_for_its_step(team, cli):
    """The golden hour does not wait for the triage facts: the statement goes out first, and its step accepts it."""
    cli("open", "-p", "bad_buzz", "-t", "Naked man in the catalogue photo", "--channel", "x")
    cli("ack", "1")
    refused = cli("reply", "draft", "1", "--template", "holding_statement", "--set", "next_update_at=3 pm", code=5)
    assert "holding_statement.x.en.txt.j2:3: fact 'subject' is not answered (crisis fact REF subject VALUE)" \
        in refused.stderr
    cli("fact", "1", "subject", "the photo in our winter catalogue")
    cli("reply", "draft", "1", "--template", "holding_statement", "--set", "next_update_at=3 pm")
    cli("reply", "approve", "1", "R1", "--as", "bea")
    cli("reply", "publish", "1", "R1")
    assert replies(cli)[0]["step"] == "holding_statement"
    for key, value in (("origin_platform", "x"), ("sensitive_stakes", "yes"), ("fault_kind", "our_content"),
                       ("offending_content", "catalogue_or_website"), ("person_harmed", "no")):
        cli("fact", "1", key, value)
    cli("respond", "1")
    for item in QUALIFY:
        cli("check", "1", item)
    cli("next", "1")
    for item in HOLDING:
        cli("check", "1", item)
    assert "→ responding.crisis_cell" in cli("next", "1").stdout
