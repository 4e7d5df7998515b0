"""The planning map: zones, bases, training bases and party branches to plan against, with
Leaflet.draw (from static/) for drawing a proposed base. The drawing, the analysis shown on
the map and the candidate sites are handled in the browser by static/js/planning.js."""
from __future__ import annotations

import folium

from geoapp.maps.assets import Tiles, base_map
from geoapp.maps.coverage import CoverageLayers
from geoapp.maps.elements import DataLayer, MapHooks

PLANNING_LAYERS = ("zones", "industry_bases", "services", "party_organisations")


def planning_map(layers: CoverageLayers, tiles: Tiles, static_root: str, layer_url: str,
                 popup_url: str) -> folium.Map:
    """The county with the layers a planner checks a site against (popups as on the coverage map)."""
    m = base_map(tuple(layers.analysis.dataset["county"].total_bounds), tiles, static_root, draw=True)
    for key in PLANNING_LAYERS:
        options = dict(layers.options(key, layer_url, popup_url), url=None)  # all drawn at once here
        DataLayer(layers.layer_name(key), options, data=layers.data(key)).add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
    MapHooks().add_to(m)
    return m
