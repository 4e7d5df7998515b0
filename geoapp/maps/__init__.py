"""The maps room: folium figures drawn from analysis results. No Flask here.

Every script and style sheet a map needs is served from `static/` (see `assets`), tiles come
from a configurable template, and text from data reaches the page only through JSON and
`textContent` (see `static/js/geoapp-map.js`).
"""
