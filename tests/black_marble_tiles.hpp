// Synthetic NASA Black Marble tiles for tests, written with the HDF5 C API: the HDF-EOS5 group
// layout, layer names, types, fill values and attributes of VNP46A1-A4 files (see DESIGN.md,
// "NASA Black Marble"), at full size (2400 x 2400, chunked and deflate-compressed), so tests
// make what they need at test time and never download.
#pragma once
#include <hdf5.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace nl::testsupport {

inline const char* kGroupCollection2 = "HDFEOS/GRIDS/VIIRS_Grid_DNB_2d/Data Fields";  // A3/A4, C2 A2
inline const char* kGroupCollection1 = "HDFEOS/GRIDS/VNP_Grid_DNB/Data Fields";       // C1 A1/A2

struct BlackMarbleLayer {
  std::string name;
  bool is_uint8 = false;  // flag layers; radiance and counts are uint16
  double fill = 65535;
  std::optional<double> scale, offset;  // written as scale_factor / offset when set
  std::function<double(int row, int col)> value;  // the stored (unscaled) value
};

struct BlackMarbleTile {
  int h = 29, v = 5;
  std::string group = kGroupCollection2;
  int size = 2400;
  // Root attributes HorizontalTileNumber / VerticalTileNumber; empty: leave them out.
  std::string h_attr = "auto", v_attr = "auto";
  std::vector<BlackMarbleLayer> layers;
};

inline void check_h5(long long status, const char* what) {
  if (status < 0) throw std::runtime_error(std::string("HDF5 test tile: ") + what + " failed");
}

inline void write_string_attribute(hid_t where, const char* name, const std::string& text) {
  const hid_t type = H5Tcopy(H5T_C_S1);
  H5Tset_size(type, text.size());
  const hid_t space = H5Screate(H5S_SCALAR);
  const hid_t attr = H5Acreate2(where, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
  check_h5(H5Awrite(attr, type, text.data()), name);
  H5Aclose(attr);
  H5Sclose(space);
  H5Tclose(type);
}

// Attributes typed as the layer's values (fill) or as doubles (scale, offset), as in the files.
inline void write_number_attribute(hid_t where, const char* name, hid_t type, double value) {
  const hid_t space = H5Screate(H5S_SCALAR);
  const hid_t attr = H5Acreate2(where, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
  check_h5(H5Awrite(attr, H5T_NATIVE_DOUBLE, &value), name);
  H5Aclose(attr);
  H5Sclose(space);
}

inline void write_layer(hid_t group, const BlackMarbleLayer& layer, int size) {
  const hsize_t dims[2] = {static_cast<hsize_t>(size), static_cast<hsize_t>(size)};
  const hsize_t chunk[2] = {static_cast<hsize_t>(std::min(size, 240)), static_cast<hsize_t>(std::min(size, 240))};
  const hid_t space = H5Screate_simple(2, dims, nullptr);
  const hid_t plist = H5Pcreate(H5P_DATASET_CREATE);
  H5Pset_chunk(plist, 2, chunk);
  H5Pset_deflate(plist, 4);
  const hid_t file_type = layer.is_uint8 ? H5T_STD_U8LE : H5T_STD_U16LE;
  const hid_t ds = H5Dcreate2(group, layer.name.c_str(), file_type, space, H5P_DEFAULT, plist, H5P_DEFAULT);
  check_h5(ds, layer.name.c_str());
  std::vector<double> values(static_cast<size_t>(size) * size);
  for (int r = 0; r < size; ++r)
    for (int c = 0; c < size; ++c) values[static_cast<size_t>(r) * size + c] = layer.value(r, c);
  check_h5(H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), "write");
  write_number_attribute(ds, "_FillValue", file_type, layer.fill);
  if (layer.scale) write_number_attribute(ds, "scale_factor", H5T_IEEE_F64LE, *layer.scale);
  if (layer.offset) write_number_attribute(ds, "offset", H5T_IEEE_F64LE, *layer.offset);
  write_string_attribute(ds, "units", layer.scale ? "nW/(cm2 sr)" : "none");
  H5Dclose(ds);
  H5Pclose(plist);
  H5Sclose(space);
}

inline void write_black_marble_tile(const std::string& path, const BlackMarbleTile& tile) {
  const hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  check_h5(file, path.c_str());
  auto two_digits = [](int n) { return std::string(n < 10 ? "0" : "") + std::to_string(n); };
  const hid_t root = H5Gopen2(file, "/", H5P_DEFAULT);
  if (!tile.h_attr.empty())
    write_string_attribute(root, "HorizontalTileNumber", tile.h_attr == "auto" ? two_digits(tile.h) : tile.h_attr);
  if (!tile.v_attr.empty())
    write_string_attribute(root, "VerticalTileNumber", tile.v_attr == "auto" ? two_digits(tile.v) : tile.v_attr);
  H5Gclose(root);
  const hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  const hid_t group = H5Gcreate2(file, tile.group.c_str(), lcpl, H5P_DEFAULT, H5P_DEFAULT);
  check_h5(group, tile.group.c_str());
  for (const auto& layer : tile.layers) write_layer(group, layer, tile.size);
  H5Gclose(group);
  H5Pclose(lcpl);
  H5Fclose(file);
}

// A radiance layer: uint16 x 0.1 + offset, fill 65535.
inline BlackMarbleLayer radiance_layer(const std::string& name, std::function<double(int, int)> value,
                                       double offset = 0) {
  return {name, false, 65535, 0.1, offset, std::move(value)};
}
// A flag layer: uint8, fill 255, no scale.
inline BlackMarbleLayer flag_layer(const std::string& name, std::function<double(int, int)> value) {
  return {name, true, 255, std::nullopt, std::nullopt, std::move(value)};
}

}  // namespace nl::testsupport
