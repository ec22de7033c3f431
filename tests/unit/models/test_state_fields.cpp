// NeuronGroup::state_fields of every model: a group whose listed arrays are
// copied into a fresh group of the same parameters continues bit for bit as
// the original does (what a checkpoint and a saved state rely on), and
// leaving one array out is noticed.
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/error.hpp"
#include "common/time.hpp"
#include "models/neuron_group.hpp"

namespace pointsim::models {
namespace state_fields_test {  // named: the unity build joins this file with the other model tests
namespace {

using Json = nlohmann::json;

const TimeGrid kStateGrid = TimeGrid::make(0.1, 100.0, "test");
constexpr std::size_t kNeurons = 5;
const std::vector<std::uint32_t> kSetOfNeuron{0, 1, 0, 0, 1};  // runs of either set
constexpr int kSteps = 300;
constexpr int kRestoreAt = 150;

// Per model: two parameter sets that make it fire (and switch on the state
// the defaults leave idle), the step current of neuron 0 and the size of a
// spike weight in the model's unit (pA, nS or mV).
struct StateCase {
    Json set0, set1;
    double current, weight;
};

Json glif5() { return {{"spike_dependent_threshold", true}, {"after_spike_currents", true}, {"adapting_threshold", true}}; }
Json with(Json a, const Json& b) {
    a.update(b);
    return a;
}

const std::map<std::string, StateCase>& state_cases() {
    static const std::map<std::string, StateCase> cases{
        {"iaf_psc_alpha", {{{"I_e", 1500.0}}, {{"I_e", 1200.0}, {"tau_syn_ex", 0.5}}, 20.0, 150.0}},
        {"iaf_psc_delta", {{{"I_e", 1500.0}}, {{"I_e", 1200.0}, {"refractory_input", true}}, 20.0, 1.5}},
        {"iaf_psc_exp", {{{"I_e", 1500.0}}, {{"I_e", 1200.0}, {"tau_syn_in", 5.0}}, 20.0, 150.0}},
        {"iaf_cond_alpha", {{{"I_e", 1000.0}}, {{"I_e", 800.0}, {"tau_syn_ex", 1.0}}, 20.0, 2.0}},
        {"iaf_cond_exp", {{{"I_e", 1000.0}}, {{"I_e", 800.0}, {"tau_syn_ex", 1.0}}, 20.0, 20.0}},
        {"glif_psc",
         {with(glif5(), {{"tau_syn", {2.0, 5.0}}}), {{"spike_dependent_threshold", true}, {"tau_syn", {1.0}}}, 800.0,
          150.0}},
        {"glif_cond",
         {glif5(), {{"after_spike_currents", true}, {"tau_syn", {0.5, 2.0, 3.0}}, {"E_rev", {0.0, -85.0, -70.0}}}, 1000.0,
          2.0}},
        {"izhikevich", {{{"I_e", 40.0}}, {{"I_e", 30.0}, {"consistent_integration", false}}, 1.0, 1.5}},
        {"iaf_psc_alpha_multisynapse", {{{"I_e", 1500.0}, {"tau_syn", {2.0, 5.0, 1.0}}}, {{"I_e", 1200.0}}, 20.0, 150.0}},
        {"iaf_psc_exp_multisynapse", {{{"I_e", 1500.0}, {"tau_syn", {2.0, 5.0, 1.0}}}, {{"I_e", 1200.0}}, 20.0, 150.0}},
        {"mat2_psc_exp", {{{"I_e", 3000.0}}, {{"I_e", 2500.0}, {"tau_1", 20.0}}, 20.0, 100.0}},
        {"amat2_psc_exp", {{{"I_e", 1000.0}, {"beta", 0.5}, {"alpha_2", 1.0}}, {{"I_e", 800.0}}, 10.0, 100.0}},
        {"hh_psc_alpha", {{{"I_e", 1000.0}}, {{"I_e", 1200.0}, {"tau_syn_ex", 1.0}}, 20.0, 100.0}},
        {"aeif_cond_alpha", {{{"I_e", 2000.0}}, {{"I_e", 1500.0}, {"t_ref", 2.0}}, 20.0, 2.0}},
        {"aeif_cond_exp", {{{"I_e", 2000.0}}, {{"I_e", 1500.0}, {"t_ref", 2.0}}, 20.0, 2.0}},
        {"aeif_psc_alpha", {{{"I_e", 2000.0}}, {{"I_e", 1500.0}, {"t_ref", 2.0}}, 20.0, 100.0}},
        {"aeif_psc_exp", {{{"I_e", 2000.0}}, {{"I_e", 1500.0}, {"t_ref", 2.0}}, 20.0, 100.0}},
    };
    return cases;
}

std::unique_ptr<NeuronGroup> make_state_group(const std::string& model, const StateCase& c) {
    return create_group(model, {ParameterSet{c.set0, "set0.json"}, ParameterSet{c.set1, "set1.json"}}, kSetOfNeuron,
                        kStateGrid);
}

// The inputs of step k, the same for every group of the model: on each
// receptor port excitatory and inhibitory spikes in a pattern that differs
// between neurons and ports, and a constant current that differs between neurons.
class StateDrive {
public:
    StateDrive(const NeuronGroup& g, const StateCase& c) : c_(c), g_(g) {
        // Port 0 only, or ports 1..n (glif_*, *_multisynapse reject 0).
        try {
            g.channel(1.0, 0);
            ports_ = {0};
        } catch (const Error&) {
            for (int p = 1; p <= g.spike_channels(); ++p) ports_.push_back(p);
        }
        spikes_.assign(static_cast<std::size_t>(g.spike_channels()), std::vector<double>(kNeurons, 0.0));
        for (const auto& s : spikes_) channels_.push_back(s.data());
        for (std::size_t i = 0; i < kNeurons; ++i) current_.push_back(c.current * (1.0 + 0.25 * static_cast<double>(i)));
    }

    void step(NeuronGroup& g, int k, std::vector<std::uint32_t>& fired) {
        for (auto& s : spikes_) std::fill(s.begin(), s.end(), 0.0);
        for (std::size_t i = 0; i < kNeurons; ++i) {
            for (int p : ports_) {
                const int q = p + static_cast<int>(i);
                if (k % 7 == q % 7) add(i, c_.weight * (1.0 + 0.1 * p), p);
                if (k % 11 == (3 * q) % 11) add(i, -0.8 * c_.weight, p);
            }
        }
        fired.clear();
        g.update(channels_.data(), current_.data(), fired);
    }

private:
    void add(std::size_t i, double w, int port) {
        spikes_[static_cast<std::size_t>(g_.channel(w, port))][i] += w;
    }

    const StateCase& c_;
    const NeuronGroup& g_;
    std::vector<int> ports_;
    std::vector<std::vector<double>> spikes_;
    std::vector<const double*> channels_;
    std::vector<double> current_;
};

struct SavedField {
    std::string name;
    std::vector<char> bytes;
};

std::vector<SavedField> save_fields(NeuronGroup& g) {
    StateFields fields;
    g.state_fields(fields);
    std::vector<SavedField> saved;
    for (const auto& f : fields.fields) {
        const char* data = static_cast<const char*>(f.data);
        saved.push_back({f.name, std::vector<char>(data, data + f.bytes)});
    }
    return saved;
}

// Copies the saved arrays into g's, all but the one named `skip`.
void restore_fields(NeuronGroup& g, const std::vector<SavedField>& saved, const std::string& skip = "") {
    StateFields fields;
    g.state_fields(fields);
    ASSERT_EQ(fields.fields.size(), saved.size());
    for (std::size_t f = 0; f < saved.size(); ++f) {
        ASSERT_EQ(fields.fields[f].name, saved[f].name) << "field " << f;
        ASSERT_EQ(fields.fields[f].bytes, saved[f].bytes.size()) << saved[f].name;
        if (saved[f].name != skip && !saved[f].bytes.empty())
            std::memcpy(fields.fields[f].data, saved[f].bytes.data(), saved[f].bytes.size());
    }
}

std::uint64_t bits(double x) {
    std::uint64_t b;
    std::memcpy(&b, &x, sizeof b);
    return b;
}

// The first difference between a and b in this step ("" if none): fired
// lists and every recordable of every neuron, bit for bit.
std::string first_difference(const NeuronGroup& a, const NeuronGroup& b, const std::vector<std::uint32_t>& fired_a,
                             const std::vector<std::uint32_t>& fired_b) {
    if (fired_a != fired_b) return "fired lists differ";
    for (std::size_t r = 0; r < a.recordables().size(); ++r)
        for (std::size_t i = 0; i < kNeurons; ++i)
            if (bits(a.get(r, i)) != bits(b.get(r, i)))
                return a.recordables()[r] + " of neuron " + std::to_string(i) + ": " + std::to_string(a.get(r, i)) +
                       " vs " + std::to_string(b.get(r, i));
    return "";
}

// Runs group A for kSteps; at kRestoreAt builds B from A's state arrays (all
// but `skip`) and runs both on. Returns the first difference ("" if none)
// and counts A's spikes after the restore.
std::string run_restored(const std::string& model, const std::string& skip, std::size_t& spikes_after,
                         int restore_at = kRestoreAt) {
    const auto it = state_cases().find(model);
    if (it == state_cases().end()) {
        ADD_FAILURE() << model << ": no StateCase (add parameters that make it fire)";
        return "";
    }
    const StateCase& c = it->second;
    auto a = make_state_group(model, c);
    StateDrive drive_a(*a, c);
    std::vector<std::uint32_t> fired_a, fired_b;
    for (int k = 0; k < restore_at; ++k) drive_a.step(*a, k, fired_a);

    const std::vector<SavedField> saved = save_fields(*a);
    auto b = make_state_group(model, c);
    restore_fields(*b, saved, skip);
    StateDrive drive_b(*b, c);

    spikes_after = 0;
    for (int k = restore_at; k < kSteps; ++k) {
        drive_a.step(*a, k, fired_a);
        drive_b.step(*b, k, fired_b);
        spikes_after += fired_a.size();
        const std::string diff = first_difference(*a, *b, fired_a, fired_b);
        if (!diff.empty()) return "step " + std::to_string(k) + ": " + diff;
    }
    return "";
}

// Restore points: the middle step and more, since at any one step
// an array can happen to be idle (no neuron refractory, say) and so be missed.
std::vector<int> restore_points() {
    std::vector<int> at{kRestoreAt};
    for (int k = 50; k <= kSteps - 50; k += 10)
        if (k != kRestoreAt) at.push_back(k);
    return at;
}

// The names and sizes of a model's state fields, in listing order.
std::vector<std::pair<std::string, std::size_t>> listed_fields(const std::string& model) {
    const auto it = state_cases().find(model);
    if (it == state_cases().end()) return {};
    auto g = make_state_group(model, it->second);
    StateFields fields;
    g->state_fields(fields);
    std::vector<std::pair<std::string, std::size_t>> out;
    for (const auto& f : fields.fields) out.emplace_back(f.name, f.bytes);
    return out;
}

// Whether restoring every field but `left_out` changes the run at one of the restore points.
bool noticed_without(const std::string& model, const std::string& left_out) {
    for (int at : restore_points()) {
        std::size_t spikes_after = 0;
        if (!run_restored(model, left_out, spikes_after, at).empty()) return true;
    }
    return false;
}

class StateFieldsRestore : public ::testing::TestWithParam<std::string> {};

TEST_P(StateFieldsRestore, RestoredGroupContinuesBitForBit) {
    const std::string& model = GetParam();
    for (int at : restore_points()) {
        std::size_t spikes_after = 0;
        ASSERT_EQ(run_restored(model, "", spikes_after, at), "") << model << " restored at step " << at;
        if (at == kRestoreAt) {
            EXPECT_GT(spikes_after, 0u) << model << ": the comparison should cover spikes and resets";
        }
    }
}

// The comparison is not vacuous: without its first array (the membrane
// state in every model) a restored group goes its own way (at one of the
// restore points: at a single one every neuron may be refractory, V reset
// before it is read).
TEST_P(StateFieldsRestore, LeavingOutTheFirstFieldIsNoticed) {
    const std::string& model = GetParam();
    const auto fields = listed_fields(model);
    ASSERT_FALSE(fields.empty()) << model;
    EXPECT_TRUE(noticed_without(model, fields.front().first)) << model << ": " << fields.front().first;
}

TEST_P(StateFieldsRestore, FieldsHaveDistinctNames) {
    const std::string& model = GetParam();
    const auto fields = listed_fields(model);
    ASSERT_FALSE(fields.empty()) << model;
    std::map<std::string, int> seen;
    for (const auto& [name, bytes] : fields) {
        EXPECT_EQ(++seen[name], 1) << model << ": " << name << " listed twice";
        EXPECT_GT(bytes, 0u) << model << ": " << name;
    }
}

INSTANTIATE_TEST_SUITE_P(AllModels, StateFieldsRestore, ::testing::ValuesIn(supported_models()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

// Every array iaf_psc_alpha lists matters: leaving out any one of them is
// noticed at one of the restore points.
TEST(StateFieldsRestoreCheck, LeavingOutAnyIafPscAlphaFieldIsNoticed) {
    const auto fields = listed_fields("iaf_psc_alpha");
    ASSERT_FALSE(fields.empty());
    for (const auto& field : fields) EXPECT_TRUE(noticed_without("iaf_psc_alpha", field.first)) << field.first;
}

}  // namespace
}  // namespace state_fields_test
}  // namespace pointsim::models
