"""Synthetic demo data: reproducible answers for the programme's cities over three rounds.

Everything written here is flagged synthetic in the store, and every output made from it says so. The numbers are
invented to exercise the diagnostics (disagreement, gaps, change between rounds); they say nothing about real cities.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from ..model.cities import City, load_cities
from ..model.framework import load_framework
from ..model.types import SECTORS, check_slug
from .store import Store, bulk_answers


@dataclass(frozen=True)
class DemoRound:
    id: str
    title: str
    convening: str
    phases: tuple[int, ...]  # which programme phases answer in this round


# Rounds tied to the programme's convenings; phase-two cities joined in 2019, so they start in the second round.
DEMO_ROUNDS = (
    DemoRound(
        "bristol-2019", "Self-assessment before the Bristol convening (March 2019)", "bristol-2019-03", (1,)
    ),
    DemoRound(
        "cardiff-2019",
        "Self-assessment before the Cardiff convening (October 2019)",
        "cardiff-2019-10",
        (1, 2),
    ),
    DemoRound(
        "virtual-2020", "Self-assessment before the virtual convening (March 2020)", "virtual-2020-03", (1, 2)
    ),
)
LATEST_ROUND = DEMO_ROUNDS[-1].id

EVIDENCE = (
    "Synthetic example: minutes of the taskforce meeting that agreed this.",
    "Synthetic example: the council's published plan, section on newcomers.",
    "Synthetic example: survey of residents run with the university partner.",
    "Synthetic example: partnership agreement signed by the members.",
    "Synthetic example: quarterly monitoring report to the senior lead.",
)
COMMENTS = (
    "Synthetic comment: we are unsure whether this covers every service.",
    "Synthetic comment: progress has slowed since funding changed.",
    "Synthetic comment: employers have not yet been asked about this.",
)


def _seed(*parts: str | int) -> int:
    return int.from_bytes(("/".join(map(str, parts))).encode()[:8].ljust(8, b"\0"), "little") ^ 0x5EED


def generate(
    store: Store,
    *,
    seed: int = 2019,
    framework: str = "inclusive-cities",
    cities: list[City] | None = None,
    progress=None,
) -> dict[str, int]:
    """Fill `store` with synthetic rounds, respondents and answers. Returns counts."""
    fw = load_framework(framework)
    cities = cities if cities is not None else load_cities()
    rng = np.random.default_rng(seed)
    existing = {r.id for r in store.list_rounds()}
    for r in DEMO_ROUNDS:
        if r.id not in existing:
            store.create_round(
                r.id, framework, title=r.title, convening=r.convening, synthetic=True
            )
    area_codes = [a.code for a in fw.areas]
    # Questions on which respondents tend to disagree, and a few that some cities find not applicable.
    contested = set(
        rng.choice([q.code for q in fw.questions], size=max(1, len(fw.questions) // 6), replace=False)
    )
    counts = {"answers": 0, "respondents": 0}
    for city in cities:
        crng = np.random.default_rng([seed, _seed(city.slug)])
        base = crng.uniform(0.6, 2.6, size=len(area_codes)) + (0.4 if city.phase == 1 else 0.0)
        growth = crng.uniform(-0.2, 0.8, size=len(area_codes))
        na_questions = set(crng.choice([q.code for q in fw.questions], size=2, replace=False))
        step = 0
        for r in DEMO_ROUNDS:
            if city.phase not in r.phases:
                continue
            latent = dict(zip(area_codes, np.clip(base + growth * step, 0, fw.scale.max_level), strict=True))
            step += 1
            sectors = list(city.taskforce_sectors)
            if "employer" in sectors and crng.random() < 0.5:
                sectors.remove("employer")  # employers were the hardest group to engage
            n = int(crng.integers(3, 7))
            chosen = [sectors[i % len(sectors)] for i in crng.permutation(max(n, len(sectors)))[:n]]
            records = []
            for sector in chosen:
                resp, _ = store.add_respondent(
                    r.id,
                    city.slug,
                    sector,
                    role=f"{sector} member (synthetic)",
                    synthetic=True,
                    with_code=False,
                )
                counts["respondents"] += 1
                bias = crng.normal(0, 0.4)
                for q in fw.questions:
                    if crng.random() < 0.12:
                        continue  # not answered yet
                    rec = {"respondent_id": resp.id, "question": q.code}
                    if q.code in na_questions and crng.random() < 0.8:
                        rec["response"] = "na"
                    elif crng.random() < 0.06:
                        rec["response"] = "dont_know"
                    else:
                        noise = crng.normal(0, 1.3 if q.code in contested else 0.5)
                        level = int(np.clip(round(latent[q.area] + bias + noise), 0, fw.scale.max_level))
                        rec.update(response="level", level=level)
                        if crng.random() < 0.25 + 0.15 * level:
                            rec["evidence"] = EVIDENCE[int(crng.integers(len(EVIDENCE)))]
                        if crng.random() < 0.08:
                            rec["comment"] = COMMENTS[int(crng.integers(len(COMMENTS)))]
                    records.append(rec)
            counts["answers"] += bulk_answers(store, records, actor="demo-data (synthetic)")
        if progress:
            progress(city.slug)
    return counts


def extra_cities(n: int, root: Path, seed: int = 2019) -> list[City]:
    """Write `n` synthetic cities (`synthetic-0001`...) as city files under `root` and return them."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(1, n + 1):
        slug = check_slug(f"synthetic-{i:04d}", "city")
        k = int(rng.integers(4, 8))
        data = {
            "slug": slug,
            "name": f"Synthetic City {i}",
            "nation": "England",
            "phase": int(rng.integers(1, 3)),
            "year_joined": 2019,
            "synthetic": True,
            "leadership": {
                "senior_lead": "Senior lead (synthetic role)",
                "operational_lead": "Operational lead",
            },
            "taskforce_sectors": [str(s) for s in rng.choice(list(SECTORS), size=k, replace=False)],
            "context": "A synthetic city generated for scale tests; it is not a real place.",
        }
        (root / slug).mkdir(parents=True, exist_ok=True)
        (root / slug / "city.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        out.append(City.model_validate(data))
    return out
