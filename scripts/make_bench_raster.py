#!/usr/bin/python3
"""Writes a synthetic, VIIRS-like night-light raster for benchmarking nightlights.

Deterministic: the same arguments give the same pixels (fixed numpy seed), so scripts/bench can
generate it once and cache it.

Default (China extent, 15 arc-seconds like the VIIRS VNL/Black Marble composites):
  73..135 E x 18..54 N -> 14,880 x 8,640 float32 cells,
  geotransform (73, 1/240, 0, 54, 0, -1/240), EPSG:4326.
--global: the EOG global 15" grid, 86,401 x 33,601 cells with origin
  (-180.0020833333, 75.0020833333) (2.9 G cells; several minutes and ~11 GB uncompressed,
  a few GB on disk).

Both are GeoTIFFs tiled 512 x 512, DEFLATE (--predictor 3 for the floating-point predictor),
with nodata -999 set on the band. Content:
  * background: |N(0, 0.15)| noise, values under 0.15 set to exactly 0 (about two thirds zeros);
  * city-like light: a few thousand Gaussian blobs (lognormal brightness, peak up to ~500 nW),
    more numerous and brighter towards the east (China) / around a handful of populated
    regions (global), plus many small dim "village" blobs;
  * a nodata area (-999): a rectangle in the far north-west plus an irregular patch.
The raster is computed and written in strips of --strip-rows rows (default 512, one row of
tiles), so memory stays bounded (~100 MB for China, ~600 MB for --global).

Needs only Debian's python3-gdal and python3-numpy:
  scripts/make_bench_raster.py OUT.tif [--global] [--predictor 3] [--seed 20240601]
"""
import argparse
import math
import os
import sys
import time

import numpy as np
from osgeo import gdal, osr

gdal.UseExceptions()

NODATA = -999.0
RES = 1.0 / 240.0  # 15 arc-seconds
CAP = 500.0  # brightest cell value (nW/cm2/sr)


def china_grid():
    return dict(width=14880, height=8640, x0=73.0, y0=54.0, cities=3000, villages=20000)


def global_grid():
    return dict(width=86401, height=33601, x0=-180.0020833333, y0=75.0020833333, cities=40000, villages=300000)


def blobs_china(rng, g, n_cities, n_villages):
    """Blob centres (pixel x, y), sigma (pixels) and peak value. Density grows with longitude."""
    def centres(n):
        xs = np.empty(0)
        ys = np.empty(0)
        while xs.size < n:
            m = 4 * n
            x = rng.uniform(0, g["width"], m)
            y = rng.uniform(0, g["height"], m)
            east = x / g["width"]  # 0 at 73E, 1 at 135E
            lat = g["y0"] - y * RES
            w = (0.03 + east ** 2) * np.where((lat > 20) & (lat < 42), 1.0, 0.4)
            keep = rng.uniform(0, 1, m) < w / 1.03
            xs = np.concatenate([xs, x[keep]])
            ys = np.concatenate([ys, y[keep]])
        return xs[:n], ys[:n]

    cx, cy = centres(n_cities)
    east = cx / g["width"]
    sigma = np.clip(rng.lognormal(math.log(5.0), 0.6, n_cities), 1.0, 40.0)
    peak = rng.lognormal(math.log(6.0) + 2.0 * east, 1.0)
    vx, vy = centres(n_villages)
    vsigma = rng.uniform(0.6, 2.0, n_villages)
    vpeak = rng.lognormal(math.log(1.5) + 0.8 * vx / g["width"], 0.6)
    return (np.concatenate([cx, vx]), np.concatenate([cy, vy]), np.concatenate([sigma, vsigma]),
            np.concatenate([peak, vpeak]))


# Populated regions of the global variant: (lon, lat, spread in degrees, weight).
GLOBAL_REGIONS = [
    (115, 32, 8, 3.0),    # eastern China
    (78, 24, 7, 2.5),     # India
    (10, 48, 8, 2.5),     # Europe
    (-85, 38, 10, 2.0),   # eastern USA
    (-115, 36, 8, 1.0),   # western USA
    (138, 36, 3, 1.0),    # Japan
    (127, 37, 2, 0.5),    # Korea
    (-46, -22, 6, 1.0),   # south-east Brazil
    (-100, 20, 5, 0.8),   # Mexico
    (105, 12, 6, 1.0),    # south-east Asia
    (40, 50, 10, 1.0),    # Russia / Ukraine
    (45, 28, 8, 1.0),     # Middle East (gas flares too)
    (5, 8, 6, 0.6),       # west Africa
    (30, -26, 4, 0.5),    # South Africa
    (148, -32, 4, 0.4),   # south-east Australia
    (-64, -34, 5, 0.4),   # Argentina
]


def blobs_global(rng, g, n_cities, n_villages):
    lon0, lat0 = g["x0"], g["y0"]
    reg = np.array([r[:3] for r in GLOBAL_REGIONS], dtype=float)
    wts = np.array([r[3] for r in GLOBAL_REGIONS])
    wts = wts / wts.sum()

    def centres(n):
        k = rng.choice(len(GLOBAL_REGIONS), size=n, p=wts)
        lon = reg[k, 0] + rng.normal(0, 1, n) * reg[k, 2]
        lat = reg[k, 1] + rng.normal(0, 1, n) * reg[k, 2] * 0.6
        # 10% scattered anywhere between 55S and 70N
        scatter = rng.uniform(0, 1, n) < 0.1
        lon[scatter] = rng.uniform(-180, 180, scatter.sum())
        lat[scatter] = rng.uniform(-55, 70, scatter.sum())
        lon = (lon + 180.0) % 360.0 - 180.0
        lat = np.clip(lat, -64.9, 74.9)
        return (lon - lon0) / RES, (lat0 - lat) / RES, k

    cx, cy, k = centres(n_cities)
    sigma = np.clip(rng.lognormal(math.log(5.0), 0.6, n_cities), 1.0, 40.0)
    peak = rng.lognormal(math.log(6.0) + 0.5 * wts[k] * len(GLOBAL_REGIONS), 1.0)
    vx, vy, _ = centres(n_villages)
    vsigma = rng.uniform(0.6, 2.0, n_villages)
    vpeak = rng.lognormal(math.log(1.5), 0.6, n_villages)
    return (np.concatenate([cx, vx]), np.concatenate([cy, vy]), np.concatenate([sigma, vsigma]),
            np.concatenate([peak, vpeak]))


def nodata_mask(g, r0, r1, is_global):
    """Boolean mask (rows r0..r1) of the nodata area: a rectangle plus an irregular patch.
    Only the patch's bounding box is evaluated, so this stays cheap for the global grid."""
    w = g["width"]
    mask = np.zeros((r1 - r0, w), dtype=bool)

    def col(lon):
        return int(np.clip(round((lon - g["x0"]) / RES), 0, w))

    def row(lat):
        return int(np.clip(round((g["y0"] - lat) / RES), r0, r1)) - r0

    if is_global:
        mask[:row(71.0), col(-170.0):col(-60.0)] = True  # high Arctic Canada
        cx, cy, rad = 150.0, 66.0, 4.0  # patch over eastern Siberia
    else:
        mask[:row(45.0), :col(80.0)] = True  # far north-west (north of the Tian Shan)
        cx, cy, rad = 85.0, 33.0, 2.5  # patch over the Tibetan plateau
    ext = 1.45 * rad
    a, b = row(cy + ext), row(cy - ext)
    c, d = col(cx - ext / 0.85), col(cx + ext / 0.85)
    if a < b and c < d:
        lat = g["y0"] - (np.arange(r0 + a, r0 + b, dtype=np.float64)[:, None] + 0.5) * RES
        lon = g["x0"] + (np.arange(c, d, dtype=np.float64)[None, :] + 0.5) * RES
        ang = np.arctan2(lat - cy, (lon - cx) * 0.85)
        wobble = rad * (1.0 + 0.25 * np.sin(3 * ang) + 0.15 * np.cos(7 * ang + 1.0))
        mask[a:b, c:d] |= np.hypot((lon - cx) * 0.85, lat - cy) < wobble
    return mask


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("output", help="GeoTIFF to write (overwritten)")
    ap.add_argument("--global", dest="is_global", action="store_true",
                    help="global 15\" grid 86,401 x 33,601 instead of the China extent")
    ap.add_argument("--seed", type=int, default=20240601, help="numpy seed (default 20240601)")
    ap.add_argument("--predictor", type=int, choices=(1, 2, 3), default=1,
                    help="TIFF predictor: 1 none (default), 3 floating point")
    ap.add_argument("--strip-rows", type=int, default=512, help="rows computed and written at once (default 512)")
    ap.add_argument("--threads", default="2", help="GDAL compression threads (NUM_THREADS, default 2)")
    ap.add_argument("--cities", type=int, help="number of city blobs (default 3,000; 40,000 with --global)")
    ap.add_argument("--villages", type=int, help="number of small dim blobs (default 20,000; 300,000 with --global)")
    args = ap.parse_args()

    t0 = time.monotonic()
    g = global_grid() if args.is_global else china_grid()
    n_cities = args.cities if args.cities is not None else g["cities"]
    n_villages = args.villages if args.villages is not None else g["villages"]
    rng = np.random.default_rng(args.seed)
    make = blobs_global if args.is_global else blobs_china
    bx, by, bs, bp = make(rng, g, n_cities, n_villages)
    bp = np.minimum(bp, CAP)
    br = np.ceil(4.0 * bs).astype(np.int64)
    order = np.argsort(by, kind="stable")
    bx, by, bs, bp, br = bx[order], by[order], bs[order], bp[order], br[order]

    W, H = g["width"], g["height"]
    opts = ["TILED=YES", "BLOCKXSIZE=512", "BLOCKYSIZE=512", "COMPRESS=DEFLATE",
            f"PREDICTOR={args.predictor}", f"NUM_THREADS={args.threads}",
            "BIGTIFF=YES" if args.is_global else "BIGTIFF=IF_SAFER"]
    gdal.SetCacheMax(256 * 1024 * 1024)
    tmp = args.output + ".part"
    if os.path.exists(tmp):
        os.remove(tmp)
    ds = gdal.GetDriverByName("GTiff").Create(tmp, W, H, 1, gdal.GDT_Float32, options=opts)
    ds.SetGeoTransform((g["x0"], RES, 0.0, g["y0"], 0.0, -RES))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(4326)
    ds.SetProjection(srs.ExportToWkt())
    band = ds.GetRasterBand(1)
    band.SetNoDataValue(NODATA)
    ds.SetMetadataItem("DESCRIPTION", "synthetic VIIRS-like night lights for benchmarking (scripts/make_bench_raster.py)")
    ds.SetMetadataItem("SEED", str(args.seed))

    # Noise comes from its own generator per strip so the blob draws above stay independent of it.
    lit_cells = 0
    nodata_cells = 0
    for r0 in range(0, H, args.strip_rows):
        r1 = min(H, r0 + args.strip_rows)
        srng = np.random.default_rng([args.seed, r0])
        strip = srng.standard_normal((r1 - r0, W), dtype=np.float32)
        np.abs(strip, out=strip)
        strip *= np.float32(0.15)
        strip[strip < np.float32(0.15)] = 0.0
        # blobs whose 4-sigma square touches rows r0..r1
        lo = np.searchsorted(by, r0 - 4.0 * 40.0 - 1, side="left")
        hi = np.searchsorted(by, r1 + 4.0 * 40.0 + 1, side="right")
        for i in range(lo, hi):
            cy, r = by[i], br[i]
            y0, y1 = max(r0, int(cy) - r), min(r1, int(cy) + r + 1)
            if y0 >= y1:
                continue
            cx = bx[i]
            x0, x1 = max(0, int(cx) - r), min(W, int(cx) + r + 1)
            if x0 >= x1:
                continue
            s2 = 2.0 * bs[i] * bs[i]
            gy = np.exp(-((np.arange(y0, y1) + 0.5 - cy) ** 2) / s2)
            gx = np.exp(-((np.arange(x0, x1) + 0.5 - cx) ** 2) / s2)
            strip[y0 - r0:y1 - r0, x0:x1] += (bp[i] * np.outer(gy, gx)).astype(np.float32)
        np.minimum(strip, np.float32(CAP), out=strip)
        mask = nodata_mask(g, r0, r1, args.is_global)
        strip[mask] = np.float32(NODATA)
        nodata_cells += int(mask.sum())
        lit_cells += int(np.count_nonzero(strip > 0))
        band.WriteArray(strip, 0, r0)
        band.FlushCache()  # write this row of tiles now: the block cache never holds more than one
        del strip, mask
        if args.is_global and (r0 // args.strip_rows) % 8 == 0:
            print(f"  rows {r1}/{H} ({time.monotonic() - t0:.0f} s)", file=sys.stderr, flush=True)
    band.FlushCache()
    band = None
    ds = None
    os.replace(tmp, args.output)
    size = os.path.getsize(args.output)
    print(f"{args.output}: {W} x {H} float32, {n_cities} cities + {n_villages} villages, "
          f"{lit_cells / (W * H):.1%} lit, {nodata_cells / (W * H):.1%} nodata, "
          f"{size / 2**20:.0f} MiB, {time.monotonic() - t0:.1f} s")


if __name__ == "__main__":
    main()
