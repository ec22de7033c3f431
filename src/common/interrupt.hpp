#pragma once
// SIGINT / SIGTERM / SIGUSR1 during a run: the handler only sets a flag; the
// engine looks at it once per exchange interval and stops cleanly (all ranks
// in the same interval), so no output is written and earlier outputs
// survive; with checkpoints, a checkpoint is written there first.
namespace pointsim::interrupt {

void install_handlers();
// The signal received (SIGINT, SIGTERM, SIGUSR1), or 0.
int requested();

}  // namespace pointsim::interrupt
