/* geoapp map helpers: popups, tooltips and the legend built from data with textContent,
 * never innerHTML, so any text in the data (a <script> tag, ${...}, backticks) is shown
 * as text and never runs. Used by the folium maps through small JsCode hooks. */
(function () {
  "use strict";
  var geoapp = window.geoapp = window.geoapp || {};
  geoapp.layers = geoapp.layers || {};

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  geoapp.el = el;

  function formatValue(value, lang) {
    if (value === null || value === undefined || value === "") return "—";
    if (typeof value === "number") return value.toLocaleString(lang === "en" ? "en-GB" : "zh-CN");
    return String(value);
  }

  /* spec: {title: prop, subtitle: prop, rows: [[label, prop, unit], ...], lang} */
  geoapp.popupContent = function (props, spec) {
    var box = el("div", "geoapp-popup");
    box.appendChild(el("strong", "geoapp-popup-title", props[spec.title]));
    if (spec.subtitle && props[spec.subtitle]) box.appendChild(el("div", "geoapp-popup-sub", props[spec.subtitle]));
    var table = el("table");
    spec.rows.forEach(function (row) {
      var value = props[row[1]];
      if (value === undefined) return;
      var tr = el("tr");
      tr.appendChild(el("th", null, row[0]));
      tr.appendChild(el("td", null, formatValue(value, spec.lang) + (row[2] && value !== null ? " " + row[2] : "")));
      table.appendChild(tr);
    });
    box.appendChild(table);
    return box;
  };

  /* Bind a popup and a tooltip to one feature's layer; register it for lookups by id. */
  geoapp.bindFeature = function (layerKey, feature, layer, spec) {
    var props = feature.properties || {};
    layer.bindPopup(function () { return geoapp.popupContent(props, spec); }, {maxWidth: 320});
    layer.bindTooltip(function () { return el("span", null, props[spec.title]); }, {sticky: true});
    var registry = geoapp.layers[layerKey] = geoapp.layers[layerKey] || {};
    if (props[spec.key] !== undefined) registry[props[spec.key]] = layer;
  };

  /* Open the popup of a feature registered by bindFeature, zooming to it. */
  geoapp.show = function (layerKey, id) {
    var layer = (geoapp.layers[layerKey] || {})[id];
    if (!layer || !geoapp.map) return false;
    if (layer.getBounds) geoapp.map.fitBounds(layer.getBounds(), {maxZoom: 14});
    else geoapp.map.setView(layer.getLatLng(), Math.max(geoapp.map.getZoom(), 13));
    layer.openPopup();
    return true;
  };

  /* legend: {title, classes: [[color, label], ...], note} */
  geoapp.addLegend = function (map, legend) {
    var control = L.control({position: "bottomright"});
    control.onAdd = function () {
      var box = el("div", "geoapp-legend leaflet-control");
      box.appendChild(el("strong", null, legend.title));
      legend.classes.forEach(function (c) {
        var row = el("div", "geoapp-legend-row");
        var swatch = el("span", "geoapp-swatch");
        swatch.style.background = c[0];
        row.appendChild(swatch);
        row.appendChild(el("span", null, c[1]));
        box.appendChild(row);
      });
      if (legend.note) box.appendChild(el("div", "geoapp-legend-note", legend.note));
      L.DomEvent.disableClickPropagation(box);
      return box;
    };
    control.addTo(map);
    return control;
  };
})();
