add_library(pointsim_warnings INTERFACE)
target_compile_options(pointsim_warnings INTERFACE -Wall -Wextra -Wpedantic)
add_library(pointsim::warnings ALIAS pointsim_warnings)
