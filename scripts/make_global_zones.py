#!/usr/bin/python3
"""Writes a GeoPackage of square lon/lat grid polygons (default 1 degree, -180..180 x -90..90:
360 x 180 = 64,800 zones) for the global benchmark of nightlights (scripts/bench --global).

Layer `zones`, integer field `id` (1, 2, ... row by row from the north-west), EPSG:4326, written
with OGR in one transaction. Zones outside a raster's extent (e.g. south of 65 S or north of
75 N for the EOG global grid) simply get count 0.

Needs only Debian's python3-gdal:
  scripts/make_global_zones.py OUT.gpkg [--step 1] [--south -90] [--north 90]
"""
import argparse
import os
import time

from osgeo import gdal, ogr, osr

gdal.UseExceptions()
ogr.UseExceptions()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("output", help="GeoPackage to write (overwritten)")
    ap.add_argument("--step", type=float, default=1.0, help="cell size in degrees (default 1)")
    ap.add_argument("--west", type=float, default=-180.0)
    ap.add_argument("--east", type=float, default=180.0)
    ap.add_argument("--south", type=float, default=-90.0)
    ap.add_argument("--north", type=float, default=90.0)
    ap.add_argument("--layer", default="zones", help="layer name (default zones)")
    args = ap.parse_args()

    t0 = time.monotonic()
    nx = round((args.east - args.west) / args.step)
    ny = round((args.north - args.south) / args.step)
    if os.path.exists(args.output):
        os.remove(args.output)
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(args.output)
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(4326)
    srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    layer = ds.CreateLayer(args.layer, srs, ogr.wkbPolygon, options=["FID=fid", "GEOMETRY_NAME=geom"])
    layer.CreateField(ogr.FieldDefn("id", ogr.OFTInteger))
    defn = layer.GetLayerDefn()
    layer.StartTransaction()
    n = 0
    for j in range(ny):
        top = args.north - j * args.step
        bottom = args.north - (j + 1) * args.step
        for i in range(nx):
            left = args.west + i * args.step
            right = args.west + (i + 1) * args.step
            ring = ogr.Geometry(ogr.wkbLinearRing)
            for x, y in ((left, bottom), (right, bottom), (right, top), (left, top), (left, bottom)):
                ring.AddPoint_2D(x, y)
            poly = ogr.Geometry(ogr.wkbPolygon)
            poly.AddGeometry(ring)
            f = ogr.Feature(defn)
            n += 1
            f.SetField("id", n)
            f.SetGeometry(poly)
            layer.CreateFeature(f)
    layer.CommitTransaction()
    ds = None
    print(f"{args.output}: layer {args.layer}, {n} zones of {args.step} deg ({nx} x {ny}), "
          f"{time.monotonic() - t0:.1f} s")


if __name__ == "__main__":
    main()
