"""The deterministic generator of the illustrative Hanyuan data (`geoapp sample`), and of the
synthetic data the scale tests and benches use (`synthetic`).

Real inputs, in `geodata/reference/`: the county boundary and the township reference table.
Everything else the article gives only as county totals (docs/BRIEF.md §3); this package builds rows
that add up to those totals, placed plausibly on the real map, from a fixed random seed. Its
output is committed in `geodata/`, so the app starts without running it, and nothing the app
serves imports it.

All geometry work happens in UTM 48N (metres); files are written in WGS-84. The builder works
in steps, each using what the earlier ones made: places (county, townships, zones), features
(bases, party organisations, cooperatives, farm stays, festivals), tables (loans, training,
yearly output), the four linkages (pipeline, plans), and the branch as the unit of work
(committees, secretaries, villages, the five days month by month, the pipeline's steps).
"""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geoapp.data.files import write_csv, write_geojson
from geoapp.layers import LAYERS
from geoapp.sample.branches import BranchSteps
from geoapp.sample.features import FeatureSteps
from geoapp.sample.linkages import LinkageSteps
from geoapp.sample.places import REFERENCE_DIR, SEED, PlaceSteps
from geoapp.sample.tables import TableSteps


class SampleBuilder(PlaceSteps, FeatureSteps, TableSteps, LinkageSteps, BranchSteps):
    """Builds every layer and table, in order; each step uses what the earlier ones made."""

    def __init__(self, reference_dir: Path = REFERENCE_DIR, seed: int = SEED):
        self.rng = np.random.default_rng(seed)
        self.reference_dir = Path(reference_dir)
        self.layers: dict[str, gpd.GeoDataFrame | pd.DataFrame] = {}

    def build(self) -> dict[str, gpd.GeoDataFrame | pd.DataFrame]:
        layers = {"county": self.county(), "townships": self.townships(), "zones": self.zones()}
        layers["industry_bases"] = self.industry_bases()
        layers["party_organisations"] = self.party_organisations()
        layers["cooperatives"] = self.cooperatives()
        layers["farm_stays"] = self.farm_stays()
        layers["festivals"] = self.festivals()
        layers["loans"] = self.loans()
        layers["training_sessions"] = self.training_sessions(layers["industry_bases"])
        layers["yearly_output"] = self.yearly_output()
        layers["farm_stay_photos"] = pd.DataFrame(columns=[c.name for c in LAYERS["farm_stay_photos"].columns])
        # (no photos in illustrative data: photos of places that do not exist would mislead)
        self.linkages(layers)
        self.branches(layers)
        for layer_id, frame in layers.items():  # columns in the registry's order (optional ones it has)
            columns = [c.name for c in LAYERS[layer_id].columns if c.required or c.name in frame.columns]
            layers[layer_id] = frame[columns + (["geometry"] if "geometry" in frame else [])]
        return layers


def build_sample(reference_dir: Path = REFERENCE_DIR, seed: int = SEED) -> dict[str, gpd.GeoDataFrame | pd.DataFrame]:
    """Every layer (in UTM 48N) and table of the illustrative dataset, deterministically."""
    return SampleBuilder(reference_dir, seed).build()


def write_sample(data_dir: Path, reference_dir: Path = REFERENCE_DIR, seed: int = SEED) -> list[Path]:
    """Build the sample and write it to `data_dir`, one file per layer; returns the paths."""
    written = []
    for layer_id, frame in build_sample(reference_dir, seed).items():
        path = Path(data_dir) / LAYERS[layer_id].filename
        if isinstance(frame, gpd.GeoDataFrame):
            write_geojson(frame, path)
        else:
            write_csv(frame, path)
        written.append(path)
    return written
