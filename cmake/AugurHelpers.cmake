# Helpers that give every target of the project the same flags, include root and test labels.

# Warnings for our own code; -Werror when AUGUR_WERROR is on (the default, and in CI).
function(augur_target_options target)
  target_compile_features(${target} PUBLIC cxx_std_20)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wno-unused-parameter -Wno-sign-compare>
    $<$<AND:$<COMPILE_LANGUAGE:CXX>,$<BOOL:${AUGUR_WERROR}>>:-Werror>)
  # GCC 12 reports a false -Wrestrict inside libstdc++'s std::string code once it inlines
  # enough (GCC bug 105329): Release builds of several targets hit it. Off for GCC only.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-Wno-restrict>)
  endif()
endfunction()

# augur_library(NAME SRCS a.cc b.cc DEPS x y [PRIVATE_DEPS z])
function(augur_library name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SRCS})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  augur_target_options(${name})
endfunction()

# augur_binary(NAME SRCS main.cc DEPS lib)
function(augur_binary name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SRCS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
  augur_target_options(${name})
endfunction()

# augur_test(NAME SRCS x_test.cc DEPS lib [LABELS unit|integration|slow] [TIMEOUT s])
# Each gtest case becomes one ctest test carrying the labels (default: unit).
function(augur_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SRCS;DEPS;LABELS" ${ARGN})
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  add_executable(${name} ${ARG_SRCS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main GTest::gmock)
  augur_target_options(${name})
  gtest_discover_tests(${name}
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    DISCOVERY_TIMEOUT 120
    PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT ${ARG_TIMEOUT}
               ENVIRONMENT "AUGUR_SOURCE_DIR=${PROJECT_SOURCE_DIR};AUGUR_BUILD_DIR=${PROJECT_BINARY_DIR}")
endfunction()
