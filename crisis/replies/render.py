"""Reply templates: found by channel and language, linted, rendered in Jinja2's immutable sandbox.

Lookup order for reply NAME of playbook P on channel C in language L, first found wins:
`templates/P/NAME.C.L.txt.j2` (the channel's short form), then `templates/P/NAME.L.txt.j2`.
Before a template is compiled its syntax tree is read, and anything that reaches for Python
internals (attributes starting with `_`, `mro`, `format`, the `attr` filter, the `cycler`,
`joiner`, `namespace` and `lipsum` globals, `self`, includes and imports) is refused with the
file and line: it never runs. A render that would take the machine down (a huge format width, power,
padding, loop, output or recursion) is stopped by the limits of `crisis.replies.limits`, checked in
every operator, call, filter, loop turn and output of the template, before the work is done.
This module is the only importer of jinja2 for replies.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
from collections.abc import Iterator, Mapping, Sized
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, meta, nodes, pass_context
from jinja2.exceptions import SecurityError, TemplateError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import missing, object_type_repr
from jinja2.visitor import NodeTransformer

from crisis.errors import ContentError, NotFoundError
from crisis.playbook.finding import Finding
from crisis.playbook.model import Playbook
from crisis.replies import limits
from crisis.replies.channels import CHANNELS, breaches
from crisis.replies.limits import LimitExceeded
from crisis.replies.manifest import FIELDS, FREE_VALUES, MANIFEST, SAMPLES, load_manifest
from crisis.settings import LANGUAGES

SUFFIX = ".txt.j2"
FORBIDDEN_NAMES = {"cycler", "joiner", "namespace", "lipsum", "self", "range", "dict"}
FORBIDDEN_ATTRS = {"mro", "format", "format_map", "func_globals", "f_globals", "f_locals", "f_back", "gi_frame", "gi_code",
                   "cr_frame", "cr_code", "ag_frame", "tb_frame", "tb_next", "func_code", "im_func", "im_self", "co_code"}
FORBIDDEN_FILTERS = {"attr", "xmlattr"}
CALL_COST = 4  # operations a call (a macro, a method) counts for: it costs several of the others


class _Facts(dict):
    """The incident's answered facts, so that a missing one is named as a fact."""


class _Missing(StrictUndefined):
    @property
    def _undefined_message(self) -> str:
        if self._undefined_hint:
            return self._undefined_hint
        if self._undefined_obj is missing:
            return f"variable {self._undefined_name!r} is not defined"
        if isinstance(self._undefined_obj, _Facts):
            return f"fact {self._undefined_name!r} is not answered (crisis fact REF {self._undefined_name} VALUE)"
        return f"{object_type_repr(self._undefined_obj)} has no attribute {self._undefined_name!r}"


class _Sandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"+", "-", "*", "/", "//", "%", "**"})

    def call_binop(self, context, operator, left, right):
        limits.check_binop(operator, left, right)
        return super().call_binop(context, operator, left, right)

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805  (jinja's own signature)
        owner = getattr(__obj, "__self__", None)
        if isinstance(owner, str) and callable(__obj):
            if __obj.__name__ == "join" and args and not isinstance(args[0], Sized):
                args = (list(limits.loop(args[0])), *args[1:])
            limits.check_str_method(owner, __obj.__name__, args)
            return super().call(__context, __obj, *args, **kwargs)
        budget = limits.current()
        budget.spend(CALL_COST)
        with budget.nested():
            return super().call(__context, __obj, *args, **kwargs)


_FILTER_CHECKS = {  # filter → the size, at most, of what it builds from (value, *args)
    "center": lambda value, width=80, *_: max(width, len(str(value))) if isinstance(width, int) else 0,
    "indent": lambda s, width=4, *_, **__: limits.indented_size(str(s), width),
    "replace": lambda s, old="", new="", *_: limits.replaced_size(str(s), str(old), str(new)),
    "join": lambda value, d="", *_, **__: len(str(d)) * max(len(value) - 1, 0),
    "wordwrap": lambda s, width=79, _b=True, wrapstring=None, *_, **kw: len(str(s)) + len(str(wrapstring or kw.get("wrapstring") or "\n"))
    * (len(str(s)) // max(width, 1) + 1) if isinstance(width, int) else 0,
    "batch": lambda value, linecount=1, *_: linecount if isinstance(linecount, int) else 0,
    "slice": lambda value, slices=1, *_: slices if isinstance(slices, int) else 0,
    "tojson": lambda value, indent=None, *_: (indent or 0) * 1_000 if isinstance(indent, int) else 0,
}


def _guarded(name: str, original: Any) -> Any:
    offset = 1 if getattr(original, "jinja_pass_arg", None) else 0

    @functools.wraps(original)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if name == "format" and len(args) > offset:
            limits.check_format(str(args[offset]))
        elif name in _FILTER_CHECKS and len(args) > offset:
            if name == "join" and not isinstance(args[offset], Sized):
                args = (*args[:offset], list(limits.loop(args[offset])), *args[offset + 1:])
            limits.current().build(_FILTER_CHECKS[name](*args[offset:], **kwargs))
        else:
            limits.current().spend()
        return original(*args, **kwargs)

    return guarded


@pass_context
def _out(context: Any, value: Any) -> str:
    return limits.current().write(value if isinstance(value, str) else str(value))


@pass_context
def _concat(context: Any, values: list[Any]) -> str:
    texts = [str(v) for v in values]
    limits.current().build(sum(map(len, texts)))
    return "".join(texts)


@pass_context
def _loop(context: Any, items: Any) -> Iterator[Any]:
    return limits.loop(items)


class _Guard(NodeTransformer):
    """Routes every loop, output and `~` of a template through the budget of its render."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        node = self.generic_visit(node)
        node.iter = nodes.Filter(node.iter, "crisis_loop", [], [], None, None, lineno=node.lineno)
        return node

    def visit_Output(self, node: nodes.Output) -> nodes.Node:
        node = self.generic_visit(node)
        node.nodes = [nodes.Filter(nodes.Const(n.data, lineno=n.lineno) if isinstance(n, nodes.TemplateData) else n,
                                   "crisis_out", [], [], None, None, lineno=n.lineno) for n in node.nodes]
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        node = self.generic_visit(node)
        return nodes.Filter(nodes.List(node.nodes, lineno=node.lineno), "crisis_concat", [], [], None, None, lineno=node.lineno)


def _environment() -> _Sandbox:
    env = _Sandbox(undefined=_Missing, autoescape=False, trim_blocks=False, keep_trailing_newline=False, auto_reload=False)
    env.globals.clear()  # cycler, joiner, namespace, lipsum, range, dict: a reply needs none of them
    for name in FORBIDDEN_FILTERS:
        env.filters.pop(name, None)
    for name, original in list(env.filters.items()):
        env.filters[name] = _guarded(name, original)
    env.filters.update(crisis_out=_out, crisis_concat=_concat, crisis_loop=_loop, thousands=thousands)
    return env


def thousands(number: Any, lang: str = "en") -> str:
    """A whole number grouped by thousands as each language writes it: `12 000` in French (narrow no-break space),
    `12,000` in English; anything else is returned as text.

    >>> thousands(12000, "fr"), thousands(12000, "en")
    ('12\u202f000', '12,000')
    """
    if isinstance(number, bool) or not isinstance(number, int):
        return str(number)
    return f"{number:,}".replace(",", "\u202f") if lang == "fr" else f"{number:,}"


_ENV = _environment()


def find_template(templates_dir: Path, playbook_id: str, name: str, *, channel: str, lang: str) -> Path:
    """The template for this reply, channel and language, per the lookup order. Raises NotFoundError."""
    folder = templates_dir / playbook_id
    for candidate in (folder / f"{name}.{channel}.{lang}{SUFFIX}", folder / f"{name}.{lang}{SUFFIX}"):
        if candidate.is_file():
            return candidate
    known = sorted({p.name.split(".")[0] for p in folder.glob(f"*{SUFFIX}")}) if folder.is_dir() else []
    raise NotFoundError(f"no template {name!r} for playbook {playbook_id} in {lang} (looked for {folder / f'{name}.{channel}.{lang}{SUFFIX}'} "
                        f"and {folder / f'{name}.{lang}{SUFFIX}'})", hint=f"templates of {playbook_id}: {', '.join(known) or 'none'}")


@dataclass(frozen=True)
class TemplateFile:
    """One template file as `crisis templates list` shows it."""

    playbook: str
    name: str
    channel: str | None
    lang: str
    path: Path


def list_templates(templates_dir: Path, *, playbook_id: str | None = None) -> list[TemplateFile]:
    found = []
    for path in sorted(templates_dir.glob(f"{playbook_id or '*'}/*{SUFFIX}")):
        parts = path.name[: -len(SUFFIX)].split(".")
        if len(parts) in (2, 3):
            found.append(TemplateFile(path.parent.name, parts[0], parts[1] if len(parts) == 3 else None, parts[-1], path))
    return found


def parse_template(path: Path) -> nodes.Template:
    """The template's syntax tree, after refusing anything unsafe. Raises ContentError naming file and line."""
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ContentError(f"{path}: cannot be read ({exc})") from exc
    try:
        tree = _ENV.parse(source, name=path.name, filename=str(path))
    except TemplateSyntaxError as exc:
        raise ContentError(f"{path}:{exc.lineno}: template syntax error: {exc.message}",
                           hint="see https://jinja.palletsprojects.com/en/stable/templates/ for the syntax") from None
    for line, what in unsafe_constructs(tree):
        raise ContentError(f"{path}:{line}: refused: {what}; a reply template cannot reach Python internals, and this one was not run",
                           hint="use only facts, fields and values with plain tests, filters and `set`")
    for node in tree.find_all((nodes.Filter, nodes.Test)):
        known = _ENV.filters if isinstance(node, nodes.Filter) else _ENV.tests
        if node.name not in known:
            kind = "filter" if isinstance(node, nodes.Filter) else "test"
            close = difflib.get_close_matches(node.name, [k for k in known if not k.startswith("crisis_")], n=3)
            raise ContentError(f"{path}:{node.lineno}: no {kind} named {node.name!r}",
                               hint=f"did you mean {' or '.join(close)}?" if close else
                               f"see the {kind}s at https://jinja.palletsprojects.com/en/stable/templates/#list-of-builtin-{kind}s")
    return tree


def unsafe_constructs(tree: nodes.Template) -> Iterator[tuple[int, str]]:
    """(line, what) for every construct of the tree that could reach Python internals."""
    for node in tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Name, nodes.Filter, nodes.Test, nodes.Include, nodes.Import,
                               nodes.FromImport, nodes.Extends)):
        if isinstance(node, nodes.Getattr) and (node.attr.startswith("_") or node.attr in FORBIDDEN_ATTRS):
            yield node.lineno, f"attribute {node.attr!r}"
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str) \
                and (node.arg.value.startswith("_") or node.arg.value in FORBIDDEN_ATTRS):
            yield node.lineno, f"item {node.arg.value!r}"
        elif isinstance(node, nodes.Name) and node.name in FORBIDDEN_NAMES and node.ctx == "load":
            yield node.lineno, f"the global {node.name!r}"
        elif isinstance(node, nodes.Filter) and node.name in FORBIDDEN_FILTERS:
            yield node.lineno, f"the filter {node.name!r}"
        elif isinstance(node, (nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)):
            yield node.lineno, f"{type(node).__name__.lower()} of another template (a reply template stands alone)"


def template_variables(tree: nodes.Template) -> tuple[set[str], set[str]]:
    """(top-level variables, facts read as `facts.X` or `facts["X"]`) the template needs from its context."""
    names = meta.find_undeclared_variables(tree)
    facts = {n.attr for n in tree.find_all(nodes.Getattr) if isinstance(n.node, nodes.Name) and n.node.name == "facts"}
    facts |= {n.arg.value for n in tree.find_all(nodes.Getitem)
              if isinstance(n.node, nodes.Name) and n.node.name == "facts" and isinstance(n.arg, nodes.Const)}
    return set(names), facts


def render_template(path: Path, context: Mapping[str, Any], *, seconds: float = limits.MAX_SECONDS) -> str:
    """Render `path` with `context` (its `facts` a mapping) within the limits of `crisis.replies.limits` (CPU
    `seconds`). Raises ContentError naming file, line and the problem, or the limit that stopped it."""
    try:
        stat = path.stat()
    except OSError as exc:
        raise ContentError(f"{path}: cannot be read ({exc})") from exc
    template = _compiled(path, stat.st_mtime_ns, stat.st_size)
    values = {**context, "facts": _Facts(context.get("facts") or {})}
    try:
        with limits.budget(seconds=seconds):
            return "".join(template.generate(values)).strip()
    except LimitExceeded as exc:
        raise ContentError(f"{path}:{_line(exc, path)}: refused: {exc}; this template was stopped",
                           hint="a reply is a few thousand characters: simplify the template") from None
    except RecursionError as exc:
        raise ContentError(f"{path}:{_line(exc, path)}: refused: a macro or loop calls itself without end (recursion too deep); "
                           "this template was stopped", hint="give the recursion an end, or write the text out") from None
    except UndefinedError as exc:
        hint = "answer it, then draft again" if (exc.message or "").startswith("fact ") else \
            "pass it with --set NAME=VALUE, or declare it in the playbook's replies.yaml"
        raise ContentError(f"{path}:{_line(exc, path)}: {exc.message}", hint=hint) from None
    except SecurityError as exc:
        raise ContentError(f"{path}:{_line(exc, path)}: refused: {(exc.message or '').rstrip('.')}; this template was stopped") from None
    except (TemplateError, TypeError, ValueError, ArithmeticError, LookupError) as exc:
        raise ContentError(f"{path}:{_line(exc, path)}: the template failed: {exc.__class__.__name__}: {exc}") from None


@functools.lru_cache(maxsize=512)
def _compiled(path: Path, mtime_ns: int, size: int) -> Any:
    """The checked and compiled template, kept while the file is unchanged (its time and size are the key)."""
    code = _ENV.compile(_Guard().visit(parse_template(path)), name=path.name, filename=str(path))
    return _ENV.template_class.from_code(_ENV, code, _ENV.make_globals(None))


def _line(exc: BaseException, path: Path) -> int | str:
    """The template line of the deepest frame that ran in `path` (Jinja rewrites tracebacks so)."""
    line: int | str = "?"
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == str(path):
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def check_replies(playbook: Playbook, templates_dir: Path) -> list[Finding]:
    """What `crisis playbook check` finds in a playbook's templates: syntax, unsafe constructs, variables nothing
    provides, and texts that break a channel's limits or rules when rendered with the samples in every declared
    channel and language. Raises nothing."""
    folder = templates_dir / playbook.id
    try:
        manifest = load_manifest(folder)
    except ContentError as exc:
        return [Finding(str(folder / MANIFEST), 0, exc.message)]
    findings, facts = [], {f.id for f in playbook.facts}
    files = list_templates(templates_dir, playbook_id=playbook.id)
    for t in files:
        try:
            tree = parse_template(t.path)
        except ContentError as exc:
            findings.append(_finding(t.path, exc.message))
            continue
        names, used_facts = template_variables(tree)
        for name in sorted(names - set(FIELDS) - set(FREE_VALUES) - set(manifest.values)):
            findings.append(Finding(str(t.path), _first_line(tree, name), f"variable {name!r} is provided by no field, fact or value "
                                    f"declared in {manifest.path}"))
        for fact in sorted(used_facts - facts):
            findings.append(Finding(str(t.path), _first_line(tree, "facts"), f"fact {fact!r} is not a fact of playbook {playbook.id}"))
    findings += _stale_preapprovals(playbook, folder)
    if any(f.level == "error" for f in findings):
        return findings
    names = sorted({t.name for t in files} | {s.reply for s in playbook.steps if s.reply})
    for name in names:
        for channel in manifest.channels_of(name) or ("website",):
            for lang in LANGUAGES:
                context = {**SAMPLES, "channel": channel, "lang": lang, "facts": {f.id: f.sample for f in playbook.facts if f.sample is not None},
                           **{v.id: v.sample[lang] for v in manifest.values.values()}}
                try:
                    path = find_template(templates_dir, playbook.id, name, channel=channel, lang=lang)
                    text = render_template(path, context)
                except NotFoundError as exc:
                    findings.append(Finding(str(folder / name), 0, f"{channel} {lang}: {exc.message}"))
                    continue
                except ContentError as exc:
                    found = _finding(path, exc.message)
                    findings.append(Finding(found.path, found.line, f"rendered with the samples for {channel} in {lang}: {found.message}"))
                    continue
                for breach in breaches(CHANNELS[channel], text, allowed=(SAMPLES["contact"],)):
                    findings.append(Finding(str(path), 0, f"rendered with the samples for {channel} in {lang}: {breach}"))
    return findings


def _stale_preapprovals(playbook: Playbook, folder: Path) -> list[Finding]:
    """A pre-approved statement whose template file changed (or vanished) since its approval: it may no longer go out
    under the on-call's own approval, so the check says so before a night shift finds out."""
    found = []
    for step in playbook.steps:
        if step.preapproved is None:
            continue
        for name, digest in step.preapproved.templates.items():
            path = folder / name
            current = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None
            if current != digest:
                found.append(Finding(playbook.path, step.line, f"step {step.id}: pre-approved version {step.preapproved.version} covers {name}, "
                                     + ("which is missing" if current is None else f"which has changed since (sha256 {current})")
                                     + "; have the new text approved and record its SHA-256 in `preapproved.templates`"))
        for lang in LANGUAGES:
            if step.reply and f"{step.reply}.{lang}{SUFFIX}" not in step.preapproved.templates:
                found.append(Finding(playbook.path, step.line, f"step {step.id}: the pre-approval lists no {step.reply}.{lang}{SUFFIX}", "warning"))
    return found


def _finding(path: Path, message: str) -> Finding:
    """A Finding at the line a `path:line: problem` message names."""
    line, _, problem = message.removeprefix(f"{path}:").partition(": ")
    return Finding(str(path), int(line), problem) if line.isdigit() else Finding(str(path), 0, message)


def _first_line(tree: nodes.Template, name: str) -> int:
    return min((n.lineno for n in tree.find_all(nodes.Name) if n.name == name), default=1)
