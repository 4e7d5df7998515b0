"""Small folium pieces of our own: safe popups, the legend, and the map's hooks for the page.

folium's `GeoJsonPopup`, `GeoJsonTooltip` and `Popup` insert text as HTML (and `Popup` inside
a JavaScript template literal, where `${...}` runs), so a name from the data could run as
code. These pieces hand data to `static/js/geoapp-map.js` as JSON, which shows it with
`textContent` only.
"""
from __future__ import annotations

import json

from branca.element import MacroElement
from folium.template import Template
from folium.utilities import JsCode


def _js_json(value) -> str:
    """JSON safe to place inside a <script> element."""
    return (json.dumps(value, ensure_ascii=False)
            .replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def popup_binding(layer_key: str, title: str, rows: list[tuple[str, str, str]], lang: str,
                  key: str = "id", subtitle: str | None = None) -> JsCode:
    """An `on_each_feature` hook giving every feature a popup (title, then label/value rows)
    and a tooltip, and registering it under `layer_key` so the page can open it by id."""
    spec = {"title": title, "subtitle": subtitle, "rows": [list(r) for r in rows], "lang": lang, "key": key}
    return JsCode(f"function(feature, layer) {{ geoapp.bindFeature({_js_json(layer_key)}, feature, layer, "
                  f"{_js_json(spec)}); }}")


class MapHooks(MacroElement):
    """Exposes the map to the page as `geoapp.map` and adds the legend (built with textContent)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        geoapp.map = {{ this._parent.get_name() }};
        {% if this.legend %}geoapp.addLegend(geoapp.map, {{ this.legend_json }});{% endif %}
        {% endmacro %}
    """)

    def __init__(self, legend: dict | None = None):
        super().__init__()
        self._name = "MapHooks"
        self.legend = legend
        self.legend_json = _js_json(legend) if legend else ""
