"""Numbers as people read them: Chinese readers count in 万 and 亿 (41,400 households is
4.14万户, 302,190,000 yuan is 3.02亿元), years have no separator, mu and hectares keep their
units. No Flask here: maps, pages, tables and the PDF report all format through these.
"""
from __future__ import annotations

import datetime as dt
import math

from geoapp.dates import LEAP_YEAR, in_year

WAN, YI = 10_000, 100_000_000


def significant(value: float, digits: int = 3) -> str:
    """`value` to `digits` significant figures, without trailing zeros: 4.14, 302, 0.5."""
    if value == 0 or not math.isfinite(value):
        return "0"
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(value))))
    text = f"{value:.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def number(value, lang: str = "zh", unit: str = "", digits: int = 4) -> str:
    """A count, measure or amount with its unit, as a reader of `lang` expects it.

    Chinese: amounts of money in 万元 (1025万元, 30219万元, as the article writes them); other
    numbers as they are below 100,000 (41400户, no separator), then in 万 and 亿 to `digits`
    significant figures (49.3万人次); the unit follows without a space. English: thousands
    separators and the unit after a space (41,400 households)."""
    value = _number_or_none(value)
    if value is None:
        return "—"
    magnitude = abs(value)
    if lang == "zh":
        if unit == "元" and magnitude >= WAN:
            return significant(value / WAN, 6) + "万元"
        if magnitude >= YI:
            text = significant(value / YI, digits) + "亿"
        elif magnitude >= 10 * WAN:
            text = significant(value / WAN, digits) + "万"
        else:
            text = str(int(value)) if value.is_integer() else significant(value, digits)
        return text + unit
    if value.is_integer():
        text = f"{value:,.0f}"
    else:
        decimals = max(0, digits - 1 - math.floor(math.log10(magnitude))) if magnitude else 0
        text = f"{value:,.{decimals}f}".rstrip("0").rstrip(".")
    return f"{text} {unit}".strip()


MAX_LABEL = 24   # characters of a name drawn on a map (the page or table beside it has it whole)


def clipped(name, most: int = MAX_LABEL) -> str:
    """A name as a map draws it: at most `most` characters, cut with an ellipsis."""
    text = str(name)
    return text if len(text) <= most else text[:most - 1] + "…"


BEIJING = dt.timezone(dt.timedelta(hours=8), "CST")


def beijing_time(moment, lang: str = "zh") -> str:
    """A moment (an ISO text or seconds since 1970) as people here read it: in Beijing time,
    year first ("2026年12月5日 14:03" / "5 Dec 2026, 14:03 Beijing time")."""
    if moment is None or moment == "":
        return "—"
    try:
        when = (dt.datetime.fromtimestamp(float(moment), dt.UTC) if isinstance(moment, (int, float))
                else dt.datetime.fromisoformat(str(moment)))
    except ValueError:
        return str(moment)
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    local = when.astimezone(BEIJING)
    if lang == "zh":
        return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"
    return f"{local.day} {local:%b %Y, %H:%M} Beijing time"


def day(text, lang: str = "zh") -> str:
    """A calendar day ("2015-12-16") as people read it: 2015年12月16日 / 16 Dec 2015."""
    try:
        when = dt.date.fromisoformat(str(text)[:10])
    except ValueError:
        return "—" if text is None or text == "" else str(text)
    return f"{when.year}年{when.month}月{when.day}日" if lang == "zh" else f"{when.day} {when:%b %Y}"


def day_of_year(when: dt.date, lang: str = "zh") -> str:
    """A day without its year (an opening season, a day inside a range): 7月25日 / 25 Jul."""
    return f"{when.month}月{when.day}日" if lang == "zh" else f"{when.day} {when:%b}"


def day_range(start: dt.date, end: dt.date, lang: str = "zh") -> str:
    """Two days as one span, year first in Chinese and the year written once when they share it:
    2027年7月25日–8月20日 / 25 Jul – 20 Aug 2027; 2026年12月20日–2027年1月10日 across a new year."""
    if lang == "zh":
        until = day_of_year(end, lang) if end.year == start.year else day(end.isoformat(), lang)
        return f"{day(start.isoformat(), lang)}–{until}"
    if end.year == start.year:
        return f"{day_of_year(start, lang)} – {day_of_year(end, lang)} {end.year}"
    return f"{day(start.isoformat(), lang)} – {day(end.isoformat(), lang)}"


def season(start_md: str, end_md: str, lang: str = "zh") -> str:
    """A yearly span written month-day ("03-15", "04-15"), as a festival's or an opening season's:
    3月15日–4月15日 / 15 Mar – 15 Apr (a day the calendar lacks is shown as written)."""
    try:
        start, end = (day_of_year(in_year(md, LEAP_YEAR), lang) for md in (start_md, end_md))
    except ValueError:
        return f"{start_md}–{end_md}"
    return f"{start}–{end}" if lang == "zh" else f"{start} – {end}"


def month(text, lang: str = "zh") -> str:
    """A month ("2015-12") as people read it: 2015年12月 / Dec 2015."""
    try:
        when = dt.date.fromisoformat(f"{str(text)[:7]}-01")
    except ValueError:
        return "—" if text is None or text == "" else str(text)
    return f"{when.year}年{when.month}月" if lang == "zh" else f"{when:%b %Y}"


def beijing_today() -> dt.date:
    """Today's date in Beijing."""
    return dt.datetime.now(BEIJING).date()


def is_positive(value) -> bool:
    number = _number_or_none(value)
    return number is not None and number > 0


def year(value) -> str:
    """A year as a year: 2008, never 2,008."""
    value = _number_or_none(value)
    return "—" if value is None else str(int(value))


def _number_or_none(value) -> float | None:
    """`value` as a float, or None when it is missing (None, NaN, pandas' NA) or not a number."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def round_break(value: float) -> float:
    """A class break people can read: `value` rounded up to 2 significant figures (6,934,001 ->
    6,900,000 would cut a value off, so up: 7,000,000)."""
    if value <= 0:
        return 0.0
    scale = 10 ** (math.floor(math.log10(value)) - 1)
    return math.ceil(value / scale - 1e-9) * scale


# Spreadsheet cells: the number stays exact (sums and filters work), its format shows it as people
# read it — money in 万/亿 on Chinese sheets (302,190,000 元 shows 3.02亿), counts with separators.
EXCEL_FORMATS = {"yuan": ("#,##0", '[>=100000000]0!.00,,"亿";[>=10000]0!.0,"万";0'),
                 "km²": ("#,##0.0", "#,##0.0"), "%": ('0.0"%"', '0.0"%"')}


def excel_format(unit: str, lang: str = "zh", whole: bool = True) -> str:
    """The Excel number format of a column counted in `unit` (a catalog msgid: "yuan", "mu", …);
    `whole`: its values are whole numbers."""
    english, chinese = EXCEL_FORMATS.get(unit, ("#,##0" if whole else "#,##0.0",) * 2)
    return chinese if lang == "zh" else english
