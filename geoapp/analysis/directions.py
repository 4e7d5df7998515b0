"""The way there: links that open a farm stay in the map apps tourists in China use, each in the
datum that app expects — Amap (高德), Tencent (腾讯) and Apple Maps inside China take GCJ-02,
Baidu (百度) takes BD-09 — converted from the stored WGS-84 point by `geoapp.crs`, so the pin
lands on the stay and not 300–400 m (GCJ-02) or 700–1,000 m (BD-09) off, as a map app fed raw
GPS coordinates would put it.
"""
from __future__ import annotations

from urllib.parse import quote, urlencode

from geoapp.crs import wgs84_to_bd09, wgs84_to_gcj02

APP_NAME = "hanyuan-geoapp"


def _fixed(value: float) -> str:
    return f"{float(value):.6f}"


def directions(lon: float, lat: float, name: str, address: str | None = None) -> dict[str, str]:
    """{app: URL} for amap, baidu, tencent and apple, for a place stored at WGS-84 (lon, lat)."""
    gcj_lon, gcj_lat = (float(v) for v in wgs84_to_gcj02(lon, lat))
    bd_lon, bd_lat = (float(v) for v in wgs84_to_bd09(lon, lat))
    address = address or name
    return {
        # https://lbs.amap.com/api/uri-api/guide/mobile-web/point
        "amap": "https://uri.amap.com/marker?" + urlencode({
            "position": f"{_fixed(gcj_lon)},{_fixed(gcj_lat)}", "name": name, "src": APP_NAME,
            "coordinate": "gaode", "callnative": "1"}, safe=",", quote_via=quote),
        # https://lbsyun.baidu.com/index.php?title=uri/api/web
        "baidu": "https://api.map.baidu.com/marker?" + urlencode({
            "location": f"{_fixed(bd_lat)},{_fixed(bd_lon)}", "title": name, "content": address,
            "coord_type": "bd09ll", "output": "html", "src": APP_NAME}, safe=",", quote_via=quote),
        # https://lbs.qq.com/webApi/uriV1/uriGuide/uriMobileMarker
        "tencent": "https://apis.map.qq.com/uri/v1/marker?marker=" + quote(
            f"coord:{_fixed(gcj_lat)},{_fixed(gcj_lon)};title:{name};addr:{address}", safe=":;,") +
            "&referer=" + APP_NAME,
        # Apple Maps uses GCJ-02 inside mainland China
        "apple": "https://maps.apple.com/?" + urlencode({"ll": f"{_fixed(gcj_lat)},{_fixed(gcj_lon)}", "q": name}, safe=",", quote_via=quote),
    }


def phone_link(phone: str) -> str:
    """A tel: link a phone anywhere can call: 0835-4265221 becomes tel:+868354265221."""
    digits = "".join(c for c in phone if c.isdigit() or c == "+")
    if digits.startswith("+"):
        return "tel:" + digits
    if digits.startswith("0"):
        digits = digits[1:]  # the trunk prefix is dropped after the country code
    return "tel:+86" + digits
