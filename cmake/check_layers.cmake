# Fails when a source file includes a layer above its own or a library its layer must not use:
# kernels/ nothing of GDAL, OGR, CPL, PROJ, GEOS, MPI or pipeline/; pipeline/io/ nothing of
# engine/, analysis/ or app/; engine/ nothing of analysis/ or app/; analysis/ nothing of
# engine/, app/ or pictures/; pictures/ nothing of engine/ or app/. The compiler cannot tell: those libraries' headers are all on the system
# include path. Run as: cmake -DSRC=<tree> -P check_layers.cmake
set(rules
  "kernels|<(gdal|ogr|cpl_|proj|geodesic|geos|mpi)[^>]*>|\"pipeline/"
  "pipeline/io|\"pipeline/(engine|analysis|app)/"
  "pipeline/engine|\"pipeline/(analysis|app)/"
  "pipeline/analysis|\"pipeline/(engine|app|pictures)/"
  "pipeline/pictures|\"pipeline/(engine|app)/")
set(violations 0)
foreach(rule IN LISTS rules)
  string(FIND "${rule}" "|" bar)
  string(SUBSTRING "${rule}" 0 ${bar} folder)
  math(EXPR start "${bar} + 1")
  string(SUBSTRING "${rule}" ${start} -1 forbidden)
  file(GLOB files "${SRC}/${folder}/*.hpp" "${SRC}/${folder}/*.cpp")
  foreach(f IN LISTS files)
    file(STRINGS "${f}" includes REGEX "^[ \t]*#[ \t]*include")
    foreach(line IN LISTS includes)
      if(line MATCHES "${forbidden}")
        file(RELATIVE_PATH rel "${SRC}" "${f}")
        message("layer violation: ${rel}: ${line}")
        math(EXPR violations "${violations} + 1")
      endif()
    endforeach()
  endforeach()
endforeach()
if(violations GREATER 0)
  message(FATAL_ERROR "${violations} include(s) reach above their layer (see ARCHITECTURE.md)")
endif()
message("layers: every include stays within its layer or below")
