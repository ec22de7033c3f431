#pragma once
// SIGINT / SIGTERM during a run: the handler only sets a flag; the engine
// looks at it once per exchange interval and stops cleanly (all ranks in the
// same interval), so no output is written and earlier outputs survive.
namespace pointsim::interrupt {

void install_handlers();
// The signal received (SIGINT, SIGTERM), or 0.
int requested();

}  // namespace pointsim::interrupt
