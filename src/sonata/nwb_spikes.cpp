// BMTK's NWB 1 spike-train files (bmtk/utils/reports/spike_trains/
// spike_train_readers.py, NWBSTReader): /processing/<trial>/spike_train/
// <node_id>/data, one group per node named by its node id (semantics.md 2.8).
#include <algorithm>
#include <utility>

#include "common/error.hpp"
#include "h5_util.hpp"
#include "sonata/sonata.hpp"

namespace pointsim::sonata {

namespace {

// BMTK looks a node up as spike_train[str(node_id)], so only canonical
// decimal names ("0", "17", not "017" or "+3") name a node.
std::optional<std::uint64_t> node_id_of(const std::string& name) {
    if (name.empty() || name.size() > 20) return std::nullopt;
    if (!std::all_of(name.begin(), name.end(), [](unsigned char c) { return c >= '0' && c <= '9'; })) return std::nullopt;
    if (name.size() > 1 && name[0] == '0') return std::nullopt;
    std::uint64_t v = 0;
    for (char c : name) {
        const std::uint64_t d = static_cast<std::uint64_t>(c - '0');
        if (v > (UINT64_MAX - d) / 10) return std::nullopt;
        v = v * 10 + d;
    }
    return v;
}

std::string join(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "'" : ", '") + n + "'";
    return out;
}

}  // namespace

SpikesByPopulation read_spikes_nwb(const fs::path& file, const std::string& trial, const std::string& population) {
    const h5::GroupRef root = h5::open_file(file);
    const auto processing = root.group("processing");
    if (!processing) h5::fail(file, "/processing", "required group is missing (not an NWB 1 spike file)");

    std::vector<std::string> trials;
    for (const std::string& name : processing->children())
        if (processing->kind(name) == h5::Kind::group) trials.push_back(name);
    std::string chosen = trial;
    if (chosen.empty()) {
        if (trials.empty()) h5::fail(file, "/processing", "holds no trial groups");
        if (trials.size() > 1)
            h5::fail(file, "/processing",
                     std::to_string(trials.size()) + " trials (" + join(trials) +
                         "): the input must name one with \"trial\"");
        chosen = trials.front();
    } else if (std::find(trials.begin(), trials.end(), chosen) == trials.end()) {
        h5::fail(file, processing->child_path(chosen),
                 "no such trial (the file has " + (trials.empty() ? std::string("none") : join(trials)) + ")");
    }

    const h5::GroupRef trial_group = *processing->group(chosen);
    const auto spike_train = trial_group.group("spike_train");
    if (!spike_train) h5::fail(file, trial_group.child_path("spike_train"), "required group is missing");

    // (node id, times) per node group, then in node-id order.
    std::vector<std::pair<std::uint64_t, std::vector<double>>> nodes;
    for (const std::string& name : spike_train->children()) {
        const std::string path = spike_train->child_path(name);
        const auto id = node_id_of(name);
        if (!id) h5::fail(file, path, "expected a group named by a node id (a non-negative decimal integer)");
        const auto node = spike_train->group(name);
        if (!node) h5::fail(file, path, "expected a group");  // a dangling link
        nodes.emplace_back(*id, node->require_dataset("data").read_double());
    }
    std::sort(nodes.begin(), nodes.end(), [](const auto& a, const auto& b) { return a.first < b.first; });

    SpikesByPopulation out;
    SpikeList& list = out[population];
    for (const auto& [id, times] : nodes) {
        list.node_ids.insert(list.node_ids.end(), times.size(), id);
        list.timestamps.insert(list.timestamps.end(), times.begin(), times.end());
    }
    return out;
}

}  // namespace pointsim::sonata
