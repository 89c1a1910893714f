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
# The environment is read once, in the app layer (app/run_environment): no layer below calls
# getenv, so every library call behaves the same whatever the process's environment.
set(env_reads 0)
foreach(folder kernels pipeline/io pipeline/engine pipeline/analysis pipeline/pictures)
  file(GLOB files "${SRC}/${folder}/*.hpp" "${SRC}/${folder}/*.cpp")
  foreach(f IN LISTS files)
    file(STRINGS "${f}" calls REGEX "getenv[ \t]*\\(")
    foreach(line IN LISTS calls)
      file(RELATIVE_PATH rel "${SRC}" "${f}")
      message("environment read below the app layer: ${rel}: ${line}")
      math(EXPR env_reads "${env_reads} + 1")
    endforeach()
  endforeach()
endforeach()
if(violations GREATER 0 OR env_reads GREATER 0)
  message(FATAL_ERROR "${violations} include(s) reach above their layer, ${env_reads} environment read(s) below the app layer (see ARCHITECTURE.md)")
endif()
message("layers: every include stays within its layer or below; only the app layer reads the environment")
