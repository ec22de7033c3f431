# Every dependency is a Debian package (scripts/install-deps.sh installs them).
find_package(HDF5 REQUIRED COMPONENTS C CXX)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(Eigen3 3.3 REQUIRED NO_MODULE)
find_package(spdlog REQUIRED)
find_package(CLI11 REQUIRED)
find_package(MPI REQUIRED COMPONENTS CXX)
find_package(Threads REQUIRED)
# Threads inside each process (run.n_thread / --threads): GCC's libgomp; clang's libomp (libomp-14-dev).
find_package(OpenMP REQUIRED COMPONENTS CXX)
find_package(GSL REQUIRED)  # iaf_cond_* integrate with GSL's RKF45, as NEST does
find_package(ZLIB REQUIRED)  # CRC-32 of checkpoint and state files (src/app/state_file.cpp)

# HDF5's FindModule gives variables, not a target: wrap them once.
if(NOT TARGET pointsim_hdf5)
  add_library(pointsim_hdf5 INTERFACE)
  target_include_directories(pointsim_hdf5 SYSTEM INTERFACE ${HDF5_INCLUDE_DIRS})
  target_link_libraries(pointsim_hdf5 INTERFACE ${HDF5_CXX_LIBRARIES} ${HDF5_LIBRARIES})
  target_compile_definitions(pointsim_hdf5 INTERFACE ${HDF5_DEFINITIONS})
  add_library(pointsim::hdf5 ALIAS pointsim_hdf5)
endif()

# cairo draws `pointsim plot` figures (PNG, SVG, PDF); Debian ships it for pkg-config only.
find_package(PkgConfig REQUIRED)
pkg_check_modules(CAIRO REQUIRED IMPORTED_TARGET cairo)
# RE2 matches node-set "$regex" patterns in linear time (src/network/node_sets.cpp);
# Debian ships it for pkg-config only.
pkg_check_modules(RE2 REQUIRED IMPORTED_TARGET re2)
# muParser evaluates the formulas of `pointsim build` recipes (src/builder/formula.cpp);
# Debian ships it for pkg-config only.
pkg_check_modules(MUPARSER REQUIRED IMPORTED_TARGET muparser)
