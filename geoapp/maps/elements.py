"""Small folium pieces of our own: a lean data layer, and the map's hooks (legend, names,
identify, the controls' words).

folium's `GeoJsonPopup`, `GeoJsonTooltip` and `Popup` insert text as HTML (and `Popup` inside
a JavaScript template literal, where `${...}` runs), and `GeoJson(style_function=...)` writes
one `case` per feature. `DataLayer` instead hands `static/js/geoapp-map.js` compact JSON with
ids and style keys; details arrive as JSON and are shown with `textContent` only.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass

from branca.element import MacroElement
from folium.map import Layer
from folium.template import Template

from geoapp.messages import translator


@dataclass(frozen=True)
class MapParts:
    """A folium map split for embedding in our own page."""
    header: str   # <script>/<link> tags and the map's styles, for <head>
    body: str     # the map's <div>
    script: str   # the JavaScript that builds the map, for a <script> after the div


_FOLIUM_VIEWPORT = re.compile(r"<meta\s+name=\"viewport\"[^>]*>\s*")


def render_parts(figure) -> MapParts:
    """Render a folium figure (`map.get_root()`) into the parts our page templates embed.
    folium's own viewport meta (which forbids pinch-zoom) is dropped: the page has its own."""
    figure.render()
    return MapParts(_FOLIUM_VIEWPORT.sub("", figure.header.render()), figure.html.render(), figure.script.render())


def control_words(lang: str, identify: bool = False) -> dict:
    """What Leaflet's own controls say in `lang`; with `identify`, what a click's popup says too."""
    _ = translator(lang)
    words = {"zoom_in": _("Zoom in"), "zoom_out": _("Zoom out"), "layers": _("Layers"), "map": _("Map"),
             "m": _("m"), "km": _("km")}
    if identify:
        words.update(loading=_("Loading…"), failed=_("Could not load the details"),
                     nothing=_("Nothing here: click a township, zone, base or point."))
    return words


def js_json(value) -> str:
    """Compact JSON that is safe to place inside a <script> element."""
    return (json.dumps(value, ensure_ascii=False, separators=(",", ":"))
            .replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


class DataLayer(Layer):
    """A GeoJSON layer drawn by `geoapp.dataLayer`: inline `data`, or fetched from
    `options["url"]` the first time the user switches the layer on."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = geoapp.dataLayer({{ this.options_json }}{% if this.data_json %}, {{ this.data_json }}{% endif %});
        {% endmacro %}
    """)

    def __init__(self, name: str, options: dict, data: dict | None = None, show: bool = True):
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "DataLayer"
        self.options_json = js_json(options)
        self.data_json = js_json(data) if data is not None else ""


class MapHooks(MacroElement):
    """Exposes the map to the page as `geoapp.map`, and adds what the page asks for: the legend
    (sections of swatches and words), the names on the map, the controls' words, and `fit`
    (bounds [[south, west], [north, east]]): the first view, the address's or those bounds
    beside the legend — added before the layers, so they load for the view that stays."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        geoapp.map = {{ this._parent.get_name() }};
        {% if this.words_json %}geoapp.translateControls(geoapp.map, {{ this.words_json }});{% endif %}
        {% if this.legend_json %}geoapp.addLegend(geoapp.map, {{ this.legend_json }});{% endif %}
        {% if this.fit_json %}geoapp.settleView(geoapp.map, {{ this.fit_json }});{% endif %}
        {% if this.labels_json %}geoapp.addLabels(geoapp.map, {{ this.labels_json }});{% endif %}
        {% endmacro %}
    """)

    def __init__(self, legend: dict | None = None, labels: list | None = None, words: dict | None = None,
                 fit: list | None = None):
        super().__init__()
        self._name = "MapHooks"
        self.fit_json = js_json(fit) if fit else ""
        self.legend_json = js_json(legend) if legend else ""
        self.labels_json = js_json(labels) if labels else ""
        self.words_json = js_json(words) if words else ""


class BaseControls(MacroElement):
    """Every map's own controls: Leaflet's attribution prefix (`prefix`, plain by default: no
    flag) and a scale bar — metric only on Chinese pages (read from the page's language)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        geoapp.baseControls({{ this._parent.get_name() }}, {{ this.prefix_json }});
        {% endmacro %}
    """)

    def __init__(self, prefix: str):
        super().__init__()
        self._name = "BaseControls"
        self.prefix_json = js_json(prefix)
