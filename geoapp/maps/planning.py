"""The planning map: the county and its townships, zones, bases, training bases and party
branches to plan against, with their names (the same layers and labels as the coverage map),
and Leaflet.draw (from static/) for drawing a proposed base. Picking a point, drawing, the
analysis shown on the map and the candidate sites are handled in the browser by
static/js/planning.js; while a tool is in use, clicks go to the tool, never to features."""
from __future__ import annotations

import folium

from geoapp.maps.assets import Tiles, base_map
from geoapp.maps.coverage import CoverageMap
from geoapp.maps.elements import DataLayer, MapHooks
from geoapp.static_files import StaticFiles

PLANNING_LAYERS = ("townships", "zones", "industry_bases", "services", "party_organisations")
# townships here are the place names and borders to plan against, not an indicator's shading
TOWNSHIP_OUTLINE = {"base": {"color": "#6b6b6b", "weight": 1.2, "fillColor": "#ffffff", "fillOpacity": 0.05},
                    "by": None, "values": {}}


def planning_map(layers: CoverageMap, tiles: Tiles, static: StaticFiles, layer_url: str, identify_url: str,
                 words: dict) -> folium.Map:
    """The county with the layers a planner checks a site against; a click outside the tools
    lists what lies there (identify, as on the coverage map)."""
    m = base_map(tuple(layers.analysis.dataset["county"].total_bounds), tiles, static, draw=True)
    for key in PLANNING_LAYERS:
        options = dict(layers.options(key, layer_url, identify_url), url=None)  # all drawn at once here
        if key == "townships":
            options["style"] = TOWNSHIP_OUTLINE
        name = layers.layer_name(key) if key != "townships" else layers._("Townships")
        DataLayer(name, options, data=layers.data(key)).add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
    MapHooks(labels=[label for label in layers.labels() if label["kind"] in PLANNING_LAYERS], words=words).add_to(m)
    return m
