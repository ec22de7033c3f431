#pragma once
// Internal to pointsim_builder: runs work(block) for blocks 0..n-1 on up to
// `threads` threads. Results must be stored per block, so that they do not
// depend on which thread ran what. The exception of the lowest failing block
// is rethrown, so that errors are deterministic too.
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace pointsim::builder {

template <class Work>
void parallel_blocks(std::size_t n_blocks, unsigned threads, Work&& work) {
    std::atomic<std::size_t> next{0};
    std::mutex failure_mutex;
    std::size_t failed_block = n_blocks;
    std::exception_ptr failure;
    auto run = [&] {
        for (std::size_t b = next++; b < n_blocks; b = next++) {
            try {
                work(b);
            } catch (...) {
                std::lock_guard<std::mutex> lock(failure_mutex);
                if (b < failed_block) {
                    failed_block = b;
                    failure = std::current_exception();
                }
            }
        }
    };
    const unsigned n = static_cast<unsigned>(std::min<std::size_t>(std::max(1u, threads), n_blocks));
    if (n <= 1) {
        run();
    } else {
        std::vector<std::thread> pool;
        for (unsigned i = 0; i < n; ++i) pool.emplace_back(run);
        for (auto& t : pool) t.join();
    }
    if (failure) std::rethrow_exception(failure);
}

}  // namespace pointsim::builder
