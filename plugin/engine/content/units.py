"""Units of measure: their spellings (English and Chinese), dimension and scale.

A quantity is compared by dimension and value in the dimension's base unit, so
"1.5 l" and "1500 ml" state the same fact while "500 ml" and "500 l" do not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Unit:
    """One unit: its canonical symbol, dimension and factor to the dimension's base."""

    symbol: str
    dimension: str
    factor: float = 1.0


_UNITS: dict[str, Unit] = {}
# Spellings that are only a unit when they follow a number directly ("5m", "2L")
# or stand alone before punctuation: as words they are common English.
_SHORT: set[str] = set()


def _add(symbol: str, dimension: str, factor: float, *spellings: str) -> None:
    unit = Unit(symbol, dimension, factor)
    for spelling in (symbol, *spellings):
        _UNITS[spelling.lower()] = unit


_add("mg", "mass", 0.001, "milligram", "milligrams", "毫克")
_add("g", "mass", 1, "gram", "grams", "gr", "克")
_add("kg", "mass", 1000, "kilogram", "kilograms", "kilo", "kilos", "千克", "公斤")
_add("oz", "mass", 28.3495, "ounce", "ounces")
_add("lb", "mass", 453.592, "lbs", "pound", "pounds")
_add("斤", "mass", 500)
_add("gsm", "areal density", 1, "g/m2", "g/m²", "g/sqm", "gm2", "克重")
_add("ml", "volume", 0.001, "millilitre", "millilitres", "milliliter", "milliliters", "毫升")
_add("cl", "volume", 0.01, "centilitre", "centilitres", "centiliter", "centiliters")
_add("l", "volume", 1, "litre", "litres", "liter", "liters", "ltr", "升", "公升")
_add("fl oz", "volume", 0.0295735, "fl. oz", "fl.oz", "floz")
_add("mm", "length", 0.001, "millimetre", "millimetres", "millimeter", "millimeters", "毫米")
_add("cm", "length", 0.01, "centimetre", "centimetres", "centimeter", "centimeters", "厘米",
     "公分")
_add("m", "length", 1, "metre", "metres", "meter", "meters", "米")
_add("km", "length", 1000, "kilometre", "kilometres", "kilometer", "kilometers", "公里",
     "千米")
_add("in", "length", 0.0254, "inch", "inches", '"', "″", "英寸", "寸")
_add("ft", "length", 0.3048, "foot", "feet", "′")
_add("W", "power", 1, "watt", "watts", "瓦", "瓦特")
_add("kW", "power", 1000, "kilowatt", "kilowatts", "千瓦")
_add("V", "voltage", 1, "volt", "volts", "伏", "伏特")
_add("A", "current", 1, "amp", "amps", "ampere", "amperes", "安")
_add("mAh", "charge", 1, "毫安时", "毫安")
_add("Ah", "charge", 1000)
_add("Wh", "energy", 1, "瓦时")
_add("MB", "data", 1e-3, "megabyte", "megabytes")
_add("GB", "data", 1, "gigabyte", "gigabytes")
_add("TB", "data", 1000, "terabyte", "terabytes")
_add("Hz", "frequency", 1, "hertz", "赫兹")
_add("kHz", "frequency", 1e3)
_add("MHz", "frequency", 1e6)
_add("GHz", "frequency", 1e9)
_add("°C", "temperature", 1, "℃", "degrees celsius", "摄氏度")
_add("°F", "temperature (°F)", 1, "℉", "degrees fahrenheit", "华氏度")
_add("s", "time", 1, "sec", "secs", "second", "seconds", "秒", "秒钟")
_add("min", "time", 60, "mins", "minute", "minutes", "分钟")
_add("h", "time", 3600, "hr", "hrs", "hour", "hours", "小时", "个小时")
_add("day", "time", 86400, "days", "天", "日")
_add("week", "time", 604800, "weeks", "周", "星期", "个星期")
_add("month", "time", 2629800, "months", "个月", "月")
_add("year", "time", 31557600, "years", "yr", "yrs", "年")
_add("pcs", "count", 1, "pc", "piece", "pieces", "件", "个", "只", "片", "支", "枚")
_add("pair", "pairs", 1, "双", "对")
_add("set", "sets", 1, "套")
_add("pack", "packs", 1, "包", "盒")
_add("x", "multiple", 1, "×", "倍")
_add("%", "percent", 1, "％", "percent", "per cent")
_add("mp", "resolution", 1, "megapixel", "megapixels", "百万像素")
_add("dB", "sound", 1, "decibel", "decibels", "分贝")
_add("lm", "light", 1, "lumen", "lumens", "流明")
_add("K", "colour temperature", 1, "kelvin")

_SHORT.update({"in", "m", "s", "h", "l", "a", "v", "w", "k", "x", "gr", "ft", "pc", "日",
               "月", "个", "只", "片", "支", "枚", "对", "包", "盒", "寸", "安", "米"})
# Case matters for these: "5 W" is watts, "5 w" is not anything.
_UPPERCASE_ONLY = {"w", "v", "a", "k"}

# Longest spellings first so "fl oz" wins over "oz" and "毫升" over "升".
_SPELLINGS = sorted(_UNITS, key=len, reverse=True)
_ASCII_WORD = re.compile(r"^[a-z]")


def unit_pattern() -> str:
    """A regex alternation of every unit spelling, longest first (case-insensitive)."""
    return "|".join(re.escape(s) for s in _SPELLINGS)


def lookup(spelling: str, *, attached: bool, followed_by: str) -> Unit | None:
    """The unit a spelling after a number names, or None.

    ``attached`` says the spelling touches the number ("5m"); ``followed_by`` is the
    next character. Short spellings that are also words ("in", "m", "a") count only
    when attached or at the end of a phrase.
    """
    key = spelling.lower()
    unit = _UNITS.get(key)
    if unit is None:
        return None
    if key in _UPPERCASE_ONLY and spelling != spelling.upper():
        return None
    if key in _SHORT and _ASCII_WORD.match(key) and not attached:
        if followed_by and (followed_by.isalnum() or followed_by in "-'"):
            return None
        if key in {"a", "in", "s"} and followed_by not in ("", ".", ",", ";", ")", "/"):
            return None
    return unit
