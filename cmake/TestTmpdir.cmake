# The tests' temporary folders under ctest (docs/build.md, "Temporary files of the tests").
# Every test runs with TMPDIR and TEST_TMPDIR set to <build>/test-tmp/<its binary or name>
# (augur_test_tmpdir in AugurHelpers.cmake); two ctest fixtures run this script around them:
#
#   cmake -DROOT=<build>/test-tmp -DDIRS=a,b,... -DMODE=setup -P TestTmpdir.cmake
#       (test_tmpdir_setup) empties ROOT, whatever a crashed or kept run left, and makes one
#       empty folder per name in DIRS.
#   cmake -DROOT=<build>/test-tmp -DMODE=check -P TestTmpdir.cmake
#       (test_tmpdir_leaks, after every other test) fails listing everything the tests left in
#       their folders, then removes it, so that a leaking test cannot fill the disk either.
#       With AUGUR_KEEP_TEST_DIRS=1 in ctest's environment the leftovers are listed as kept,
#       left in place for debugging, and the check passes.
#
# Not leaks: the default corpus that augur-train extracts once into $TMPDIR as a cache
# (augur-kjv-<uid>.txt, trainer/data.h) and the trainer tests' slices of it
# (augur_corpus_slice_<bytes>_<uid>, trainer/test_util.h): fixed names, reused, never more.
cmake_minimum_required(VERSION 3.25)

if(NOT ROOT)
  message(FATAL_ERROR "TestTmpdir.cmake: -DROOT=<folder> is required")
endif()

if(MODE STREQUAL "setup")
  file(REMOVE_RECURSE "${ROOT}")
  string(REPLACE "," ";" dirs "${DIRS}")
  foreach(dir IN LISTS dirs)
    file(MAKE_DIRECTORY "${ROOT}/${dir}")
  endforeach()
  list(LENGTH dirs n)
  message(STATUS "${n} empty test temp folders under ${ROOT}")
  return()
endif()

if(NOT MODE STREQUAL "check")
  message(FATAL_ERROR "TestTmpdir.cmake: MODE must be setup or check, not '${MODE}'")
endif()

set(caches "^augur-kjv-[0-9]+\\.txt$" "^augur_corpus_slice_[0-9]+_[0-9]+$")
set(leftovers "")
file(GLOB tests LIST_DIRECTORIES true "${ROOT}/*")
foreach(test IN LISTS tests)
  if(NOT IS_DIRECTORY "${test}")
    list(APPEND leftovers "${test}")  # Something made in the root itself.
    continue()
  endif()
  file(GLOB entries LIST_DIRECTORIES true "${test}/*")
  foreach(entry IN LISTS entries)
    get_filename_component(name "${entry}" NAME)
    set(cache FALSE)
    foreach(pattern IN LISTS caches)
      if(name MATCHES "${pattern}")
        set(cache TRUE)
      endif()
    endforeach()
    if(NOT cache)
      list(APPEND leftovers "${entry}")
    endif()
  endforeach()
endforeach()

list(LENGTH leftovers n)
if(n EQUAL 0)
  list(LENGTH tests folders)
  message(STATUS "no leftovers in the ${folders} test temp folders under ${ROOT}")
  return()
endif()

set(listing "")
foreach(entry IN LISTS leftovers)
  file(RELATIVE_PATH rel "${ROOT}" "${entry}")
  if(IS_DIRECTORY "${entry}")
    file(GLOB_RECURSE inside LIST_DIRECTORIES false "${entry}/*")
    list(LENGTH inside files)
    string(APPEND listing "  ${rel}/ (${files} files)\n")
  else()
    string(APPEND listing "  ${rel}\n")
  endif()
endforeach()

if(DEFINED ENV{AUGUR_KEEP_TEST_DIRS} AND NOT "$ENV{AUGUR_KEEP_TEST_DIRS}" STREQUAL ""
   AND NOT "$ENV{AUGUR_KEEP_TEST_DIRS}" STREQUAL "0")
  message(STATUS "AUGUR_KEEP_TEST_DIRS: kept ${n} test temp files and folders under ${ROOT}:\n"
                 "${listing}(the next ctest run empties ${ROOT})")
  return()
endif()

file(REMOVE_RECURSE ${leftovers})
message(FATAL_ERROR
  "${n} temporary files or folders were left by the tests (test binary/name first; removed "
  "now). A test must remove what it makes in $TMPDIR, also when it fails: use "
  "augur::testing::TempDir (common/test_temp_dir.h). Rerun with AUGUR_KEEP_TEST_DIRS=1 to keep "
  "them for a look.\n${listing}")
