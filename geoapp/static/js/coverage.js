/* Coverage page: click to identify, names on the map, another indicator without a page load
 * (the shading, legend, switcher entry and table change; the view and the layers stay), and
 * the address keeps the indicator, the view and the layers switched on, so a view can be
 * shared and back/forward work. */
(function () {
  "use strict";
  var map = geoapp.map;
  var pane = document.getElementById("coverage");
  var select = document.getElementById("metric");
  var viewUrl = pane.dataset.viewUrl;
  var lang = pane.dataset.lang;
  geoapp.enableIdentify(map, geoapp.words);

  // a link in the side pane opens its feature on the map
  document.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-layer]");
    if (!link || link.getAttribute("href").charAt(0) !== "#") return;
    event.preventDefault();
    var at = link.dataset.at ? link.dataset.at.split(",").map(Number) : null;
    if (geoapp.show(link.dataset.layer, link.dataset.id, at)) {
      document.querySelector(".map-pane").scrollIntoView({behavior: "smooth", block: "start"});
    }
  });

  // the state in the address: metric, view (zoom/lat/lon) and the layers switched on
  function layersOn() {
    return Object.keys(geoapp.groups).filter(function (key) {
      return key.indexOf("gap_") !== 0 && map.hasLayer(geoapp.groups[key]);
    });
  }
  function address(metric) {
    var params = new URLSearchParams(window.location.search);
    var centre = map.getCenter();
    params.set("metric", metric);
    params.set("lang", lang);
    params.set("view", map.getZoom() + "/" + centre.lat.toFixed(4) + "/" + centre.lng.toFixed(4));
    params.set("layers", layersOn().join(","));
    return window.location.pathname + "?" + params.toString();
  }
  function remember() { history.replaceState({metric: select.value}, "", address(select.value)); }

  function applyAddress(withView) {  // (the first view was set before the layers: geoapp.settleView)
    var params = new URLSearchParams(window.location.search);
    if (withView && geoapp.groups.townships) geoapp.settleView(map, geoapp.groups.townships.getBounds());
    if (params.has("layers")) {
      var wanted = params.get("layers").split(",");
      Object.keys(geoapp.groups).forEach(function (key) {
        if (key.indexOf("gap_") === 0) return;
        var on = wanted.indexOf(key) >= 0;
        if (on && !map.hasLayer(geoapp.groups[key])) map.addLayer(geoapp.groups[key]);
        if (!on && map.hasLayer(geoapp.groups[key])) map.removeLayer(geoapp.groups[key]);
      });
    }
  }

  function cell(text, className) {
    var td = geoapp.el("td", className, text);
    return td;
  }

  function showMetric(metric, push) {
    return fetch(viewUrl + "?metric=" + encodeURIComponent(metric) + "&lang=" + lang)
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (view) {
        geoapp.restyle("townships", view.style, view.classes, "cls");
        geoapp.setLegend(view.legend);
        document.getElementById("metric-heading").textContent = view.title;
        document.querySelectorAll(".print-metric").forEach(function (e) { e.textContent = view.title; });
        var rows = document.getElementById("township-rows");
        rows.replaceChildren();
        view.townships.forEach(function (t) {
          var tr = geoapp.el("tr", t.served ? null : "unserved");
          var name = geoapp.el("td");
          var a = geoapp.el("a", null, t.name);
          a.href = "#";
          a.dataset.layer = "townships";
          a.dataset.id = t.code;
          if (t.at) a.dataset.at = t.at;
          name.appendChild(a);
          tr.appendChild(name);
          tr.appendChild(cell(t.value, "num"));
          tr.appendChild(cell(t.branches, "num"));
          tr.appendChild(cell(t.share, "num"));
          tr.appendChild(cell(t.zones));
          rows.appendChild(tr);
        });
        var toggle = document.querySelector(".leaflet-control-layers-overlays label input + span");
        if (toggle) toggle.innerHTML = " " + view.layer_name;  // our own escaped HTML: swatches and name
        select.value = view.metric;
        if (geoapp.identifyUrl) {  // a click now says what the map is coloured by (a change, say)
          var asking = new URL(geoapp.identifyUrl, window.location.origin);
          asking.searchParams.set("metric", view.metric);
          geoapp.identifyUrl = asking.pathname + asking.search;
        }
        ["report-link", "tables-xlsx"].forEach(function (id) {
          var link = document.getElementById(id);
          var url = new URL(link.href);
          url.searchParams.set("metric", view.metric);
          link.href = url.pathname + url.search;
        });
        if (push) history.pushState({metric: view.metric}, "", address(view.metric));
        map.closePopup();
      });
  }

  select.addEventListener("change", function () { showMetric(select.value, true); });

  // Find a place by name (or pinyin, or initials): the map goes there and opens what it is.
  var finder = document.getElementById("place-search");
  var query = document.getElementById("place-q");
  var results = document.getElementById("place-results");
  var asked = 0;
  function goTo(place) {
    results.hidden = true;
    geoapp.show(place.layer, place.id, place.at);
  }
  function find() {
    var mine = ++asked;
    if (!query.value.trim()) { results.hidden = true; return Promise.resolve([]); }
    return fetch(finder.dataset.url + "&q=" + encodeURIComponent(query.value), {headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (found) {
        if (mine !== asked) return [];
        results.replaceChildren();
        if (!found.places.length) results.appendChild(geoapp.el("li", "none", finder.dataset.none));
        found.places.forEach(function (place) {
          var li = geoapp.el("li");
          var button = geoapp.el("button", "place", place.name);
          button.type = "button";
          button.appendChild(geoapp.el("small", null, " · " + place.kind + (place.township ? " · " + place.township : "")));
          button.addEventListener("click", function () { goTo(place); });
          li.appendChild(button);
          results.appendChild(li);
        });
        results.hidden = false;
        return found.places;
      });
  }
  var typing = null;
  query.addEventListener("input", function () { clearTimeout(typing); typing = setTimeout(find, 250); });
  finder.addEventListener("submit", function (event) {   // Enter: the first place found
    event.preventDefault();
    clearTimeout(typing);
    find().then(function (places) { if (places.length) goTo(places[0]); });
  });
  query.addEventListener("keydown", function (event) {
    if (event.key === "ArrowDown" && !results.hidden) {
      var first = results.querySelector("button");
      if (first) { event.preventDefault(); first.focus(); }
    }
    if (event.key === "Escape") results.hidden = true;
  });
  results.addEventListener("keydown", function (event) {
    var buttons = Array.prototype.slice.call(results.querySelectorAll("button"));
    var at = buttons.indexOf(document.activeElement);
    if (event.key === "ArrowDown" && at < buttons.length - 1) { event.preventDefault(); buttons[at + 1].focus(); }
    if (event.key === "ArrowUp") { event.preventDefault(); (at > 0 ? buttons[at - 1] : query).focus(); }
  });
  window.addEventListener("popstate", function () {
    var metric = new URLSearchParams(window.location.search).get("metric") || select.value;
    applyAddress(true);
    showMetric(metric, false);
  });
  applyAddress(false);
  map.on("moveend overlayadd overlayremove", remember);
  // printing: the map takes the page's width, so Leaflet must measure it again
  window.addEventListener("beforeprint", function () { map.invalidateSize(); });
  window.addEventListener("afterprint", function () { map.invalidateSize(); });
})();
