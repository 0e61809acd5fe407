"""How fast each hostile reply template is stopped, beside the render of a real reply in the same run.

    python bench/hostile_templates.py

Each payload of tests/test_template_limits.py (format widths, powers, padding, loops, a 400 MB
output, recursion...) is rendered by crisis.replies.render.render_template; the figure is the
time until it is refused with a ContentError naming the template and line. The reference is the
shipped hijacked_account followers_notice template rendered with the samples.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crisis.errors import ContentError  # noqa: E402
from crisis.replies.manifest import SAMPLES  # noqa: E402
from crisis.replies.render import render_template  # noqa: E402
from tests.test_template_limits import HOSTILE  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def timed(path: Path, context: dict) -> tuple[float, str]:
    started = time.perf_counter()
    try:
        out = f"rendered {len(render_template(path, context))} characters"
    except ContentError as exc:
        out = exc.message.partition(": refused: ")[2][:70] or exc.message[-70:]
    return time.perf_counter() - started, out


def main() -> int:
    folder = Path(tempfile.mkdtemp(prefix="crisis-hostile-"))
    real = ROOT / "templates" / "hijacked_account" / "followers_notice.en.txt.j2"
    context = {**SAMPLES, "brand": "Acme", "channel": "facebook", "lang": "en", "facts": {}, "next_update_at": "3 pm"}
    reference = statistics.median(timed(real, context)[0] for _ in range(20))
    print(f"reference: {real.relative_to(ROOT)} rendered in {reference * 1000:.2f} ms (median of 20)")
    worst, failures = 0.0, 0
    for name, (line, _) in HOSTILE.items():
        path = folder / "probe.en.txt.j2"
        path.write_text("Bonjour,\n" + line + "\nCordialement.\n", encoding="utf-8")
        elapsed, outcome = timed(path, {"brand": "Acme", "facts": {}})
        failures += outcome.startswith("rendered")
        worst = max(worst, elapsed)
        print(f"  {name:<22} stopped in {elapsed * 1000:7.1f} ms ({elapsed / reference:5.1f}× the reference)  {outcome}")
    print(f"hostile_templates: {len(HOSTILE)} payloads, {len(HOSTILE) - failures} stopped, the slowest in {worst * 1000:.0f} ms; "
          f"reference {reference * 1000:.2f} ms")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
