// The MPI implementation of Communicator: the only file that includes <mpi.h>.
#include <mpi.h>

#include <cstdlib>
#include <numeric>

#include "comm/communicator.hpp"

namespace pointsim::comm {

namespace {

class MpiCommunicator final : public Communicator {
public:
    MpiCommunicator(int* argc, char*** argv) {
        int initialised = 0;
        MPI_Initialized(&initialised);
        // Only the main thread calls MPI, outside the engine's parallel regions.
        int provided = 0;
        if (!initialised) MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
        MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
        MPI_Comm_size(MPI_COMM_WORLD, &size_);
    }
    ~MpiCommunicator() override {
        int finalised = 0;
        MPI_Finalized(&finalised);
        if (!finalised) MPI_Finalize();
    }

    int rank() const override { return rank_; }
    int size() const override { return size_; }

    std::vector<Spike> all_gather(const std::vector<Spike>& local) override {
        // Spikes travel as pairs of int64 (stamp, gid).
        std::vector<std::int64_t> send(local.size() * 2);
        for (std::size_t i = 0; i < local.size(); ++i) {
            send[2 * i] = local[i].stamp;
            send[2 * i + 1] = static_cast<std::int64_t>(local[i].gid);
        }
        int n = static_cast<int>(send.size());
        std::vector<int> counts(static_cast<std::size_t>(size_)), displs(static_cast<std::size_t>(size_));
        MPI_Allgather(&n, 1, MPI_INT, counts.data(), 1, MPI_INT, MPI_COMM_WORLD);
        std::exclusive_scan(counts.begin(), counts.end(), displs.begin(), 0);
        std::vector<std::int64_t> recv(static_cast<std::size_t>(displs.back() + counts.back()));
        MPI_Allgatherv(send.data(), n, MPI_INT64_T, recv.data(), counts.data(), displs.data(), MPI_INT64_T,
                       MPI_COMM_WORLD);
        std::vector<Spike> out(recv.size() / 2);
        for (std::size_t i = 0; i < out.size(); ++i)
            out[i] = {recv[2 * i], static_cast<std::uint64_t>(recv[2 * i + 1])};
        return out;
    }

    void all_reduce_sum(std::vector<std::uint64_t>& values) override {
        MPI_Allreduce(MPI_IN_PLACE, values.data(), static_cast<int>(values.size()), MPI_UINT64_T, MPI_SUM,
                      MPI_COMM_WORLD);
    }

    std::vector<std::vector<double>> gather(const std::vector<double>& local) override {
        return gather_impl(local, MPI_DOUBLE);
    }
    std::vector<std::vector<std::uint64_t>> gather(const std::vector<std::uint64_t>& local) override {
        return gather_impl(local, MPI_UINT64_T);
    }

    std::optional<ErrorReport> agree(const std::optional<ErrorReport>& local) override {
        int mine = local ? rank_ : size_, first = size_;
        MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
        if (first == size_) return std::nullopt;
        ErrorReport report = local && first == rank_ ? *local : ErrorReport{};
        int header[2] = {report.kind, static_cast<int>(report.message.size())};
        MPI_Bcast(header, 2, MPI_INT, first, MPI_COMM_WORLD);
        report.kind = header[0];
        report.message.resize(static_cast<std::size_t>(header[1]));
        MPI_Bcast(report.message.data(), header[1], MPI_CHAR, first, MPI_COMM_WORLD);
        return report;
    }

    void abort(int code) { MPI_Abort(MPI_COMM_WORLD, code); }

private:
    template <class T>
    std::vector<std::vector<T>> gather_impl(const std::vector<T>& local, MPI_Datatype type) {
        int n = static_cast<int>(local.size());
        std::vector<int> counts(static_cast<std::size_t>(size_)), displs(static_cast<std::size_t>(size_));
        MPI_Gather(&n, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
        std::vector<T> recv;
        if (rank_ == 0) {
            std::exclusive_scan(counts.begin(), counts.end(), displs.begin(), 0);
            recv.resize(static_cast<std::size_t>(displs.back() + counts.back()));
        }
        MPI_Gatherv(local.data(), n, type, recv.data(), counts.data(), displs.data(), type, 0, MPI_COMM_WORLD);
        std::vector<std::vector<T>> out;
        if (rank_ != 0) return out;
        for (int r = 0; r < size_; ++r)
            out.emplace_back(recv.begin() + displs[static_cast<std::size_t>(r)],
                             recv.begin() + displs[static_cast<std::size_t>(r)] + counts[static_cast<std::size_t>(r)]);
        return out;
    }

    int rank_ = 0, size_ = 1;
};

}  // namespace

bool launched_by_mpi() {
    for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "MPI_LOCALNRANKS"})
        if (std::getenv(var)) return true;
    return false;
}

std::unique_ptr<Communicator> make_mpi_communicator(int* argc, char*** argv) {
    return std::make_unique<MpiCommunicator>(argc, argv);
}

void abort_all(Communicator& comm, int code) {
    if (auto* mpi = dynamic_cast<MpiCommunicator*>(&comm)) mpi->abort(code);
    std::exit(code);
}

}  // namespace pointsim::comm
