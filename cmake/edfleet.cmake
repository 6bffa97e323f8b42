# Build helpers shared by every edfleet target.

# Strict warnings on edfleet's own code (never on generated or third-party code).
function(edfleet_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                           -Wno-missing-field-initializers
                                           # GCC 12 false positive at -O3 inside libstdc++'s
                                           # std::string concatenation (GCC bug 105651).
                                           -Wno-restrict)
  if(EDFLEET_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# edfleet_library(NAME <name> SOURCES ... [PUBLIC_LIBS ...] [PRIVATE_LIBS ...])
# A static library with include/ as its public include directory.
function(edfleet_library)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES;PUBLIC_LIBS;PRIVATE_LIBS" ${ARGN})
  add_library(${ARG_NAME} STATIC ${ARG_SOURCES})
  string(REGEX REPLACE "^edfleet_" "" short ${ARG_NAME})
  add_library(edfleet::${short} ALIAS ${ARG_NAME})
  if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/include)
    target_include_directories(${ARG_NAME} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include)
  endif()
  target_link_libraries(${ARG_NAME} PUBLIC ${ARG_PUBLIC_LIBS} PRIVATE ${ARG_PRIVATE_LIBS})
  edfleet_warnings(${ARG_NAME})
endfunction()

# edfleet_test(NAME <name> SOURCES ... LIBS ... LABELS unit|integration <area> [TIMEOUT s])
# One ctest test per binary, so the test cases of one binary share its embedded broker/Postgres.
function(edfleet_test)
  cmake_parse_arguments(ARG "" "NAME;TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  list(GET ARG_LABELS 0 kind)
  if(NOT kind STREQUAL "unit" AND NOT kind STREQUAL "integration")
    message(FATAL_ERROR "edfleet_test(${ARG_NAME}): first label must be unit or integration")
  endif()
  add_executable(${ARG_NAME} ${ARG_SOURCES})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_LIBS} Catch2::Catch2WithMain)
  edfleet_warnings(${ARG_NAME})
  add_test(NAME ${ARG_NAME} COMMAND ${ARG_NAME} --reporter compact --durations no)
  set_tests_properties(${ARG_NAME} PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT ${ARG_TIMEOUT}
                       ENVIRONMENT "EDFLEET_BIN_DIR=${CMAKE_BINARY_DIR}/bin")
endfunction()

# edfleet_embed_sql(TARGET <target> DIR <migrations dir> NAMESPACE <c++ namespace>)
# is provided by libs/pg (edfleet_embed_migrations); see libs/pg/CMakeLists.txt.
