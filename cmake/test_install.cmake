# The install test (ctest -R install_into_prefix): `cmake --install BUILD_DIR --prefix PREFIX`
# into an emptied PREFIX, then PREFIX/bin/nightlights --version must run and print VERSION, and
# the example configurations must be in PREFIX/share/nightlights/configs, and the MPI build of the
# program beside the plain one when there is one. Run with cmake -P.
file(REMOVE_RECURSE ${PREFIX})
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${PREFIX}
  RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT code EQUAL 0)
  message(FATAL_ERROR "cmake --install failed (${code}):\n${out}")
endif()
set(exe ${PREFIX}/bin/nightlights)
if(NOT EXISTS ${exe})
  message(FATAL_ERROR "${exe} was not installed:\n${out}")
endif()
execute_process(COMMAND ${exe} --version RESULT_VARIABLE code OUTPUT_VARIABLE version ERROR_VARIABLE version)
if(NOT code EQUAL 0 OR NOT version MATCHES "^${VERSION} \\(")
  message(FATAL_ERROR "${exe} --version: exit ${code}, printed '${version}'; expected '${VERSION} (git describe)'")
endif()
if(EXISTS ${BUILD_DIR}/nightlights-program-mpi AND NOT EXISTS ${PREFIX}/libexec/nightlights/nightlights-program-mpi)
  message(FATAL_ERROR "the MPI build of the program was not installed in ${PREFIX}/libexec/nightlights")
endif()
if(NOT EXISTS ${PREFIX}/share/nightlights/configs/sample.yaml)
  message(FATAL_ERROR "the example configurations were not installed in ${PREFIX}/share/nightlights/configs")
endif()
file(REMOVE_RECURSE ${PREFIX})
message(STATUS "installed and ran: ${exe} --version → ${version}")
