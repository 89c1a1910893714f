// Cell areas of any grid: the WGS84 band formula, or PROJ's LAEA for projected cells.
#include "pipeline/engine/cell_areas.hpp"

#include <ogr_spatialref.h>

#include <algorithm>
#include <cmath>

#include "kernels/cell_area.hpp"
#include "pipeline/io/diagnostics.hpp"

namespace nl {

namespace {

OGRSpatialReference srs_of(const RasterInfo& raster) {
  OGRSpatialReference srs;
  srs.importFromWkt(raster.crs_wkt.c_str());
  srs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  return srs;
}

std::unique_ptr<OGRCoordinateTransformation> transformation(const OGRSpatialReference& from,
                                                            const OGRSpatialReference& to, const RasterInfo& raster) {
  std::unique_ptr<OGRCoordinateTransformation> t(OGRCreateCoordinateTransformation(&from, &to));
  if (!t) throw UserError(raster.path + ": cannot transform its CRS to lon/lat to compute true cell areas");
  return t;
}

// Areas of sampled cells agree along each sampled row: the grid's areas depend on the row alone.
bool areas_vary_by_row_only(const RasterInfo& raster, CellAreaCalculator& calc) {
  const int64_t w = raster.grid.width, h = raster.grid.height;
  for (const int64_t r : {int64_t{0}, h / 3, h / 2, h - 1}) {
    const double mid = calc.cell_km2(r, w / 2);
    for (const int64_t c : {int64_t{0}, w / 4, w - 1})
      if (!(std::abs(calc.cell_km2(r, c) - mid) <= 1e-10 * mid)) return false;
  }
  return true;
}

}  // namespace

CellAreaCalculator::CellAreaCalculator(const RasterInfo& raster) : raster_(raster) {
  const OGRSpatialReference srs = srs_of(raster);
  OGRSpatialReference lonlat;
  lonlat.CopyGeogCSFrom(&srs);
  lonlat.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  semi_major_m_ = lonlat.GetSemiMajor();
  inverse_flattening_ = lonlat.GetInvFlattening();
  to_lonlat_ = transformation(srs, lonlat, raster);
  // The equal-area plane is centred on the raster, where its straight-edge error is smallest.
  double cx = raster.grid.x_of_col(raster.grid.width / 2.0), cy = raster.grid.y_of_row(raster.grid.height / 2.0);
  if (!to_lonlat_->Transform(1, &cx, &cy))
    throw UserError(raster.path + ": its centre cannot be transformed to lon/lat to compute true cell areas");
  OGRSpatialReference laea;
  laea.CopyGeogCSFrom(&srs);
  laea.SetLAEA(cy, cx, 0, 0);
  laea.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  to_equal_area_ = transformation(srs, laea, raster);
}

CellAreaCalculator::~CellAreaCalculator() = default;

double CellAreaCalculator::cell_km2(int64_t row, int64_t col) {
  xt::xtensor<double, 2> one;
  window_km2(Window{row, col, 1, 1}, one);
  return one(0, 0);
}

void CellAreaCalculator::window_km2(const Window& w, xt::xtensor<double, 2>& out) {
  out.resize({static_cast<size_t>(w.rows), static_cast<size_t>(w.cols)});
  const auto stride = static_cast<size_t>(w.cols + 1);
  const size_t corners = stride * static_cast<size_t>(w.rows + 1);
  auto fill_corners = [&] {
    x_.resize(corners);
    y_.resize(corners);
    for (int64_t r = 0; r <= w.rows; ++r)
      for (int64_t c = 0; c <= w.cols; ++c) {
        x_[static_cast<size_t>(r) * stride + c] = raster_.grid.x_of_col(static_cast<double>(w.col0 + c));
        y_[static_cast<size_t>(r) * stride + c] = raster_.grid.y_of_row(static_cast<double>(w.row0 + r));
      }
  };
  auto failed = [&] {
    return UserError(raster_.path + ": cells of rows " + std::to_string(w.row0) + "-" + std::to_string(w.row0 + w.rows) +
                     " lie outside its projection's valid area; their true areas cannot be computed");
  };
  // Cylindrical projections map a cell to a lon/lat rectangle: its exact ellipsoidal area.
  fill_corners();
  if (!to_lonlat_->Transform(static_cast<int>(corners), x_.data(), y_.data())) throw failed();
  const Ellipsoid e{semi_major_m_, inverse_flattening_};
  bool rectangles = true;
  for (int64_t r = 0; r < w.rows && rectangles; ++r)
    for (int64_t c = 0; c < w.cols; ++c) {
      const size_t i = static_cast<size_t>(r) * stride + c, j = i + stride;
      const double dlon = x_[i + 1] - x_[i];
      if (x_[j] != x_[i] || x_[j + 1] != x_[i + 1] || y_[i + 1] != y_[i] || y_[j + 1] != y_[j] || !(dlon > 0)) {
        rectangles = false;
        break;
      }
      out(r, c) = ellipsoid_band_area_km2(y_[j], y_[i], dlon, e);
    }
  if (rectangles) return;
  fill_corners();
  if (!to_equal_area_->Transform(static_cast<int>(corners), x_.data(), y_.data())) throw failed();
  for (int64_t r = 0; r < w.rows; ++r)
    for (int64_t c = 0; c < w.cols; ++c) {
      const size_t i = static_cast<size_t>(r) * stride + c, j = i + stride;
      // Shoelace over the corners (top-left, top-right, bottom-right, bottom-left).
      const double twice = (x_[i] * y_[i + 1] - x_[i + 1] * y_[i]) + (x_[i + 1] * y_[j + 1] - x_[j + 1] * y_[i + 1]) +
                           (x_[j + 1] * y_[j] - x_[j] * y_[j + 1]) + (x_[j] * y_[i] - x_[i] * y_[j]);
      out(r, c) = std::abs(twice) * 0.5e-6;
    }
}

CellAreas raster_cell_areas(const RasterInfo& raster) {
  CellAreas areas;
  if (raster.geographic) {
    areas.row_km2 = geographic_row_cell_areas_km2(raster.grid);
    return areas;
  }
  if (raster.equal_area) {
    const double unit = raster.linear_unit_m;
    const double area = std::abs(raster.grid.cell_width * raster.grid.cell_height) * unit * unit * 1e-6;
    areas.row_km2.assign(static_cast<size_t>(raster.grid.height), area);
    return areas;
  }
  CellAreaCalculator calc(raster);
  if (!areas_vary_by_row_only(raster, calc)) {
    areas.per_cell = true;
    return areas;
  }
  xt::xtensor<double, 2> column;
  calc.window_km2(Window{0, raster.grid.width / 2, raster.grid.height, 1}, column);
  areas.row_km2.assign(column.begin(), column.end());
  return areas;
}

}  // namespace nl
