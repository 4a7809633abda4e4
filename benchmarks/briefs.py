"""Brief rendering benchmark: time per city brief (PDF and HTML, warm) for the twelve demo cities, and PDF sizes.

Reports are computed first (not timed). Rendering is timed warm, after one warm-up compile, which is how the batch
runner uses it (one worker process renders brief after brief). The baseline, measured in the same run, is a cold
Typst compile per brief (typst.compile with a new compiler each time: fonts and templates loaded again), which is
what calling the Typst CLI per city would cost at least. Targets: under 300 ms per city brief, PDF under 1 MB.

    python benchmarks/briefs.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _common import machine

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import typst  # noqa: E402

from icframework.analysis import exchange, reports  # noqa: E402
from icframework.analysis.models import CityReport  # noqa: E402
from icframework.render import city_outputs, render_brief_html, render_brief_pdf  # noqa: E402
from icframework.render.pdf import COLOURS, PDF_STANDARDS, TEMPLATES  # noqa: E402
from icframework.render.view import city_view  # noqa: E402
from icframework.store import Store  # noqa: E402
from icframework.store.demo import generate  # noqa: E402

ROUND = "virtual-2020"


def timed(fn, *args) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - start, out


def cold_pdf(report: CityReport) -> bytes:
    payload = json.dumps({"view": city_view(report), "colours": COLOURS}, ensure_ascii=False)
    return typst.compile(str(TEMPLATES / "city_brief.typ"), root=str(TEMPLATES), sys_inputs={"data": payload},
                         pdf_standards=PDF_STANDARDS)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="Render every brief this many times; report the median.")
    args = ap.parse_args()
    print(f"Machine: {machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{tmp}/icf.sqlite3")
        generate(store, seed=2019)
        pairs = exchange.round_pairs(store, ROUND)
        slugs = sorted({r.city for r in store.respondents_frame(ROUND).itertuples()})
        city_reports = {s: exchange.enrich_report(reports.city_report(store, s, ROUND), pairs=pairs) for s in slugs}
        convening = exchange.enrich_convening(reports.convening_report(store, ROUND))
        store.close()

        first = city_reports[slugs[0]]
        cold_first, _ = timed(render_brief_pdf, first)  # warm-up: compiler, fonts, templates
        html_first, _ = timed(render_brief_html, first)
        pdf_t, html_t, cold_t, sizes = [], [], [], {}
        for slug, report in city_reports.items():
            pdf_runs, html_runs = [], []
            for _ in range(args.repeat):
                t, pdf = timed(render_brief_pdf, report)
                pdf_runs.append(t)
                html_runs.append(timed(render_brief_html, report)[0])
            cold_t.append(timed(cold_pdf, report)[0])
            pdf_t.append(statistics.median(pdf_runs))
            html_t.append(statistics.median(html_runs))
            sizes[slug] = len(pdf)
        conv_t, conv_pdf = timed(render_brief_pdf, convening)

        out = Path(tmp) / "build"
        for slug, report in city_reports.items():
            (out / slug).mkdir(parents=True)
            reports.write_json(report, out / slug / "diagnostics.json")
        start = time.perf_counter()
        for slug in city_reports:
            city_outputs(out / slug)
        all_twelve = time.perf_counter() - start

    n = len(city_reports)
    per = [p + h for p, h in zip(pdf_t, html_t, strict=True)]
    print(f"Cities: {n} (round {ROUND}), each brief rendered {args.repeat} times, median taken")
    print(f"First brief in this process (cold): PDF {cold_first * 1000:.0f} ms, HTML {html_first * 1000:.0f} ms")
    print(f"PDF per city brief, warm:  median {statistics.median(pdf_t) * 1000:.0f} ms, "
          f"max {max(pdf_t) * 1000:.0f} ms")
    print(f"HTML per city brief, warm: median {statistics.median(html_t) * 1000:.0f} ms, "
          f"max {max(html_t) * 1000:.0f} ms")
    print(f"PDF + HTML per city, warm: median {statistics.median(per) * 1000:.0f} ms, max {max(per) * 1000:.0f} ms "
          f"(target < 300 ms: {'met' if max(per) < 0.3 else 'NOT met'})")
    print(f"Baseline, cold Typst compile per brief: median {statistics.median(cold_t) * 1000:.0f} ms; "
          f"warm is {statistics.median(cold_t) / statistics.median(pdf_t):.1f}x faster")
    print(f"All {n} city briefs with city_outputs (read diagnostics.json, write brief.pdf and brief.html): "
          f"{all_twelve:.2f} s, {all_twelve / n * 1000:.0f} ms per city")
    print(f"Convening brief PDF: {conv_t * 1000:.0f} ms, {len(conv_pdf) / 1024:.0f} KiB")
    print(f"City PDF sizes: min {min(sizes.values()) / 1024:.0f} KiB, median "
          f"{statistics.median(sizes.values()) / 1024:.0f} KiB, max {max(sizes.values()) / 1024:.0f} KiB "
          f"(target < 1 MB: {'met' if max(sizes.values()) < 1_000_000 else 'NOT met'})")


if __name__ == "__main__":
    main()
