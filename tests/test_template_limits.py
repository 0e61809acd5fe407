"""Templates cannot take the machine down: each hostile payload is stopped, before it allocates or loops for
long, with an error naming the template and the line (bench/hostile_templates.py prints how fast each stops)."""

from __future__ import annotations

from pathlib import Path

import pytest

from crisis.errors import ContentError
from crisis.replies.render import parse_template, render_template

S = "{% set s = 'x' * 20000 %}"
HOSTILE = {  # name → (template line 2, what the refusal says)
    "format width": ("{{ '%0999999999d' % 1 }}", "asks for a width of 999999999 characters"),
    "format filter": ("{{ '%0999999999d' | format(1) }}", "asks for a width of 999999999 characters"),
    "format star": ("{{ '%*d' % (999999999, 1) }}", "takes its width from the values"),
    "huge power": ("{{ 9 ** 99999999 }}", "the power 9 ** 99999999 is too large"),
    "chained powers": ("{% set a = 9 ** 64 %}{% set b = a ** 64 %}{{ b ** 64 }}", "is too large for a reply template"),
    "huge product": ("{% set a = 9 ** 60 %}{% set b = a * a * a * a * a * a * a * a * a * a * a * a * a * a * a * a %}{{ b * b }}",
                     "a number of about"),
    "center filter": ("{{ brand | center(10**9) }}", "a text of 1,000,000,000 characters"),
    "center method": ("{{ brand.center(10**9) }}", "a text of 1,000,000,000 characters"),
    "zfill": ("{{ brand.zfill(10**9) }}", "a text of 1,000,000,000 characters"),
    "ljust": ("{{ brand.ljust(10**9) }}", "a text of 1,000,000,000 characters"),
    "indent": ("{{ brand | indent(10**9) }}", "a text of 1,000,000,004 characters"),
    "indent lines": (S + "{{ ('x\\n' * 10000) | indent(10000) }}", "characters (at most 100,000)"),
    "expandtabs": ("{{ ('\\t' * 10000).expandtabs(100000) }}", "a text of 1,000,010,000 characters"),
    "replace filter": (S + "{{ s | replace('', s) }}", "a text of 400,040,000 characters"),
    "replace method": (S + "{{ s.replace('x', s) }}", "a text of 400,000,000 characters"),
    "join filter": (S + "{{ s | list | join(s) }}", "a text of 399,980,000 characters"),
    "join method": (S + "{{ s.join(s | list) }}", "a text of 399,980,000 characters"),
    "wordwrap": (S + "{{ s | wordwrap(1, true, s) }}", "characters (at most 100,000)"),
    "batch fill": ("{{ [1] | batch(10**9, 'x') | list }}", "a text of 1,000,000,000 characters"),
    "tojson indent": ("{{ {'a': [[[1]]]} | tojson(10**9) }}", "characters (at most 100,000)"),
    "concat": (S + "{{ s ~ s ~ s ~ s ~ s ~ s }}", "a text of 120,000 characters"),
    "doubling": (S + "{% set a = s + s %}{% set b = a + a %}{{ b + b }}", "a text of 160,000 characters"),
    "nested loops": (S + "{% for a in s %}{% for b in s %}{% endfor %}{% endfor %}", "more than 100,000 operations"),
    "400 MB output": (S + "{% for a in s %}{% for b in s %}{{ s }}{% endfor %}{% endfor %}", "the output passed 200,000 characters"),
    "output in a set block": (S + "{% set b %}{% for a in s %}{{ s }}{% endfor %}{% endset %}{{ b | length }}",
                              "the output passed 200,000 characters"),
    "literal text in loops": (S + "{% for a in s %}{% for b in s %}" + "y" * 1000 + "{% endfor %}{% endfor %}",
                              "the output passed 200,000 characters"),
    "recursive macro": ("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", "recursion too deep"),
    "exponential macro": ("{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(60) }}",
                          "more than 100,000 operations"),
    "recursive loop": ("{% for x in [[1]] recursive %}{{ loop([x]) }}{% endfor %}", "recursion too deep"),
}


def write(folder: Path, text: str) -> Path:
    path = folder / "probe.en.txt.j2"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("name", HOSTILE)
def test_each_hostile_template_is_stopped_naming_the_template_and_line(tmp_path, name):
    line, says = HOSTILE[name]
    path = write(tmp_path, "Bonjour,\n" + line + "\nCordialement.\n")
    with pytest.raises(ContentError) as stopped:
        render_template(path, {"brand": "Acme", "facts": {}})
    assert stopped.value.message.startswith(f"{path}:2: refused: "), stopped.value.message
    assert says in stopped.value.message


def test_a_slow_template_is_stopped_by_the_time_limit(tmp_path):
    path = write(tmp_path, "Bonjour,\n" + S + "{% for a in s %}{{ s | list | sort | first }}{% endfor %}\n")
    with pytest.raises(ContentError, match=r":2: refused: rendering took more than 0.05 s of CPU"):
        render_template(path, {"brand": "Acme", "facts": {}}, seconds=0.05)


def test_the_limits_leave_a_real_reply_alone(tmp_path):
    text = ("{% macro sign(n) %}{{ n }}, {{ brand }}{% endmacro %}Bonjour {{ facts.name | title }},\n"
            "{% for step in ['a', 'b', 'c'] %}{{ loop.index }}. {{ step | upper | center(5) }} {{ '%02d' % loop.index }}\n{% endfor %}"
            "{{ ('Nous vous répondons ' ~ 'en privé.') | wordwrap(20) }}\n{{ sign(\"L'équipe\") }} {{ 2 ** 10 }}")
    out = render_template(write(tmp_path, text), {"brand": "Acme", "facts": {"name": "léa"}})
    assert out.startswith("Bonjour Léa,\n1.   A   01\n2.   B   02\n3.   C   03\nNous vous répondons\nen privé.\n")
    assert out.endswith("L'équipe, Acme 1024")


def test_an_unknown_filter_is_named_with_its_line_and_a_suggestion(tmp_path):
    path = write(tmp_path, "Bonjour,\n{{ brand | nosuchfilter }}\n{{ brand | uper }}\n")
    with pytest.raises(ContentError) as refused:
        parse_template(path)
    assert refused.value.message == f"{path}:2: no filter named 'nosuchfilter'"
    assert "list-of-builtin-filters" in refused.value.hint
    path.write_text("Bonjour,\n{{ brand | uper }}\n", encoding="utf-8")
    with pytest.raises(ContentError) as refused:
        render_template(path, {"brand": "Acme", "facts": {}})
    assert refused.value.message == f"{path}:2: no filter named 'uper'" and refused.value.hint == "did you mean upper?"


def test_a_recursive_macro_stops_at_our_own_depth_whatever_python_allows(tmp_path):
    """The depth cap is ours: with Python's recursion limit raised (as some libraries do), a macro calling itself
    still stops after a few dozen calls, not when the CPU budget runs out (a different message)."""
    import sys

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200_000)
    try:
        path = write(tmp_path, "Bonjour,\n{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}\nCordialement.\n")
        with pytest.raises(ContentError) as stopped:
            render_template(path, {"brand": "Acme", "facts": {}})
    finally:
        sys.setrecursionlimit(limit)
    assert "recursion too deep: more than 64 nested calls" in stopped.value.message
