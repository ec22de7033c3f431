#include "engine/simulation.hpp"

#include <algorithm>
#include <chrono>

#include "common/logging.hpp"

namespace pointsim::engine {

namespace {

// Amplitude changes of all clamps in one list, by (step, clamp).
struct ClampEvent {
    Step step;
    std::size_t clamp;
    double amplitude;
};

}  // namespace

Simulation::Simulation(network::Network& net, std::vector<inputs::StampedSpike> virtual_spikes,
                       std::vector<inputs::CurrentClamp> clamps, const TimeGrid& grid, comm::Communicator& comm,
                       Step exchange_interval)
    : net_(net),
      virtual_spikes_(std::move(virtual_spikes)),
      clamps_(std::move(clamps)),
      grid_(grid),
      comm_(comm),
      exchange_interval_(std::max<Step>(1, exchange_interval)),
      n_neurons_(net.n_neurons()),
      n_channels_(1),
      n_slots_(net.connectivity.max_delay + 1) {
    for (const auto& g : net_.groups) n_channels_ = std::max(n_channels_, g->spike_channels());
    ring_.assign(static_cast<std::size_t>(n_slots_) * static_cast<std::size_t>(n_channels_) * n_neurons_, 0.0);
    logging::get()->info("Input buffers: {} slots x {} channels x {} neurons ({:.1f} MB)", n_slots_, n_channels_,
                         n_neurons_, static_cast<double>(ring_.size()) * sizeof(double) / 1e6);
}

std::uint64_t Simulation::deliver(const std::vector<comm::Spike>& spikes) {
    const auto& c = net_.connectivity;
    constexpr unsigned delay_shift = 64 - network::Connectivity::kDelayBits;
    const std::size_t channel_stride = n_neurons_;
    std::uint64_t events = 0;
    for (const auto& s : spikes) {
        events += c.row_begin[s.gid + 1] - c.row_begin[s.gid];
        // Words are sorted by delay: fetch the slot once per delay run.
        Step current_delay = -1;
        double* base = nullptr;
        for (auto k = c.row_begin[s.gid]; k < c.row_begin[s.gid + 1]; ++k) {
            const std::uint64_t w = c.synapse[k];
            const auto d = static_cast<Step>(w >> delay_shift);
            if (d != current_delay) {
                current_delay = d;
                base = slot(s.stamp + d - 1, 0);
            }
            const std::uint64_t kind = w & c.kind_mask;
            base[c.kind_channel[kind] * channel_stride + ((w >> c.target_shift) & c.target_mask)] += c.kind_weight[kind];
        }
    }
    return events;
}

Result Simulation::run(std::vector<Recorder>& recorders) {
    using clock = std::chrono::steady_clock;
    const auto started = clock::now();
    Result result;
    const Step n_steps = grid_.n_steps;
    const Step min_delay = exchange_interval_;

    // Current clamps: one amplitude per clamp; a neuron's input is the sum over
    // its clamps in clamp order, recomputed when one of them changes.
    std::vector<ClampEvent> clamp_events;
    std::vector<std::vector<std::size_t>> clamps_of(n_neurons_);
    for (std::size_t k = 0; k < clamps_.size(); ++k) {
        for (const auto& ch : clamps_[k].changes) clamp_events.push_back({ch.step, k, ch.amplitude});
        for (auto t : clamps_[k].targets) clamps_of[t].push_back(k);
    }
    std::stable_sort(clamp_events.begin(), clamp_events.end(),
                     [](const ClampEvent& a, const ClampEvent& b) { return a.step < b.step; });
    std::vector<double> clamp_amp(clamps_.size(), 0.0);
    std::vector<double> current(n_neurons_, 0.0);
    std::size_t next_clamp_event = 0;

    std::vector<std::size_t> group_of_flat(n_neurons_), index_of_flat(n_neurons_);
    for (std::size_t f = 0; f < n_neurons_; ++f) {
        const auto& loc = net_.location[net_.gid_of_flat[f]];
        group_of_flat[f] = static_cast<std::size_t>(loc.group);
        index_of_flat[f] = loc.index;
    }
    for (auto& r : recorders) {
        const Step first = (r.start / r.interval + 1) * r.interval;
        r.n_samples = first > std::min(r.stop, n_steps) ? 0 : static_cast<std::size_t>((std::min(r.stop, n_steps) - first) / r.interval + 1);
        r.data.assign(r.n_samples * r.flat.size(), 0.0);
        r.n_samples = 0;  // counts samples taken
    }

    std::size_t next_virtual = 0;
    std::vector<std::uint32_t> fired;
    std::vector<const double*> channels(static_cast<std::size_t>(n_channels_));
    std::vector<comm::Spike> local, exchange;
    for (Step t0 = 0; t0 < n_steps; t0 += min_delay) {
        const Step t1 = std::min(n_steps, t0 + min_delay);
        local.clear();
        for (Step n = t0; n < t1; ++n) {
            for (; next_clamp_event < clamp_events.size() && clamp_events[next_clamp_event].step <= n; ++next_clamp_event) {
                const auto& e = clamp_events[next_clamp_event];
                clamp_amp[e.clamp] = e.amplitude;
                for (auto t : clamps_[e.clamp].targets) {
                    double sum = 0.0;
                    for (auto k : clamps_of[t]) sum += clamp_amp[k];
                    current[t] = sum;
                }
            }
            for (std::size_t g = 0; g < net_.groups.size(); ++g) {
                const std::uint32_t offset = net_.group_offset[g];
                for (int c = 0; c < n_channels_; ++c) channels[static_cast<std::size_t>(c)] = slot(n, c) + offset;
                fired.clear();
                net_.groups[g]->update(channels.data(), current.data() + offset, fired);
                for (auto i : fired) local.push_back({n + 1, net_.gid_of_flat[offset + i]});
            }
            std::fill_n(slot(n, 0), static_cast<std::size_t>(n_channels_) * n_neurons_, 0.0);
            for (auto& r : recorders) {
                const Step t = n + 1;
                if (t % r.interval != 0 || t <= r.start || t > r.stop) continue;
                double* row = r.data.data() + r.n_samples * r.flat.size();
                for (std::size_t j = 0; j < r.flat.size(); ++j) {
                    const auto f = r.flat[j];
                    row[j] = net_.groups[group_of_flat[f]]->get(r.recordable[j], index_of_flat[f]);
                }
                ++r.n_samples;
            }
        }
        exchange = comm_.all_gather(local);
        std::sort(exchange.begin(), exchange.end(), [](const comm::Spike& a, const comm::Spike& b) {
            return a.stamp != b.stamp ? a.stamp < b.stamp : a.gid < b.gid;
        });
        result.spikes.insert(result.spikes.end(), exchange.begin(), exchange.end());
        // Virtual spikes emitted in this interval (stamp - 1 in [t0, t1)).
        const std::size_t first_virtual = next_virtual;
        while (next_virtual < virtual_spikes_.size() && virtual_spikes_[next_virtual].stamp <= t1) ++next_virtual;
        for (std::size_t k = first_virtual; k < next_virtual; ++k)
            exchange.push_back({virtual_spikes_[k].stamp, virtual_spikes_[k].gid});
        std::sort(exchange.begin(), exchange.end(), [](const comm::Spike& a, const comm::Spike& b) {
            return a.stamp != b.stamp ? a.stamp < b.stamp : a.gid < b.gid;
        });
        result.synaptic_events += deliver(exchange);
    }
    result.simulate_seconds = std::chrono::duration<double>(clock::now() - started).count();
    return result;
}

}  // namespace pointsim::engine
