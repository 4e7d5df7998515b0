"""How the committee's report grows with the data (issue 23: cost in proportion to what it
shows). Builds the sample county `--counties` times side by side (`geoapp sample --counties`),
and times, in this process, the report's HTML (the analysis of the zones and every map drawn
with matplotlib) and the PDF made from it (WeasyPrint), each once on a fresh served version.

    .venv/bin/python bench/report_growth.py [--counties 1 3 10] [--pdf]

Prints one row per size and the exponent between consecutive sizes (time ∝ counties^k).
"""
from __future__ import annotations

import argparse
import itertools
import math
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--counties", type=int, nargs="+", default=[1, 3, 10])
    parser.add_argument("--pdf", action="store_true", help="also make the PDF (WeasyPrint)")
    args = parser.parse_args()
    from geoapp.data.load import load_dataset
    from geoapp.sample import synthetic, write_sample
    from geoapp.views import documents
    from geoapp.views.served import version_of_dataset
    work = Path(tempfile.mkdtemp(prefix="geoapp-report-"))
    write_sample(work / "one")
    rows = []
    print("counties zones features   html s    pdf s   pages MB")
    for counties in args.counties:
        data = work / f"c{counties}"
        synthetic.replicate_counties(work / "one", data, counties)
        version = version_of_dataset(load_dataset(data))
        analysis = version.analysis
        features = sum(len(version.dataset[k]) for k in ("townships", "industry_bases", "party_organisations",
                                                          "cooperatives", "farm_stays"))
        began = time.perf_counter()
        html = documents.report_html(version, "industry_branches", "zh")
        html_s = time.perf_counter() - began
        pdf_s = size = float("nan")
        if args.pdf:
            began = time.perf_counter()
            size = len(documents._pdf(html)) / 1e6
            pdf_s = time.perf_counter() - began
        rows.append((counties, html_s, pdf_s))
        print(f"{counties:8d} {len(analysis.zones):5d} {features:8d} {html_s:8.1f} {pdf_s:8.1f} {size:10.1f}",
              flush=True)
    for (n0, h0, p0), (n1, h1, p1) in itertools.pairwise(rows):
        ratio = math.log(n1 / n0)
        print(f"exponent {n0}→{n1} counties: html {math.log(h1 / h0) / ratio:.2f}"
              + (f", pdf {math.log(p1 / p0) / ratio:.2f}" if args.pdf else ""))


if __name__ == "__main__":
    main()
