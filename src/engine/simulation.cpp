#include "engine/simulation.hpp"

#include <algorithm>
#include <limits>
#include <chrono>
#include <csignal>
#include <sstream>
#include <cmath>
#include <utility>

#include "common/error.hpp"
#include "common/huge_pages.hpp"
#include "common/interrupt.hpp"
#include "common/logging.hpp"

namespace pointsim::engine {

namespace {
constexpr double kMsPerTic = 1.0 / 1000.0;  // NEST Range::MS_PER_TIC
constexpr double kStdpEps = 1.0e-6;          // NEST connection_manager stdp_eps
}  // namespace

Simulation::Simulation(network::Network& net, inputs::SpikeInputs virtual_spikes,
                       std::vector<inputs::CurrentClamp> clamps, const TimeGrid& grid, comm::Communicator& comm,
                       Step exchange_interval, int n_threads)
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
    assign_on_huge_pages(ring_, static_cast<std::size_t>(n_slots_) * static_cast<std::size_t>(n_channels_) * n_neurons_, 0.0);
    logging::get()->info("Input buffers: {} slots x {} channels x {} neurons ({:.1f} MB)", n_slots_, n_channels_,
                         n_neurons_, static_cast<double>(ring_.size()) * sizeof(double) / 1e6);
    group_of_flat_.resize(n_neurons_);
    index_of_flat_.resize(n_neurons_);
    for (std::size_t f = 0; f < n_neurons_; ++f) {
        const auto& loc = net_.location[net_.gid_of_flat[f]];
        group_of_flat_[f] = static_cast<std::size_t>(loc.group);
        index_of_flat_[f] = loc.index;
    }
    n_stdp_in_.assign(n_neurons_, 0);
    max_stdp_delay_ms_.assign(n_neurons_, 0.0);
    for (std::size_t k = 0; k < net_.plastic.size(); ++k)
        if (net_.plastic.kind[k] == network::SynapseKind::stdp) {
            const std::uint32_t target = net_.plastic.target[k];
            ++n_stdp_in_[target];
            max_stdp_delay_ms_[target] = std::max(
                max_stdp_delay_ms_[target], static_cast<double>(net_.plastic.delay[k] * grid_.tics_per_step) * kMsPerTic);
        }
    history_.resize(n_neurons_);
    Kminus_.assign(n_neurons_, 0.0);
    last_spike_.assign(n_neurons_, -1.0);  // NEST ArchivingNode: last_spike_ = -1

    blocks_.resize(net_.n_blocks());
    for (std::size_t k = 0; k < blocks_.size(); ++k) {
        Block& b = blocks_[k];
        b.flat_begin = net_.block_flat_begin[k];
        b.flat_end = net_.block_flat_begin[k + 1];
        b.group_begin = net_.block_group_begin[k];
        b.group_end = net_.block_group_begin[k + 1];
        b.channels.resize(static_cast<std::size_t>(n_channels_));
        b.clamp_amp.assign(clamps_.size(), 0.0);
    }
    n_threads_ = std::max(1, std::min(n_threads, static_cast<int>(blocks_.size())));

    clamps_of_.resize(n_neurons_);
    for (std::size_t k = 0; k < clamps_.size(); ++k) {
        for (const auto& ch : clamps_[k].changes) clamp_events_.push_back({ch.step, k, ch.amplitude});
        for (auto t : clamps_[k].targets) clamps_of_[t].push_back(k);
    }
    std::stable_sort(clamp_events_.begin(), clamp_events_.end(),
                     [](const ClampEvent& a, const ClampEvent& b) { return a.step < b.step; });
    current_.assign(n_neurons_, 0.0);
}

template <class Task>
void Simulation::for_each_block(Task&& task) {
    const auto n = static_cast<std::int64_t>(blocks_.size());
    // One block per iteration; exceptions must not leave the parallel region.
#pragma omp parallel for schedule(static, 1) num_threads(n_threads_) if (n_threads_ > 1)
    for (std::int64_t k = 0; k < n; ++k) {
        try {
            task(blocks_[static_cast<std::size_t>(k)]);
        } catch (...) {
            blocks_[static_cast<std::size_t>(k)].error = std::current_exception();
        }
    }
    for (auto& b : blocks_)
        if (b.error) std::rethrow_exception(std::exchange(b.error, nullptr));
}

void Simulation::archive_spike(std::uint32_t flat, Step stamp) {
    const double t = static_cast<double>(stamp * grid_.tics_per_step) * kMsPerTic;
    const double tau_minus_inv = 1.0 / net_.groups[group_of_flat_[flat]]->tau_minus(index_of_flat_[flat]);
    // Drop the oldest entry while every stdp synapse has read it and the
    // next one is older than any read can still reach (NEST 3.10
    // ArchivingNode::set_spiketime).
    History& h = history_[flat];
    const double min_delay_ms = static_cast<double>(exchange_interval_ * grid_.tics_per_step) * kMsPerTic;
    while (h.size() > 1 && h[0].access_counter >= n_stdp_in_[flat] &&
           t - h[1].t > max_stdp_delay_ms_[flat] + min_delay_ms + kStdpEps)
        ++h.first;
    if (h.first > 64 && h.first * 2 > h.entries.size()) {  // reclaim the dropped front now and then
        h.entries.erase(h.entries.begin(), h.entries.begin() + static_cast<std::ptrdiff_t>(h.first));
        h.first = 0;
    }
    Kminus_[flat] = Kminus_[flat] * std::exp((last_spike_[flat] - t) * tau_minus_inv) + 1.0;
    last_spike_[flat] = t;
    h.entries.push_back({t, Kminus_[flat], 0});
}

// K- just after the last postsynaptic spike strictly before t, decayed to t
// (NEST ArchivingNode::get_K_value).
double Simulation::k_minus(std::uint32_t flat, double t) const {
    const auto& h = history_[flat];
    const double tau_minus_inv = 1.0 / net_.groups[group_of_flat_[flat]]->tau_minus(index_of_flat_[flat]);
    for (auto i = h.size(); i-- > 0;)
        if (t - h[i].t > kStdpEps) return h[i].Kminus * std::exp((h[i].t - t) * tau_minus_inv);
    return 0.0;
}

// stdp_synapse::send: the weight is updated from the pre- and postsynaptic
// traces, then transmitted.
double Simulation::send_stdp(std::size_t k, double t_spike) {
    auto& p = net_.plastic;
    auto& state = p.stdp[p.slot[k]];
    const network::StdpParams& q = p.stdp_params[state.params];
    const std::uint32_t target = p.target[k];
    const double dendritic_delay = static_cast<double>(p.delay[k] * grid_.tics_per_step) * kMsPerTic;
    double w = p.weight[k];
    auto facilitate = [&](double weight, double kplus) {
        const double norm_w = (weight / q.Wmax) + (q.lambda * std::pow(1.0 - (weight / q.Wmax), q.mu_plus) * kplus);
        return norm_w < 1.0 ? norm_w * q.Wmax : q.Wmax;
    };
    auto depress = [&](double weight, double kminus) {
        const double norm_w = (weight / q.Wmax) - (q.alpha * q.lambda * std::pow(weight / q.Wmax, q.mu_minus) * kminus);
        return norm_w > 0.0 ? norm_w * q.Wmax : 0.0;
    };
    // Facilitation by the postsynaptic spikes in [t_last - d, t_spike - d) (NEST get_history, with eps).
    const double t1_lim = p.t_last[k] - dendritic_delay + kStdpEps;
    const double t2_lim = t_spike - dendritic_delay + kStdpEps;
    History& history = history_[target];
    for (std::size_t i = 0; i < history.size(); ++i) {
        HistoryEntry& entry = history[i];
        if (entry.t < t1_lim || entry.t >= t2_lim) continue;
        ++entry.access_counter;  // NEST get_history
        const double minus_dt = p.t_last[k] - (entry.t + dendritic_delay);
        w = facilitate(w, state.Kplus * std::exp(minus_dt / q.tau_plus));
    }
    w = depress(w, k_minus(target, t_spike - dendritic_delay));
    p.weight[k] = w;
    state.Kplus = state.Kplus * std::exp((p.t_last[k] - t_spike) / q.tau_plus) + 1.0;
    return w;
}

// tsodyks2_synapse::send (NEST 3.10): x and u recover over the interval
// since the previous spike and are depleted / facilitated by it, then x u w
// is transmitted. The first spike through the synapse leaves them as they
// are (NEST marks it by t_lastspike_ = -1).
double Simulation::send_tsodyks2(std::size_t k, double t_spike) {
    auto& p = net_.plastic;
    auto& s = p.tsodyks2[p.slot[k]];
    const network::Tsodyks2Params& q = p.tsodyks2_params[s.params];
    if (p.t_last[k] >= 0.0) {
        const double h = t_spike - p.t_last[k];
        const double x_decay = std::exp(-h / q.tau_rec);
        const double u_decay = (q.tau_fac < 1.0e-10) ? 0.0 : std::exp(-h / q.tau_fac);
        s.x = 1. + (s.x - s.x * s.u - 1.) * x_decay;
        s.u = q.U + s.u * (1. - q.U) * u_decay;
    }
    return s.x * s.u * p.weight[k];
}

// tsodyks_synapse::send: u, x and y are propagated exactly from the last
// spike (t_last starts at 0) to this one, u jumps, and the released
// fraction u x moves from x to y and is transmitted, times w. NEST writes
// the recovery propagator with expm1.
double Simulation::send_tsodyks(std::size_t k, double t_spike) {
    auto& p = net_.plastic;
    auto& s = p.tsodyks[p.slot[k]];
    const network::TsodyksParams& q = p.tsodyks_params[s.params];
    const double h = t_spike - p.t_last[k];
    const double Puu = (q.tau_fac == 0.0) ? 0.0 : std::exp(-h / q.tau_fac);
    const double Pyy = std::exp(-h / q.tau_psc);
    const double Pzz = std::expm1(-h / q.tau_rec);
    const double Pxy = (Pzz * q.tau_rec - (Pyy - 1.0) * q.tau_psc) / (q.tau_psc - q.tau_rec);
    const double z = 1.0 - s.x - s.y;
    // The order matters (as in NEST): u, x, y, then the jumps.
    s.u *= Puu;
    s.x += Pxy * s.y - Pzz * z;
    s.y *= Pyy;
    s.u += q.U * (1.0 - s.u);
    const double delta_y = s.u * s.x;
    s.x -= delta_y;
    s.y += delta_y;
    return delta_y * p.weight[k];
}

void Simulation::deliver_plastic(Block& b, const comm::Spike& spike) {
    auto& p = net_.plastic;
    const double t_spike = static_cast<double>(spike.stamp * grid_.tics_per_step) * kMsPerTic;
    for (auto k = p.row_begin[spike.gid]; k < p.row_begin[spike.gid + 1]; ++k) {
        const std::uint32_t target = p.target[k];
        if (target < b.flat_begin || target >= b.flat_end) continue;  // another block's
        ++b.events;
        double w = 0.0;
        switch (p.kind[k]) {
            case network::SynapseKind::stdp: w = send_stdp(k, t_spike); break;
            case network::SynapseKind::tsodyks2: w = send_tsodyks2(k, t_spike); break;
            case network::SynapseKind::tsodyks: w = send_tsodyks(k, t_spike); break;
        }
        p.t_last[k] = t_spike;
        const auto& group = *net_.groups[group_of_flat_[target]];
        const int channel = group.channel_for(w, p.receptor[k], index_of_flat_[target]);
        slot(spike.stamp + p.delay[k] - 1, channel)[target] += w;
        if (p.recorder[k] >= 0)
            b.weight_events.push_back({spike.gid, net_.gid_of_flat[target], spike.stamp * grid_.tics_per_step, w,
                                       p.receptor[k], p.recorder[k], p.order_key[k]});
    }
}

// Every spike's static synapses, one arrival step at a time: the words of
// all spikes that arrive at step a go into one ring slot (2 channels x the
// block's neurons), small enough to stay in the core's cache, where writing
// spike after spike would spread over every slot of the ring. Into each
// (slot, target) the weights are still added in the order of the spikes,
// then of each row, as in deliver(): the sums are the same to the bit.
template <class Word>
bool Simulation::deliver_by_arrival(Block& b, const std::vector<comm::Spike>& spikes, const Word* synapse) {
    // Rows are prefetched 32 spikes ahead: at N = 20,000 and 100,000 8, 16
    // or 64 were as fast or slower (the lines: below).
    constexpr std::size_t kPrefetchAhead = 32, kWordsPerLine = 64 / sizeof(Word);
    const auto& c = net_.connectivity;
    const std::uint64_t* row_begin = c.rows_of_block(static_cast<std::size_t>(&b - blocks_.data()));
    const unsigned delay_shift = c.delay_shift;
    auto& pending = b.pending;
    pending.clear();
    std::uint64_t events = 0;
    Step first_stamp = std::numeric_limits<Step>::max(), last_stamp = std::numeric_limits<Step>::min();
    for (const auto& s : spikes) {
        const std::uint64_t begin = row_begin[s.gid], end = row_begin[s.gid + 1];
        events += end - begin;
        if (begin == end) continue;
        pending.push_back({begin, end, s.stamp});
        first_stamp = std::min(first_stamp, s.stamp);
        last_stamp = std::max(last_stamp, s.stamp);
    }
    if (pending.empty()) return true;  // (no words: events is 0)
    // Every arrival step visits every spike: with delays spread far wider
    // than the synapses per spike (long delays, sparse rows) the visits
    // would outnumber the deliveries, and spike by spike is cheaper.
    const auto arrivals = static_cast<std::uint64_t>(last_stamp - first_stamp + c.max_delay - c.min_delay + 1);
    if (arrivals * pending.size() > events) return false;
    b.events += events;
    // A spike's next piece is prefetched 32 spikes ahead, as many lines as a
    // piece about spans plus one, 2 or 3: at N = 20,000 (48 words a piece) 3
    // lines were as fast as 2, 4, 6 or 8; at N = 100,000 (10 words) 2 lines
    // took 0.92x the time of 3 in the bursts (median of 9 rounds), 1 longer.
    const std::size_t piece_bytes =
        events / (pending.size() * static_cast<std::uint64_t>(c.max_delay - c.min_delay + 1)) * sizeof(Word);
    const std::size_t prefetch_lines = std::clamp<std::size_t>(1 + (piece_bytes + 63) / 64, 2, 3);
    const std::size_t channel_stride = n_neurons_;
    const std::size_t slot_size = static_cast<std::size_t>(n_channels_) * n_neurons_;
    const double* kind_weight = c.kind_weight.data();
    const std::uint8_t* kind_channel = c.kind_channel.data();
    const auto kind_mask = static_cast<Word>(c.kind_mask), target_mask = static_cast<Word>(c.target_mask);
    const unsigned target_shift = c.target_shift;
    constexpr std::size_t kDoublesPerLine = 64 / sizeof(double);
    const std::size_t channel_lines = (b.flat_end - b.flat_begin) / kDoublesPerLine;  // (a partial last line left out)
    const std::size_t block_lines = static_cast<std::size_t>(n_channels_) * channel_lines;
    // Only while the block's parts of two slots about fit the core's cache,
    // as network::thread_blocks sizes blocks by default (kMaxBlockSlotBytes):
    // at N = 100,000 with 4 blocks of 400 KB parts it took 1.05-1.2x as long.
    // And only when a step writes at least about one word per two lines of
    // the part on average: in the quiet phases of the N = 100,000 circuit
    // (a few hundred words a step) every line was fetched for nothing.
    const bool prefetch_next_slot =
        block_lines * 64 <= network::kMaxBlockSlotBytes && 2 * events >= arrivals * block_lines;
    // Arrival step a = stamp + delay - 1 (the step whose update reads it).
    for (Step a = first_stamp + c.min_delay - 1; a <= last_stamp + c.max_delay - 1; ++a) {
        double* base = ring_.data() + static_cast<std::size_t>(a % n_slots_) * slot_size;
        // The writes of step a fall anywhere in the block's part of slot a
        // (each channel's [flat_begin, flat_end)); bring in its part of slot
        // a + 1 line by line meanwhile, spread over the spikes, so that the
        // next step's writes find their lines in cache.
        // The line to prefetch walks each channel's part in turn, by additions:
        // a division and a modulo per line took 4% of the simulate phase at
        // N = 20,000 (docs/performance.md).
        const double* next_line_at = ring_.data() + static_cast<std::size_t>((a + 1) % n_slots_) * slot_size + b.flat_begin;
        std::size_t next_line = prefetch_next_slot ? 0 : block_lines;  // (off: starts past the last line)
        std::size_t line_in_channel = 0;
        const std::size_t n_pending = pending.size();
        std::size_t kept = 0;  // spikes with words still to come move down to [0, kept), in order
        for (std::size_t i = 0; i < n_pending; ++i) {
            for (const std::size_t until = (i + 1) * block_lines / n_pending; next_line < until; ++next_line) {
                __builtin_prefetch(next_line_at, 1);
                next_line_at += kDoublesPerLine;
                if (++line_in_channel == channel_lines) {  // on to the next channel's part
                    line_in_channel = 0;
                    next_line_at += channel_stride - channel_lines * kDoublesPerLine;
                }
            }
            // The rows are read a piece per arrival step, too little for the
            // hardware to prefetch: ask for a later spike's next piece now.
            if (i + kPrefetchAhead < n_pending)
                for (std::size_t line = 0; line < prefetch_lines; ++line)  // (a prefetch never faults)
                    __builtin_prefetch(synapse + pending[i + kPrefetchAhead].next + kWordsPerLine * line);
            auto p = pending[i];
            const Step delay = a - p.stamp + 1;
            if (delay >= 1) {  // (else a later spike: its first arrival is still to come)
                // Rows are sorted by delay, and smaller delays arrived at earlier steps.
                std::uint64_t k = p.next;
                for (; k < p.end && static_cast<Step>(synapse[k] >> delay_shift) == delay; ++k) {
                    const Word w = synapse[k];
                    const Word kind = w & kind_mask;
                    base[kind_channel[kind] * channel_stride + ((w >> target_shift) & target_mask)] += kind_weight[kind];
                }
                p.next = k;
            }
            // A spike whose row is done leaves the list: later steps neither
            // visit it nor prefetch past its row's end.
            if (p.next < p.end) pending[kept++] = p;
        }
        pending.resize(kept);
        if (pending.empty()) break;  // every row done
    }
    return true;
}

void Simulation::deliver(Block& b, const std::vector<comm::Spike>& spikes) {
    // Static synapses only: by arrival step, unless that costs more. With
    // synapses with state, a spike's plastic and static weights go in
    // together, spike after spike (the order of the sums).
    auto deliver_words = [&](const auto* words) {
        if (!net_.plastic.empty() || !deliver_by_arrival(b, spikes, words)) deliver_spike_by_spike(b, spikes, words);
    };
    const auto& c = net_.connectivity;
    if (c.narrow) deliver_words(c.narrow_words.data());
    else deliver_words(c.wide_words.data());
}

template <class Word>
void Simulation::deliver_spike_by_spike(Block& b, const std::vector<comm::Spike>& spikes, const Word* synapse) {
    const auto& c = net_.connectivity;
    const std::uint64_t* row_begin = c.rows_of_block(static_cast<std::size_t>(&b - blocks_.data()));
    const unsigned delay_shift = c.delay_shift;
    const std::size_t channel_stride = n_neurons_;
    const bool plastic = !net_.plastic.empty();
    // Spikes come sorted by stamp: the slot of each delay is looked up in a
    // table made once per stamp, without a modulo per delay run.
    std::vector<double*>& slot_of_delay = b.slot_of_delay;
    slot_of_delay.resize(static_cast<std::size_t>(n_slots_) + 1);
    Step table_stamp = -1;
    for (const auto& s : spikes) {
        b.events += row_begin[s.gid + 1] - row_begin[s.gid];
        if (plastic) deliver_plastic(b, s);
        if (row_begin[s.gid] == row_begin[s.gid + 1]) continue;
        if (s.stamp != table_stamp) {
            table_stamp = s.stamp;
            auto ring_slot = static_cast<std::size_t>(s.stamp % n_slots_);  // slot of delay 1
            const std::size_t slot_size = static_cast<std::size_t>(n_channels_) * n_neurons_;
            for (std::size_t d = 1; d <= static_cast<std::size_t>(n_slots_); ++d) {
                slot_of_delay[d] = ring_.data() + ring_slot * slot_size;
                if (++ring_slot == static_cast<std::size_t>(n_slots_)) ring_slot = 0;
            }
        }
        // Words are sorted by delay: fetch the slot once per delay run.
        Step current_delay = -1;
        double* base = nullptr;
        for (auto k = row_begin[s.gid]; k < row_begin[s.gid + 1]; ++k) {
            const Word w = synapse[k];
            const auto d = static_cast<Step>(w >> delay_shift);
            if (d != current_delay) {
                current_delay = d;
                base = slot_of_delay[static_cast<std::size_t>(d)];
            }
            const auto kind = static_cast<std::size_t>(w & c.kind_mask);
            base[c.kind_channel[kind] * channel_stride + ((w >> c.target_shift) & c.target_mask)] += c.kind_weight[kind];
        }
    }
}

namespace {

// The first step after which `r` samples: the first multiple of its interval after start.
Step first_sample_step(const Recorder& r) { return (r.start / r.interval + 1) * r.interval; }

}  // namespace

void Simulation::apply_clamps(Block& b, Step n) {
    for (; b.next_clamp_event < clamp_events_.size() && clamp_events_[b.next_clamp_event].step <= n; ++b.next_clamp_event) {
        const auto& e = clamp_events_[b.next_clamp_event];
        b.clamp_amp[e.clamp] = e.amplitude;
        for (auto t : clamps_[e.clamp].targets) {
            if (t < b.flat_begin || t >= b.flat_end) continue;
            double sum = 0.0;
            for (auto k : clamps_of_[t]) sum += b.clamp_amp[k];
            current_[t] = sum;
        }
    }
}

void Simulation::advance(Block& b, Step t0, Step t1, std::vector<Recorder>& recorders) {
    b.local.clear();
    for (Step n = t0; n < t1; ++n) {
        apply_clamps(b, n);
        for (std::size_t g = b.group_begin; g < b.group_end; ++g) {
            const std::uint32_t offset = net_.group_offset[g];
            for (int c = 0; c < n_channels_; ++c) b.channels[static_cast<std::size_t>(c)] = slot(n, c) + offset;
            b.fired.clear();
            net_.groups[g]->update(b.channels.data(), current_.data() + offset, b.fired);
            for (auto i : b.fired) {
                b.local.push_back({n + 1, net_.gid_of_flat[offset + i]});
                if (n_stdp_in_[offset + i]) archive_spike(offset + i, n + 1);
            }
        }
        for (int c = 0; c < n_channels_; ++c) std::fill(slot(n, c) + b.flat_begin, slot(n, c) + b.flat_end, 0.0);
        // Samples after step n, at t = n + 1 (NEST multimeter rules): the
        // sample's row follows from t, so blocks fill their columns independently.
        const Step t = n + 1;
        for (std::size_t k = 0; k < recorders.size(); ++k) {
            Recorder& r = recorders[k];
            if (t % r.interval != 0 || t <= r.start || t > r.stop) continue;
            const auto sample = static_cast<std::size_t>((t - first_sample_step(r)) / r.interval);
            double* row = r.data.data() + (sample - r.first_row) * r.flat.size();
            for (const std::size_t j : b.recorder_columns[k]) {
                const auto f = r.flat[j];
                row[j] = net_.groups[group_of_flat_[f]]->get(r.recordable[j], index_of_flat_[f]);
            }
        }
    }
}

Result Simulation::run(std::vector<Recorder>& recorders, const Progress& progress, const SpikeSink& sink,
                       const RowSink& row_sink, const Boundary& boundary) {
    using clock = std::chrono::steady_clock;
    const auto started = clock::now();
    Result result;
    const Step n_steps = grid_.n_steps;
    const Step min_delay = exchange_interval_;

    // Samples of recorder r taken by the end of step `until` (sample steps are first, first + interval, ...).
    auto samples_by = [n_steps](const Recorder& r, Step until) -> std::size_t {
        const Step first = first_sample_step(r);
        const Step last = std::min({r.stop, n_steps, until});
        return first > last ? 0 : static_cast<std::size_t>((last - first) / r.interval + 1);
    };
    for (auto& r : recorders) {
        r.n_samples = samples_by(r, n_steps);
        if (recorders_restored_) continue;  // rows [0, first_row) handed over, data holds the rest
        r.first_row = 0;
        r.data.assign(row_sink ? 0 : r.n_samples * r.flat.size(), 0.0);
    }
    // From a saved state: clamps as they stand at its step, and the input
    // spikes emitted before it (already in the input buffers) skipped.
    if (start_step_ > 0) {
        for (auto& b : blocks_) apply_clamps(b, start_step_ - 1);
        virtual_due_.clear();
        virtual_spikes_.take_until(start_step_, virtual_due_);
    }
    for (auto& b : blocks_) {
        b.recorder_columns.assign(recorders.size(), {});
        for (std::size_t k = 0; k < recorders.size(); ++k)
            for (std::size_t j = 0; j < recorders[k].flat.size(); ++j)
                if (recorders[k].flat[j] >= b.flat_begin && recorders[k].flat[j] < b.flat_end)
                    b.recorder_columns[k].push_back(j);
    }

    std::vector<comm::Spike> local, exchange;
    done_ = start_step_;
    for (Step t0 = start_step_; t0 < n_steps; t0 += min_delay) {
        const Step t1 = std::min(n_steps, t0 + min_delay);
        if (row_sink)  // room for the rows of this interval's samples
            for (auto& r : recorders) r.data.resize((samples_by(r, t1) - r.first_row) * r.flat.size(), 0.0);
        for_each_block([&](Block& b) { advance(b, t0, t1, recorders); });
        if (row_sink)
            for (std::size_t k = 0; k < recorders.size(); ++k) {
                Recorder& r = recorders[k];
                const std::size_t rows = samples_by(r, t1) - r.first_row;
                if (rows == 0 || (rows < std::max<std::size_t>(r.flush_rows, 1) && t1 < n_steps)) continue;
                row_sink(k, r, rows);
                r.first_row += rows;
                r.data.clear();
            }
        local.clear();
        for (const auto& b : blocks_) local.insert(local.end(), b.local.begin(), b.local.end());
        // A stop request travels with the spikes (stamp -1), so every rank
        // stops after the same interval and none waits for the others.
        if (const int sig = interrupt::requested()) local.push_back({-1, static_cast<std::uint64_t>(sig)});
        exchange = comm_.all_gather(local);
        int signal = 0;  // the lowest rank's, as every rank sees the same exchange
        for (const auto& s : exchange)
            if (s.stamp == -1 && !signal) signal = static_cast<int>(s.gid);
        if (signal) {
            exchange.erase(std::remove_if(exchange.begin(), exchange.end(), [](const comm::Spike& s) { return s.stamp == -1; }),
                           exchange.end());
            if (!boundary) {
                std::ostringstream msg;
                msg << "interrupted by " << (signal == SIGTERM ? "SIGTERM" : signal == SIGUSR1 ? "SIGUSR1" : "SIGINT")
                    << " at t = " << grid_.step_to_ms(t1) << " ms of " << grid_.step_to_ms(n_steps)
                    << " ms; no output was written, earlier outputs are untouched";
                throw Error(ErrorKind::Interrupted, msg.str());
            }
        }
        std::sort(exchange.begin(), exchange.end(), [](const comm::Spike& a, const comm::Spike& b) {
            return a.stamp != b.stamp ? a.stamp < b.stamp : a.gid < b.gid;
        });
        n_spikes_ += exchange.size();
        if (sink)
            sink(exchange);
        else
            result.spikes.insert(result.spikes.end(), exchange.begin(), exchange.end());
        // Virtual spikes emitted in this interval (stamp - 1 in [t0, t1)).
        virtual_due_.clear();
        virtual_spikes_.take_until(t1, virtual_due_);
        for (const auto& v : virtual_due_) exchange.push_back({v.stamp, v.gid});
        std::sort(exchange.begin(), exchange.end(), [](const comm::Spike& a, const comm::Spike& b) {
            return a.stamp != b.stamp ? a.stamp < b.stamp : a.gid < b.gid;
        });
        for_each_block([&](Block& b) { deliver(b, exchange); });
        done_ = t1;
        if (progress) progress(t1, n_steps);
        if (boundary && boundary(t1, signal)) {
            result.stopped_at = t1;
            break;
        }
    }
    result.n_spikes = n_spikes_;
    for (auto& b : blocks_) {
        result.synaptic_events += std::exchange(b.events, 0);
        result.weight_events.insert(result.weight_events.end(), b.weight_events.begin(), b.weight_events.end());
        b.weight_events.clear();
    }
    for (const auto& h : history_) result.stdp_history_entries += h.size();
    result.simulate_seconds = std::chrono::duration<double>(clock::now() - started).count();
    return result;
}

namespace {
constexpr std::uint32_t kStateVersion = 1;
}  // namespace

void Simulation::save_state(StateWriter& out, const std::vector<Recorder>& recorders) const {
    out.section("engine");
    out.put(kStateVersion);
    out.put<std::uint64_t>(blocks_.size());
    out.put(done_);
    out.put(n_spikes_);
    out.section("neurons");
    out.put<std::uint64_t>(net_.groups.size());
    for (const auto& g : net_.groups) {
        models::StateFields f;
        g->state_fields(f);
        out.put_string(g->model());
        out.put<std::uint64_t>(f.fields.size());
        for (const auto& field : f.fields) {
            out.put_string(field.name);
            out.put_span(field.data, field.bytes);
        }
    }
    out.section("input buffers");
    out.put_vector(ring_);
    out.section("synapses with state");
    const auto& p = net_.plastic;
    out.put_vector(p.weight);
    out.put_vector(p.t_last);
    out.put_vector(p.stdp);
    out.put_vector(p.tsodyks2);
    out.put_vector(p.tsodyks);
    out.section("stdp histories");
    out.put_vector(Kminus_);
    out.put_vector(last_spike_);
    for (const auto& h : history_) {
        out.put<std::uint64_t>(h.size());
        for (std::size_t i = 0; i < h.size(); ++i) out.put(h[i]);
    }
    out.section("blocks");
    for (const auto& b : blocks_) {
        out.put(b.events);
        out.put_vector(b.weight_events);
    }
    out.section("recorders");
    out.put<std::uint64_t>(recorders.size());
    for (const auto& r : recorders) {
        out.put<std::uint64_t>(r.first_row);
        out.put_vector(r.data);
    }
}

void Simulation::restore_state(StateReader& in, std::vector<Recorder>& recorders, bool with_recorders) {
    in.section("engine");
    if (const auto version = in.get<std::uint32_t>(); version != kStateVersion)
        throw in.mismatch("state format " + std::to_string(version) + ", this pointsim reads " + std::to_string(kStateVersion));
    if (const auto blocks = in.get<std::uint64_t>(); blocks != blocks_.size())
        throw in.mismatch(std::to_string(blocks) + " thread blocks there, " + std::to_string(blocks_.size()) +
                          " here (resume with the same number of processes and threads)");
    const auto step = in.get<Step>();
    const auto n_spikes = in.get<std::uint64_t>();
    in.section("neurons");
    if (const auto n = in.get<std::uint64_t>(); n != net_.groups.size())
        throw in.mismatch(std::to_string(n) + " neuron groups there, " + std::to_string(net_.groups.size()) + " here");
    for (std::size_t g = 0; g < net_.groups.size(); ++g) {
        models::StateFields f;
        net_.groups[g]->state_fields(f);
        const std::string model = in.get_string();
        if (model != net_.groups[g]->model())
            throw in.mismatch("neuron group " + std::to_string(g) + " is " + model + " there, " + net_.groups[g]->model() + " here");
        if (const auto n = in.get<std::uint64_t>(); n != f.fields.size())
            throw in.mismatch(model + " group " + std::to_string(g) + " has " + std::to_string(n) + " state arrays there, " +
                              std::to_string(f.fields.size()) + " here");
        for (const auto& field : f.fields) {
            const std::string name = in.get_string();
            if (name != field.name) throw in.mismatch(model + " state '" + name + "' there, '" + field.name + "' here");
            in.get_span(field.data, field.bytes, model + " group " + std::to_string(g) + " '" + field.name + "'");
        }
    }
    in.section("input buffers");
    in.get_same_size(ring_, "the input buffers");
    in.section("synapses with state");
    auto& p = net_.plastic;
    in.get_same_size(p.weight, "the weights");
    in.get_same_size(p.t_last, "the last spike times");
    in.get_same_size(p.stdp, "the stdp_synapse states");
    in.get_same_size(p.tsodyks2, "the tsodyks2_synapse states");
    in.get_same_size(p.tsodyks, "the tsodyks_synapse states");
    in.section("stdp histories");
    in.get_same_size(Kminus_, "the K- traces");
    in.get_same_size(last_spike_, "the last postsynaptic spikes");
    for (auto& h : history_) {
        h.entries.resize(in.get<std::uint64_t>());
        h.first = 0;
        for (auto& e : h.entries) e = in.get<HistoryEntry>();
    }
    in.section("blocks");
    for (auto& b : blocks_) {
        b.events = in.get<std::uint64_t>();
        in.get_vector(b.weight_events);
    }
    in.section("recorders");
    const auto n_recorders = in.get<std::uint64_t>();
    if (with_recorders) {
        if (n_recorders != recorders.size())
            throw in.mismatch(std::to_string(n_recorders) + " reports there, " + std::to_string(recorders.size()) + " here");
        for (auto& r : recorders) {
            r.first_row = in.get<std::uint64_t>();
            in.get_vector(r.data);
        }
        n_spikes_ = n_spikes;
        recorders_restored_ = true;
    } else {
        for (std::uint64_t k = 0; k < n_recorders; ++k) {
            (void)in.get<std::uint64_t>();
            std::vector<double> skipped;
            in.get_vector(skipped);
        }
        // A new run from a saved state: its own counts start from zero.
        for (auto& b : blocks_) {
            b.events = 0;
            b.weight_events.clear();
        }
    }
    if (!in.at_end()) throw in.mismatch("bytes left after the last section");
    start_step_ = done_ = step;
}

}  // namespace pointsim::engine
