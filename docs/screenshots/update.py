"""Copy the README's screenshots from the end-to-end tests' output (run ``make test`` first):
the top of the watch page at noon with PV curtailed, the builder's house, the grid's
load-shedding picker on a phone, the calibrated home of an imported history and a tariff's prices. The page is
cropped to its first 1,100 px (the flow, today and the chart; the builder and its house).
The plan panel's is of a 20-year plan, which the test does not run: ``ui/e2e/plan.mjs`` with
``PLAN_SCREENSHOT_YEARS=20`` against a live reference home writes it (skipped when missing).

    .venv/bin/python docs/screenshots/update.py
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
SHOTS = {
    "watch-noon-curtailed.png": ROOT / "out" / "e2e-watch" / "01-noon-curtailed.png",
    "builder-house.png": ROOT / "out" / "e2e-builder" / "01-house.png",
    "loadshedding-phone.png": ROOT / "out" / "e2e-loadshedding" / "05-preview-phone.png",
    "history-calibration.png": ROOT / "out" / "e2e-history" / "04-calibration.png",
    "tariff-shown.png": ROOT / "out" / "e2e-history" / "08-tariff-shown.png",
}
#: Made only on request (see above): copied when there.
OPTIONAL = {"plan-purchase.png": ROOT / "out" / "e2e-plan" / "03-plan-20-years.png"}
HEIGHT_PX = 1100


def main() -> int:
    for name, source in [*SHOTS.items(), *((n, s) for n, s in OPTIONAL.items() if s.exists())]:
        if not source.exists():
            print(f"{source} is missing: run make test (tests/ui) first", file=sys.stderr)
            return 1
        with Image.open(source) as image:
            top = image.crop((0, 0, image.width, min(image.height, HEIGHT_PX)))
            top.save(Path(__file__).with_name(name), optimize=True)
        print(f"wrote docs/screenshots/{name} from {source.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
