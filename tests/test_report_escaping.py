"""Markdown escaping, checked with a real CommonMark renderer: whatever a mention says renders as its own text."""

from __future__ import annotations

import html
import re

from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from crisis.report.render import escape_md

MD = MarkdownIt("commonmark").enable("table")
HOSTILE = st.sampled_from(["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "[x](javascript:alert(1))", "![i](http://e/x.png)",
                           "<http://e>", "*", "_", "`", "#", "- ", "1. ", "> ", "|", "\\", "&amp;", "&#60;", "---", "[a]: http://e", "~~"])
TEXTS = st.lists(st.one_of(HOSTILE, st.text(max_size=12)), max_size=8).map("".join)


# markdown-it trims a paragraph as JavaScript's trim() does: the edges, not the text, may lose these
JS_TRIM = " \t\n\v\f\r\u00a0\u1680" + "".join(map(chr, range(0x2000, 0x200b))) + "\u2028\u2029\u202f\u205f\u3000\ufeff"


def one_line(text: str) -> str:
    return re.sub(r"[\t\n\v\f\r ]+", " ", text).strip(JS_TRIM)


def visible(rendered: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", rendered)).strip(JS_TRIM)


@settings(max_examples=300, deadline=None)
@given(TEXTS)
def test_escaped_text_renders_as_itself_in_a_paragraph(text):
    rendered = MD.render(escape_md(text))
    assert set(re.findall(r"<(\w+)", rendered)) <= {"p"}, rendered
    assert visible(rendered) == one_line(text).replace("\x00", "\ufffd")  # CommonMark's only substitution


@settings(max_examples=200, deadline=None)
@given(TEXTS)
def test_escaped_text_stays_in_its_table_cell_and_list_item(text):
    rendered = MD.render(f"| a | b |\n| --- | --- |\n| {escape_md(text)} | end |\n\n- {escape_md(text)}\n")
    assert set(re.findall(r"<(\w+)", rendered)) <= {"table", "thead", "tbody", "tr", "th", "td", "ul", "li"}, rendered
    assert rendered.count("<td") == 2 and rendered.count("<li>") == 1 and "<td>end</td>" in rendered
