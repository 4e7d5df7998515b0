/* geoapp map helpers. Layers arrive as lean GeoJSON (ids and style keys); details arrive as
 * JSON when asked for. Everything from data is shown with textContent, never innerHTML, so any
 * text (a <script> tag, ${...}, backticks) stays text. */
(function () {
  "use strict";
  var geoapp = window.geoapp = window.geoapp || {};
  geoapp.layers = {};   // layer key -> {feature id -> Leaflet layer}
  geoapp.groups = {};   // layer key -> the L.geoJSON group
  geoapp.options = {};  // layer key -> its options

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

  /* details: {title, subtitle, rows: [[label, value(, unit)], ...], lang, link, kind} */
  geoapp.popupContent = function (details) {
    var box = el("div", "geoapp-popup");
    if (details.kind) box.appendChild(el("div", "geoapp-popup-kind", details.kind));
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
    var chosen = spec.by ? (spec.values || {})[props[spec.by]] : null;
    return Object.assign({}, spec.base || {}, chosen || {});
  }
  geoapp.styleOf = styleOf;

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

  /* options: {key, url (lazy data), popup (url with {id}) or popups (inline), identify (url),
   *           tooltip (property), style: {base, by, values}, cluster, messages} */
  geoapp.dataLayer = function (options, data) {
    var registry = geoapp.layers[options.key] = geoapp.layers[options.key] || {};
    geoapp.options[options.key] = options;
    if (options.tiles) return tiledLayer(options);
    if (options.outlines) return outlinesOn(options);
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
        layer.on("click", function (event) {
          if (options.identify) geoapp.aimed = {layer: options.key, id: feature.id, at: event.latlng};
          document.dispatchEvent(new CustomEvent("geoapp:select", {detail: {layer: options.key, id: feature.id}}));
        });
      }
    });
    if (options.identify) geoapp.identifyUrl = options.identify;
    // Many points are clustered (leaflet.markercluster, loaded only by maps that need it).
    var group = options.cluster && L.markerClusterGroup
      ? L.markerClusterGroup({chunkedLoading: true, showCoverageOnHover: false, maxClusterRadius: 50,
                              spiderfyOnMaxZoom: true})
      : features;
    function load(d) {  // L.GeoJSON.addData recurses per feature: hand the cluster its layers once
      var before = features.getLayers().length;
      features.addData(d);
      if (group !== features) group.addLayers(features.getLayers().slice(before));
      group.fire("geoapp:loaded");
    }
    group.geoappLoad = load;
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

  /* A layer drawn from vector tiles (Leaflet.VectorGrid): the tiles carry shapes and ids, and
   * each feature's style key comes from options.classes ({id: key}), so another indicator is a
   * restyle, not new tiles. Clicks go to identify on the server, as for every layer. */
  function tiledLayer(options) {
    var outlined = null, outline = null;  // which ids another layer outlines (a function), and its outline
    function styleFor(id) {
      var keyed = {};
      keyed[options.style.by] = options.classes[id];
      var style = styleOf(options.style || {}, keyed);
      style.fill = true;
      if (outlined && outlined(id)) {
        ["color", "weight", "dashArray", "opacity"].forEach(function (k) { if (k in outline) style[k] = outline[k]; });
      }
      return style;
    }
    var styles = {};
    styles[options.tileLayer] = function (props) { return styleFor(props[options.idProperty]); };
    var grid = L.vectorGrid.protobuf(options.tiles, {
      vectorTileLayerStyles: styles, interactive: false, rendererFactory: L.canvas.tile, maxNativeZoom: 18,
      getFeatureId: function (feature) { return feature.properties[options.idProperty]; }});
    grid.geoappRestyle = function () {  // drawn tiles recoloured in place, later ones styled alike
      Object.keys(options.classes).forEach(function (id) { grid.setFeatureStyle(id, styleFor(id)); });
    };
    grid.geoappOutline = function (which, style) {  // which(id): whether a feature is outlined; null: none
      var before = outlined;
      outlined = which;
      outline = style;
      if (grid._map) {  // restyle what changes
        Object.keys(options.classes).forEach(function (id) {
          if (Boolean(before && before(id)) !== Boolean(which && which(id))) grid.setFeatureStyle(id, styleFor(id));
        });
      }
    };
    grid.getBounds = function () { return L.latLngBounds(options.bounds); };
    grid.geoappTiled = true;
    geoapp.groups[options.key] = grid;
    return grid;
  }

  /* A layer whose features another, tile-drawn layer already paints (options.outlines): on the
   * map it adds their outline (options.style) to those features (options.ids) there. */
  function outlinesOn(options) {
    var grid = geoapp.groups[options.outlines];
    var listed = {};  // the features outlined (ids), or those not outlined (allBut), as the page sent the shorter
    (options.ids || options.allBut).forEach(function (id) { listed[id] = true; });
    var outlined = options.ids ? function (id) { return listed[id] === true; } : function (id) { return !listed[id]; };
    var layer = L.layerGroup();
    layer.onAdd = function (map) {
      L.LayerGroup.prototype.onAdd.call(this, map);
      grid.geoappOutline(outlined, styleOf(options.style || {}, {}));
    };
    layer.onRemove = function (map) {
      L.LayerGroup.prototype.onRemove.call(this, map);
      grid.geoappOutline(null, null);
    };
    geoapp.groups[options.key] = layer;
    return layer;
  }

  /* Restyle a drawn layer's features from new style keys ({id: key}) and a new style spec. */
  geoapp.restyle = function (layerKey, styleSpec, keys, property) {
    var registry = geoapp.layers[layerKey] || {};
    geoapp.options[layerKey].style = styleSpec;
    if (geoapp.groups[layerKey] && geoapp.groups[layerKey].geoappTiled) {
      geoapp.options[layerKey].classes = keys;
      geoapp.groups[layerKey].geoappRestyle();
      return;
    }
    Object.keys(registry).forEach(function (id) {
      var layer = registry[id];
      layer.feature.properties[property] = keys[id];
      layer.setStyle(styleOf(styleSpec, layer.feature.properties));
    });
  };

  /* Identify: a click on the map lists everything under it, what was aimed at first. */
  geoapp.enableIdentify = function (map, words) {
    var popup = L.popup({maxWidth: 340, maxHeight: 360, autoPanPaddingTopLeft: [10, 10]});
    map.on("click", function (event) {
      if (!geoapp.identifyUrl || geoapp.identifyOff) return;
      var aimed = geoapp.aimed && geoapp.aimed.at.equals(event.latlng) ? geoapp.aimed : null;
      geoapp.aimed = null;
      var on = Object.keys(geoapp.groups).filter(function (key) { return map.hasLayer(geoapp.groups[key]); });
      var url = geoapp.identifyUrl + (geoapp.identifyUrl.indexOf("?") < 0 ? "?" : "&") +
        "lat=" + event.latlng.lat.toFixed(6) + "&lon=" + event.latlng.lng.toFixed(6) + "&zoom=" + map.getZoom() +
        "&layers=" + encodeURIComponent(on.join(",")) + (aimed ? "&aimed=" + encodeURIComponent(aimed.layer + ":" + aimed.id) : "");
      var box = el("div", "geoapp-popup geoapp-loading", words.loading);
      popup.setLatLng(event.latlng).setContent(box).openOn(map);
      fetch(url, {headers: {"Accept": "application/json"}})
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
        .then(function (found) {
          box.classList.remove("geoapp-loading");
          box.replaceChildren();
          if (!found.features.length) { box.textContent = words.nothing; return; }
          found.features.forEach(function (details, i) {
            var part = geoapp.popupContent(details);
            part.classList.add(i === 0 ? "geoapp-identify-first" : "geoapp-identify-more");
            box.appendChild(part);
          });
          popup.update();
        })
        .catch(function () { box.textContent = words.failed; });
    });
  };

  /* Open the details of a feature by layer key and id, showing its layer if it was switched off. */
  geoapp.show = function (layerKey, id, at) {
    var group = geoapp.groups[layerKey];
    var layer = (geoapp.layers[layerKey] || {})[id];
    if (!layer && at) {  // drawn from tiles, so not in the page: go to the point inside it the link gives
      var point = L.latLng(at);
      layer = {getLatLng: function () { return point; }, getPopup: function () { return null; }};
    }
    if (!layer || !geoapp.map) return false;
    if (group && !geoapp.map.hasLayer(group)) geoapp.map.addLayer(group);
    function open() {
      if (layer.getPopup()) { layer.openPopup(); return; }
      var at = layer.getLatLng ? layer.getLatLng() : layer.getBounds().getCenter();
      geoapp.aimed = {layer: layerKey, id: id, at: at};
      geoapp.map.fire("click", {latlng: at});
    }
    if (group && group.zoomToShowLayer) {  // a clustered marker: open its cluster first
      group.zoomToShowLayer(layer, open);
      return true;
    }
    var before = geoapp.map.getCenter().toString() + geoapp.map.getZoom();
    geoapp.map.once("moveend", open);
    if (layer.getBounds) geoapp.map.fitBounds(layer.getBounds(), {maxZoom: 14});
    else geoapp.map.setView(layer.getLatLng(), Math.max(geoapp.map.getZoom(), 13));
    if (geoapp.map.getCenter().toString() + geoapp.map.getZoom() === before && !geoapp.map._animatingZoom) {
      geoapp.map.off("moveend", open);  // already there: nothing will move
      open();
    }
    return true;
  };

  /* Names on the map: placed where the server put them (inside each shape), shown from their
   * zoom, and hidden when they would overlap a name of higher priority. */
  var OFFSETS = [[0, 0], [0, -1.3], [0, 1.3], [-2.5, 0], [2.5, 0]];

  geoapp.addLabels = function (map, labels) {
    var pane = map.createPane("geoapp-labels");
    pane.style.zIndex = 640;
    pane.style.pointerEvents = "none";
    var placed = labels.slice().sort(function (a, b) { return b.priority - a.priority; }).map(function (label) {
      var text = el("span", "geoapp-label geoapp-label-" + label.kind, label.text);
      var marker = L.marker([label.lat, label.lon], {
        icon: L.divIcon({className: "geoapp-label-icon", html: text, iconSize: null}),
        interactive: false, keyboard: false, pane: "geoapp-labels"
      });
      return {label: label, marker: marker, node: text};
    });
    geoapp.labels = placed;
    function layerOn(kind) {
      var group = geoapp.groups[kind];
      return !group || map.hasLayer(group);
    }
    var sized = false;
    function measure() {  // each name's size, read once (its text and font do not change)
      placed.forEach(function (p) { if (!map.hasLayer(p.marker)) p.marker.addTo(map); });
      placed.forEach(function (p) { p.width = p.node.offsetWidth; p.height = p.node.offsetHeight; });
      var first = placed[0];
      em = first ? parseFloat(getComputedStyle(first.node).fontSize) || 12 : 12;
      sized = true;
    }
    var em = 12;
    function arrange() {
      if (!sized) measure();
      var zoom = map.getZoom();
      var origin = map.getContainer().getBoundingClientRect();
      // the controls (legend, zoom, switcher) cover the map: no name goes under them
      var taken = Array.prototype.map.call(map.getContainer().querySelectorAll(".leaflet-control"), function (c) {
        var r = c.getBoundingClientRect();
        return {left: r.left - origin.left, right: r.right - origin.left, top: r.top - origin.top, bottom: r.bottom - origin.top};
      });
      // where each name fits, worked out from the sizes read once: no layout per name and place
      placed.forEach(function (p) {
        var wanted = zoom >= p.label.minZoom && layerOn(p.label.kind);
        if (!wanted) { if (map.hasLayer(p.marker)) map.removeLayer(p.marker); return; }
        if (!map.hasLayer(p.marker)) p.marker.addTo(map);
        var at = map.latLngToContainerPoint([p.label.lat, p.label.lon]);
        // on its point, else just above, below, left or right of it
        var fits = null;
        OFFSETS.some(function (offset) {
          var x = at.x + offset[0] * em, y = at.y + offset[1] * em;
          var box = {left: x - p.width / 2, right: x + p.width / 2, top: y - p.height / 2, bottom: y + p.height / 2};
          var clash = taken.some(function (t) {
            return box.left < t.right + 2 && box.right > t.left - 2 && box.top < t.bottom + 1 && box.bottom > t.top - 1;
          });
          if (!clash) { taken.push(box); fits = offset; }
          return !clash;
        });
        if (fits) p.node.style.transform = "translate(calc(-50% + " + fits[0] + "em), calc(-50% + " + fits[1] + "em))";
        p.node.style.visibility = fits ? "visible" : "hidden";
      });
    }
    var pending = false;
    function soon() {  // one arrangement for the several events a single change of view fires
      if (pending) return;
      pending = true;
      requestAnimationFrame(function () { pending = false; arrange(); });
    }
    map.on("zoomend moveend overlayadd overlayremove resize", soon);
    map.whenReady(soon);
    geoapp.arrangeLabels = arrange;
  };

  /* The first view, set before the layers are added (so no data or tiles are fetched for a view
   * about to change): the address's view=zoom/lat/lon when it has one, else `bounds` fitted
   * beside the legend (when it is open) rather than under it. */
  geoapp.settleView = function (map, bounds) {
    var view = (new URLSearchParams(window.location.search).get("view") || "").split("/").map(Number);
    if (view.length === 3 && view.every(isFinite)) {
      map.setView([view[1], view[2]], view[0], {animate: false});
      return;
    }
    var legendWidth = geoapp.legendBox && geoapp.legendBox.open ? geoapp.legendBox.offsetWidth + 10 : 10;
    map.fitBounds(bounds, {paddingTopLeft: [40, 10], paddingBottomRight: [legendWidth, 10], animate: false});
  };

  /* legend: {title, sections: [{key, title, items: [{shape, css, label}]}], note} */
  function legendBody(legend) {
    var body = el("div", "geoapp-legend-body");
    legend.sections.forEach(function (section) {
      var part = el("div", "geoapp-legend-section");
      part.dataset.key = section.key;
      if (section.title) part.appendChild(el("div", "geoapp-legend-title", section.title));
      var group = null;
      section.items.forEach(function (item) {
        if (item.group && item.group !== group) {   // several counties: their zones under each one's name
          group = item.group;
          part.appendChild(el("div", "geoapp-legend-group", group));
        }
        var row = el("div", "geoapp-legend-row");
        var swatch = el("span", "geoapp-swatch geoapp-swatch-" + item.shape);
        swatch.style.cssText = item.css;
        row.appendChild(swatch);
        row.appendChild(el("span", null, item.label));
        part.appendChild(row);
      });
      body.appendChild(part);
    });
    if (legend.note) body.appendChild(el("div", "geoapp-legend-note", legend.note));
    return body;
  }

  /* The legend explains what is on the map: a layer switched off takes its section with it. */
  function fitLegend(map) {
    document.querySelectorAll(".geoapp-legend .geoapp-legend-section, #legend-pane .geoapp-legend-section").forEach(function (section) {
      var group = geoapp.groups[section.dataset.key];
      section.hidden = Boolean(group) && !map.hasLayer(group);
    });
  }

  /* The legend: on the map (open on phones when asked, and in print), and in the page's
   * `#legend-pane` when it has one (beside the map on wide screens, so it covers nothing). */
  geoapp.addLegend = function (map, legend) {
    var beside = document.getElementById("legend-pane");
    if (beside) beside.replaceChildren(legendBody(legend));
    var control = L.control({position: "bottomright"});
    control.onAdd = function () {
      var box = el("details", "geoapp-legend leaflet-control");
      box.open = !beside && !window.matchMedia("(max-width: 760px)").matches;
      box.appendChild(el("summary", null, legend.title || ""));
      box.appendChild(legendBody(legend));
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      geoapp.legendBox = box;
      return box;
    };
    control.addTo(map);
    map.on("overlayadd overlayremove", function () { fitLegend(map); });
    map.whenReady(function () { fitLegend(map); });
    return control;
  };

  geoapp.setLegend = function (legend) {
    var beside = document.getElementById("legend-pane");
    if (beside) beside.replaceChildren(legendBody(legend));
    if (!geoapp.legendBox) return;
    var old = geoapp.legendBox.querySelector(".geoapp-legend-body");
    geoapp.legendBox.replaceChild(legendBody(legend), old);
    fitLegend(geoapp.map);
  };
  window.addEventListener("beforeprint", function () { if (geoapp.legendBox) geoapp.legendBox.open = true; });

  /* The attribution prefix (plain: no flag) and the scale bar, metric only on Chinese pages. */
  geoapp.baseControls = function (map, prefix) {
    if (map.attributionControl) map.attributionControl.setPrefix(prefix);
    var chinese = (document.documentElement.lang || "").indexOf("zh") === 0;
    geoapp.scale = L.control.scale({ imperial: !chinese, metric: true }).addTo(map);
  };
  // The scale bar's units in the page's language (米, 千米 on Chinese pages).
  L.Control.Scale.include({
    _updateMetric: function (maxMeters) {
      var meters = this._getRoundNum(maxMeters);
      var units = geoapp.scaleUnits || { m: "m", km: "km" };
      var label = meters < 1000 ? meters + " " + units.m : (meters / 1000) + " " + units.km;
      this._updateScale(this._mScale, label, meters / maxMeters);
    }
  });

  /* A layer switcher made after the words arrived (folium adds it last) says them too. */
  var initLayout = L.Control.Layers.prototype._initLayout;
  L.Control.Layers.include({
    _initLayout: function () {
      initLayout.call(this);
      if (geoapp.words && this._layersLink) {
        this._layersLink.title = geoapp.words.layers;
        this._layersLink.setAttribute("aria-label", geoapp.words.layers);
      }
    }
  });

  /* Leaflet's own words (zoom buttons, the layer switcher) in the page's language. */
  geoapp.translateControls = function (map, words) {
    map.whenReady(function () {
      var container = map.getContainer();
      var zoomIn = container.querySelector(".leaflet-control-zoom-in");
      var zoomOut = container.querySelector(".leaflet-control-zoom-out");
      if (zoomIn) { zoomIn.title = words.zoom_in; zoomIn.setAttribute("aria-label", words.zoom_in); }
      if (zoomOut) { zoomOut.title = words.zoom_out; zoomOut.setAttribute("aria-label", words.zoom_out); }
      var toggle = container.querySelector(".leaflet-control-layers-toggle");
      if (toggle) { toggle.title = words.layers; toggle.setAttribute("aria-label", words.layers); }
      container.setAttribute("aria-label", words.map);
      container.setAttribute("role", "region");
    });
    if (words.m && words.km) {
      geoapp.scaleUnits = { m: words.m, km: words.km };
      if (geoapp.scale && geoapp.scale._map) geoapp.scale._update();
    }
    geoapp.words = words;
  };
})();
