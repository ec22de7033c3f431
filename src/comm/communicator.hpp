#pragma once
// The only door between processes. Everything that crosses ranks goes
// through this interface: LocalCommunicator for one process, and
// MpiCommunicator (mpi_communicator.cpp, the only file that includes <mpi.h>).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/time.hpp"

namespace pointsim::comm {

struct Spike {
    Step stamp;          // NEST time stamp: the step after the one in which it fired
    std::uint64_t gid;   // global node index
};

// An error as it travels between ranks: its kind (pointsim::ErrorKind as int)
// and message.
struct ErrorReport {
    int kind = 0;
    std::string message;
};

class Communicator {
public:
    virtual ~Communicator() = default;
    virtual int rank() const = 0;
    virtual int size() const = 0;
    // Every rank's spikes, concatenated in rank order (collective).
    virtual std::vector<Spike> all_gather(const std::vector<Spike>& local) = 0;
    // Element-wise sum over ranks (collective).
    virtual void all_reduce_sum(std::vector<std::uint64_t>& values) = 0;
    // Rank 0 receives every rank's vector, in rank order; others get {} (collective).
    virtual std::vector<std::vector<double>> gather(const std::vector<double>& local) = 0;
    virtual std::vector<std::vector<std::uint64_t>> gather(const std::vector<std::uint64_t>& local) = 0;
    // Collective: if any rank reports an error, every rank returns the report
    // of the lowest such rank, so all ranks stop with the same message.
    virtual std::optional<ErrorReport> agree(const std::optional<ErrorReport>& local) = 0;
};

class LocalCommunicator final : public Communicator {
public:
    int rank() const override { return 0; }
    int size() const override { return 1; }
    std::vector<Spike> all_gather(const std::vector<Spike>& local) override { return local; }
    void all_reduce_sum(std::vector<std::uint64_t>&) override {}
    std::vector<std::vector<double>> gather(const std::vector<double>& local) override { return {local}; }
    std::vector<std::vector<std::uint64_t>> gather(const std::vector<std::uint64_t>& local) override { return {local}; }
    std::optional<ErrorReport> agree(const std::optional<ErrorReport>& local) override { return local; }
};

// True when this process was started by mpirun/srun (OpenMPI, PMI or PMIx
// environment), so that a plain `pointsim run` never initialises MPI.
bool launched_by_mpi();

// Initialises MPI (once) and returns a communicator over MPI_COMM_WORLD.
// MPI is finalised when the returned object is destroyed.
std::unique_ptr<Communicator> make_mpi_communicator(int* argc, char*** argv);

// Ends every process of the job with `code` (after a fatal error that the
// other ranks cannot be told about collectively).
void abort_all(Communicator& comm, int code);

}  // namespace pointsim::comm
