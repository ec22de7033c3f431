#pragma once
// Internal to app/: one step of a run that every rank takes, with errors
// agreed between ranks.
#include <exception>
#include <optional>
#include <stdexcept>

#include "comm/communicator.hpp"
#include "common/error.hpp"

namespace pointsim::app {

// Runs f on every rank, then agrees on errors: if any rank failed, every
// rank throws the lowest failing rank's error (so a bad input found by one
// rank stops them all with the same message, and nobody hangs).
template <class F>
void phase(comm::Communicator& comm, F&& f) {
    if (comm.size() == 1) {  // nobody to tell: let the exception travel as it is
        f();
        return;
    }
    std::optional<comm::ErrorReport> local;
    try {
        f();
    } catch (const Error& e) {
        local = comm::ErrorReport{static_cast<int>(e.kind()), e.what()};
    } catch (const std::exception& e) {
        local = comm::ErrorReport{0, e.what()};
    }
    if (auto agreed = comm.agree(local)) {
        if (agreed->kind == 0) throw std::runtime_error(agreed->message);
        throw Error(static_cast<ErrorKind>(agreed->kind), agreed->message);
    }
}

}  // namespace pointsim::app
