#include "common/interrupt.hpp"

#include <csignal>

namespace pointsim::interrupt {

namespace {
volatile std::sig_atomic_t g_signal = 0;

extern "C" void on_signal(int sig) { g_signal = sig; }
}  // namespace

void install_handlers() {
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    std::signal(SIGUSR1, on_signal);  // Slurm's --signal=USR1@T before a time limit
}

int requested() { return static_cast<int>(g_signal); }

}  // namespace pointsim::interrupt
