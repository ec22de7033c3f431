#pragma once
// The only door between processes. The engine exchanges spikes through this
// interface; the single-process implementation is LocalCommunicator, and the
// MPI one (issue #3) is the only code that will include <mpi.h>.
#include <cstdint>
#include <vector>

#include "common/time.hpp"

namespace pointsim::comm {

struct Spike {
    Step stamp;          // NEST time stamp: the step after the one in which it fired
    std::uint64_t gid;   // global node index
};

class Communicator {
public:
    virtual ~Communicator() = default;
    virtual int rank() const = 0;
    virtual int size() const = 0;
    // Every rank's spikes of one min-delay interval, concatenated in rank order.
    virtual std::vector<Spike> all_gather(const std::vector<Spike>& local) = 0;
};

class LocalCommunicator final : public Communicator {
public:
    int rank() const override { return 0; }
    int size() const override { return 1; }
    std::vector<Spike> all_gather(const std::vector<Spike>& local) override { return local; }
};

}  // namespace pointsim::comm
