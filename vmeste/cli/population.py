"""``vmeste import population FILE.csv``: the population structure polls are weighted to."""

from __future__ import annotations

import argparse
from pathlib import Path

from vmeste.cli.reference import CLI_ACTOR, ImportKind
from vmeste.platform.participation.population import import_population
from vmeste.platform.reference.importers import Progress
from vmeste.platform.settings import load_settings


async def _population(path: Path, progress: Progress, _: argparse.Namespace) -> str:
    report = await import_population(path, bands=load_settings().age_bands, actor=CLI_ACTOR,
                                     progress=progress)
    return (f"created {report.created}, updated {report.updated}, "
            f"unchanged {report.unchanged}")


IMPORT_KINDS = {"population": ImportKind(
    "people per territory, age band and gender (CSV: territory_code,age_band,gender,count; "
    "bands as VMESTE_AGE_BANDS, gender male or female)", _population)}
