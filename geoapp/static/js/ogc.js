// The OGC API's pages (f=html): draw the page's features on a small map (Leaflet, from static/).
(function () {
  "use strict";
  var box = document.getElementById("ogc-map");
  var data = document.getElementById("ogc-features");
  if (!box || !data || typeof L === "undefined") return;
  var collection = JSON.parse(data.textContent);
  var map = L.map(box, { scrollWheelZoom: false, zoomControl: false });
  L.control.zoom({ zoomInTitle: box.dataset.zoomIn, zoomOutTitle: box.dataset.zoomOut }).addTo(map);
  map.attributionControl.setPrefix(false);
  if (box.dataset.tiles) {
    var options = { subdomains: box.dataset.subdomains, attribution: box.dataset.attribution, maxZoom: 18 };
    L.tileLayer(box.dataset.tiles, options).addTo(map);
    if (box.dataset.labels) L.tileLayer(box.dataset.labels, { subdomains: box.dataset.subdomains, maxZoom: 18 }).addTo(map);
  }
  var drawn = L.geoJSON(collection, {
    style: { color: "#b91c1c", weight: 2, fillOpacity: 0.15 },
    pointToLayer: function (feature, at) { return L.circleMarker(at, { radius: 6, color: "#b91c1c", fillOpacity: 0.7 }); },
    onEachFeature: function (feature, layer) {
      var row = document.querySelector('a[href*="/items/' + encodeURIComponent(feature.id) + '?"]');
      if (row) layer.on("click", function () { window.location.href = row.href; });
      layer.bindTooltip(String(feature.id));
    }
  }).addTo(map);
  var bounds = drawn.getBounds();
  if (bounds.isValid()) map.fitBounds(bounds, { maxZoom: 14, padding: [12, 12] });
  else map.setView([29.35, 102.65], 9);
  box.dataset.ready = String(drawn.getLayers().length);
})();
