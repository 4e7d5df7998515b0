/* geoapp map helpers. Layers arrive as lean GeoJSON (ids and style keys); a popup fetches
 * its feature's details as JSON when opened. Everything from data is shown with
 * textContent, never innerHTML, so any text (a <script> tag, ${...}, backticks) stays text. */
(function () {
  "use strict";
  var geoapp = window.geoapp = window.geoapp || {};
  geoapp.layers = {};   // layer key -> {feature id -> Leaflet layer}
  geoapp.groups = {};   // layer key -> the L.geoJSON group

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

  /* details: {title, subtitle, rows: [[label, value, unit], ...], lang} */
  geoapp.popupContent = function (details) {
    var box = el("div", "geoapp-popup");
    box.appendChild(el("strong", "geoapp-popup-title", details.title));
    if (details.subtitle) box.appendChild(el("div", "geoapp-popup-sub", details.subtitle));
    var table = el("table");
    (details.rows || []).forEach(function (row) {
      var tr = el("tr");
      tr.appendChild(el("th", null, row[0]));
      var text = formatValue(row[1], details.lang);
      tr.appendChild(el("td", null, row[2] && row[1] !== null && row[1] !== "" ? text + " " + row[2] : text));
      table.appendChild(tr);
    });
    box.appendChild(table);
    if (details.link) {  // href is built by the server from our own routes, never from data
      var a = el("a", "geoapp-popup-link", details.link.text);
      a.href = details.link.href;
      box.appendChild(a);
    }
    return box;
  };

  function styleOf(spec, props) {
    var chosen = spec.by ? spec.values[props[spec.by]] : null;
    return Object.assign({}, spec.base || {}, chosen || {});
  }

  /* A popup with the feature's details: given inline (`inline`), or fetched from `url`
   * (with {id}) the first time it opens, then kept. */
  function bindDetails(layer, url, id, messages, inline) {
    var cached = inline ? inline[id] : null;
    layer.bindPopup(function () {
      if (cached) return geoapp.popupContent(cached);
      var box = el("div", "geoapp-popup geoapp-loading", messages.loading);
      fetch(url.replace("{id}", encodeURIComponent(id)), {headers: {"Accept": "application/json"}})
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
        .then(function (details) {
          cached = details;
          box.replaceChildren(geoapp.popupContent(details));
          box.classList.remove("geoapp-loading");
          if (layer.getPopup()) layer.getPopup().update();
        })
        .catch(function () { box.textContent = messages.failed; });
      return box;
    }, {maxWidth: 320});
  }

  /* options: {key, url (lazy data), popup (url with {id}), tooltip (property), style: {base, by, values},
   *           point: bool, messages} */
  geoapp.dataLayer = function (options, data) {
    var registry = geoapp.layers[options.key] = geoapp.layers[options.key] || {};
    var features = L.geoJSON(null, {
      style: function (feature) { return styleOf(options.style || {}, feature.properties || {}); },
      pointToLayer: function (feature, latlng) {
        return L.circleMarker(latlng, styleOf(options.style || {}, feature.properties || {}));
      },
      onEachFeature: function (feature, layer) {
        registry[feature.id] = layer;
        if (options.tooltip) {
          layer.bindTooltip(function () { return el("span", null, feature.properties[options.tooltip]); },
                            {sticky: true});
        }
        if (options.popup || options.popups) {
          bindDetails(layer, options.popup, feature.id, options.messages || {}, options.popups);
        }
        layer.on("click", function () {
          document.dispatchEvent(new CustomEvent("geoapp:select", {detail: {layer: options.key, id: feature.id}}));
        });
      }
    });
    // Many points are clustered (leaflet.markercluster, loaded only by maps that need it).
    var group = options.cluster && L.markerClusterGroup
      ? L.markerClusterGroup({chunkedLoading: true, showCoverageOnHover: false, maxClusterRadius: 50})
      : features;
    function load(d) {  // L.GeoJSON.addData recurses per feature: hand the cluster its layers once
      var before = features.getLayers().length;
      features.addData(d);
      if (group !== features) group.addLayers(features.getLayers().slice(before));
    }
    geoapp.groups[options.key] = group;
    if (options.copyFrom) {  // data is a list of ids whose geometry another layer already drew
      var source = geoapp.layers[options.copyFrom] || {};
      data = {type: "FeatureCollection", features: data.filter(function (id) { return source[id]; })
        .map(function (id) { return {type: "Feature", id: id, properties: {}, geometry: source[id].feature.geometry}; })};
    }
    if (data) {
      load(data);
    } else if (options.url) {  // drawn only when the user first switches the layer on
      group.once("add", function () {
        fetch(options.url).then(function (r) { return r.json(); }).then(load);
      });
    }
    return group;
  };

  /* Open the popup of a feature by layer key and id, showing its layer if it was switched off. */
  geoapp.show = function (layerKey, id) {
    var group = geoapp.groups[layerKey];
    var layer = (geoapp.layers[layerKey] || {})[id];
    if (!layer || !geoapp.map) return false;
    if (group && !geoapp.map.hasLayer(group)) geoapp.map.addLayer(group);
    if (group && group.zoomToShowLayer) {  // a clustered marker: open its cluster first
      group.zoomToShowLayer(layer, function () { layer.openPopup(); });
      return true;
    }
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
