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
  cmake_parse_arguments(ARG "" "TIMEOUT;RESOURCE_LOCK" "SRCS;DEPS;LABELS" ${ARGN})
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  add_executable(${name} ${ARG_SRCS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main GTest::gmock)
  augur_target_options(${name})
  # RESOURCE_LOCK: tests (of any binary) that hold the same lock never run at the same time.
  set(lock)
  if(ARG_RESOURCE_LOCK)
    set(lock RESOURCE_LOCK ${ARG_RESOURCE_LOCK})
  endif()
  gtest_discover_tests(${name}
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    DISCOVERY_TIMEOUT 120
    PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT ${ARG_TIMEOUT} ${lock})
  # The environment is set by a ctest include file read after the discovered tests (they are
  # listed in ${name}_TESTS there): a list value given to gtest_discover_tests's PROPERTIES is
  # split into separate arguments, so that only its first entry was ever set.
  augur_test_tmpdir_of(${name} tmpdir)
  set(env "AUGUR_SOURCE_DIR=${PROJECT_SOURCE_DIR};AUGUR_BUILD_DIR=${PROJECT_BINARY_DIR}")
  string(APPEND env ";TMPDIR=${tmpdir};TEST_TMPDIR=${tmpdir}")
  set(include_file ${CMAKE_CURRENT_BINARY_DIR}/${name}_environment.cmake)
  file(WRITE ${include_file}
    "if(${name}_TESTS)\n"
    "  set_tests_properties(\${${name}_TESTS} PROPERTIES ENVIRONMENT \"${env}\"\n"
    "    FIXTURES_REQUIRED augur_test_tmpdir)\n"
    "endif()\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES ${include_file})
endfunction()

# Temporary files of the tests (docs/build.md): every test runs with TMPDIR and TEST_TMPDIR set
# to a folder of its own binary (or, for add_test tests, its name) under <build>/test-tmp/, which
# the fixture test test_tmpdir_setup empties first and test_tmpdir_leaks checks last
# (cmake/TestTmpdir.cmake): a test that leaves anything in $TMPDIR fails the suite.
set(AUGUR_TEST_TMPDIR_ROOT ${CMAKE_BINARY_DIR}/test-tmp)

# The temporary folder of `name`, in `out_var`; registered for test_tmpdir_setup to make.
function(augur_test_tmpdir_of name out_var)
  set_property(GLOBAL APPEND PROPERTY AUGUR_TEST_TMPDIRS ${name})
  set(${out_var} ${AUGUR_TEST_TMPDIR_ROOT}/${name} PARENT_SCOPE)
endfunction()

# augur_test_tmpdir(test...): the same for tests made by add_test in the calling folder.
function(augur_test_tmpdir)
  foreach(test IN LISTS ARGN)
    augur_test_tmpdir_of(${test} tmpdir)
    set_property(TEST ${test} APPEND PROPERTY ENVIRONMENT TMPDIR=${tmpdir} TEST_TMPDIR=${tmpdir})
    set_property(TEST ${test} APPEND PROPERTY FIXTURES_REQUIRED augur_test_tmpdir)
  endforeach()
endfunction()

# The two fixture tests around all the others; called once, after every folder's tests.
function(augur_add_test_tmpdir_check)
  get_property(dirs GLOBAL PROPERTY AUGUR_TEST_TMPDIRS)
  list(REMOVE_DUPLICATES dirs)
  string(REPLACE ";" "," dirs "${dirs}")
  set(script ${PROJECT_SOURCE_DIR}/cmake/TestTmpdir.cmake)
  add_test(NAME test_tmpdir_setup COMMAND ${CMAKE_COMMAND} -DROOT=${AUGUR_TEST_TMPDIR_ROOT}
    -DDIRS=${dirs} -DMODE=setup -P ${script})
  add_test(NAME test_tmpdir_leaks COMMAND ${CMAKE_COMMAND} -DROOT=${AUGUR_TEST_TMPDIR_ROOT}
    -DMODE=check -P ${script})
  set_tests_properties(test_tmpdir_setup PROPERTIES FIXTURES_SETUP augur_test_tmpdir
    TIMEOUT 120)
  set_tests_properties(test_tmpdir_leaks PROPERTIES FIXTURES_CLEANUP augur_test_tmpdir
    TIMEOUT 120)
endfunction()
