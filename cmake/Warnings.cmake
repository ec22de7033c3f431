add_library(pointsim_warnings INTERFACE)
target_compile_options(pointsim_warnings INTERFACE -Wall -Wextra -Wpedantic)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_UNITY_BUILD)
  # In a unity build GCC warns about every test fixture declared in an
  # anonymous namespace (TEST_F derives from it), because the fixture is no
  # longer in the file being compiled; the pattern is right, the warning is not.
  target_compile_options(pointsim_warnings INTERFACE -Wno-subobject-linkage)
endif()
add_library(pointsim::warnings ALIAS pointsim_warnings)

# Sanitizer and fuzzing builds (docs/reliability.md; .ci/sanitizers.sh, .ci/fuzz.sh).
# The flags go on every target, compile and link, third-party code we compile
# included; -fno-sanitize-recover=all makes any UBSan finding abort like ASan's.
set(POINTSIM_SANITIZER_FLAGS -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)

# -DPOINTSIM_SANITIZE=ON: AddressSanitizer (with LeakSanitizer) + UndefinedBehaviorSanitizer.
option(POINTSIM_SANITIZE "Build everything with -fsanitize=address,undefined" OFF)
if(POINTSIM_SANITIZE)
  add_compile_options(${POINTSIM_SANITIZER_FLAGS})
  add_link_options(${POINTSIM_SANITIZER_FLAGS})
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # GCC documents false -Wmaybe-uninitialized warnings under -fsanitize=address
    # (here: inside libstdc++'s <regex>); after -Wall so that it wins.
    target_compile_options(pointsim_warnings INTERFACE -Wno-maybe-uninitialized)
  endif()
endif()

# -DPOINTSIM_FUZZ=ON (clang only): the fuzz targets under tests/fuzz are
# libFuzzer executables. Everything is built with the same sanitizers; the
# parsers' libraries and the targets also get libFuzzer's coverage
# instrumentation (tests/fuzz/CMakeLists.txt). With the tests on as well, one
# build serves the sanitizer job and the fuzzing job (.ci/run).
option(POINTSIM_FUZZ "Build the libFuzzer targets in tests/fuzz (needs clang)" OFF)
if(POINTSIM_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "POINTSIM_FUZZ needs clang (-DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang), "
                        "not ${CMAKE_CXX_COMPILER_ID}")
  endif()
  if(NOT POINTSIM_SANITIZE)
    add_compile_options(${POINTSIM_SANITIZER_FLAGS})
    add_link_options(${POINTSIM_SANITIZER_FLAGS})
  endif()
endif()
