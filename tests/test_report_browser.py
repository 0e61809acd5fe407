"""The HTML report in a real headless Chromium (Debian's): no script runs, no request leaves, the chart shows,
and it prints to A4 with each section on its own page. A screenshot and a PDF stay in the test's tmp dir."""

from __future__ import annotations

import shutil

import pypdf
import pytest
from playwright.sync_api import sync_playwright

from tests.test_report import hostile_mentions

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install chromium; CI installs it)")
SECTIONS = ("summary", "volume", "timeline", "said", "review", "evidence")


@pytest.mark.slow
def test_html_report_is_inert_offline_and_prints_by_section(workspace, cli, tmp_path):
    cli("ingest", str(hostile_mentions(tmp_path / "m.jsonl", extra=30)))
    cli("ack", "INC-0001", now="2026-11-20T10:20:00+00:00")
    page_file = tmp_path / "report.html"
    cli("report", "INC-0001", "-f", "html", "--full", "-o", str(page_file), now="2026-11-20T12:00:00+00:00")
    period_file = tmp_path / "period.html"
    cli("report", "period", "--from", "2026-11-01", "--to", "2026-11-30", "-f", "html", "-o", str(period_file))

    requests, consoles = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(java_script_enabled=True, viewport={"width": 390, "height": 844})  # a phone
        page.on("request", lambda r: requests.append(r.url))
        page.on("console", lambda m: consoles.append(m.text))
        page.goto(page_file.as_uri(), wait_until="load")
        page.wait_for_timeout(300)
        title = page.title()
        scripts = page.locator("script").count()
        injected = page.locator("img[onerror], a[href^='javascript'], b").count()
        chart = page.locator("#volume-chart")
        box = chart.bounding_box()
        natural = chart.evaluate("img => img.naturalWidth")
        body_text = page.inner_text("body")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        page.screenshot(path=str(tmp_path / "report-phone.png"), full_page=False)
        page.set_viewport_size({"width": 1200, "height": 900})
        page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        page.emulate_media(media="print")
        page.pdf(path=str(tmp_path / "report.pdf"), format="A4", print_background=True)
        period = browser.new_page(java_script_enabled=True)
        period.on("request", lambda r: requests.append(r.url))
        period.goto(period_file.as_uri(), wait_until="load")
        weekly = period.locator("#weekly-chart").bounding_box()
        period.pdf(path=str(tmp_path / "period.pdf"), format="A4")
        browser.close()

    assert title.startswith("INC-0001\u202f: Avis") and title != "pwned", "no script ran (it would have set the title)"
    assert scripts == 0 and injected == 0, "hostile markup stayed text"
    assert "<script>document.title='pwned'" in body_text
    assert [url for url in requests if not url.startswith(("file:", "data:"))] == [], "no request left the page"
    assert overflow <= 0, "on a phone the page never scrolls sideways (wide tables scroll in their own box)"
    assert box is not None and box["width"] > 300 and box["height"] > 100 and natural > 0, "the chart is visible"
    assert weekly is not None and weekly["height"] > 100, "the period review's chart of incidents per week is visible"
    pdf = pypdf.PdfReader(tmp_path / "report.pdf")
    assert all(abs(float(p.mediabox.width) - 595.3) < 2 and abs(float(p.mediabox.height) - 841.9) < 2 for p in pdf.pages), "A4"
    pages = [page.extract_text() for page in pdf.pages]
    headings = ("Synthèse", "Volume de mentions", "Chronologie", "Ce qui a été dit", "Retour d'expérience", "Annexe de preuves")
    starts = [next(i for i, text in enumerate(pages) if heading in text) for heading in headings]
    assert starts == sorted(set(starts)), f"each section starts on a page of its own: {starts}"
    assert all(pages[i].lstrip().startswith(h) for i, h in zip(starts[1:], headings[1:])), "a section opens its page"
