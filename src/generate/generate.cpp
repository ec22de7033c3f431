#include "generate/generate.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <limits>
#include <string>
#include <system_error>
#include <vector>

#include <nlohmann/json.hpp>

#include "builder/builder.hpp"
#include "builder/random.hpp"
#include "common/error.hpp"
#include "common/time.hpp"
#include "output/h5_util.hpp"
#include "output/writers.hpp"

namespace pointsim::generate {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

namespace {

constexpr const char* kInternal = "internal";
constexpr const char* kExternal = "external";
constexpr std::uint64_t kSpikeStream = 3;

// round(0.8 n), halves up, without floating point.
std::uint64_t eighty_percent(std::uint64_t n) { return n / 5 * 4 + (n % 5 * 4 + 2) / 5; }

// Shortest text that reads back as the same double; integers keep a ".0".
std::string fmt(double v) {
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    std::string s(buf, r.ptr);
    if (std::isfinite(v) && s.find_first_of(".e") == std::string::npos) s += ".0";
    return s;
}

void make_dir(const fs::path& dir) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec || !fs::is_directory(dir))
        throw output_error("cannot create directory '" + dir.string() + "': " +
                           (ec ? ec.message() : std::string("a file of that name exists")));
}

void write_text(const fs::path& file, const std::string& text) {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    if (out) out << text;
    if (out) out.close();
    if (!out) throw output_error("cannot write '" + file.string() + "'");
}

void write_json(const fs::path& file, const Json& doc) { write_text(file, doc.dump(2) + "\n"); }

// ------------------------------------------------------------------ the recipe
// The circuit as a `pointsim build` recipe: the builder makes every network.
Json circuit_recipe(const Options& o) {
    const std::uint64_t n = o.n_neurons, n_exc = eighty_percent(n), n_inh = n - n_exc;
    const std::uint64_t k = o.indegree, k_exc = eighty_percent(k);
    const double j_exc = 60.0 * 200.0 / static_cast<double>(k == 0 ? 1 : k);
    auto cell = [](std::uint64_t count, const char* ei, const char* pop, const char* params) {
        return Json{{"N", count},
                    {"properties",
                     {{"model_type", "point_process"},
                      {"model_template", "nest:iaf_psc_alpha"},
                      {"dynamics_params", params},
                      {"ei", ei},
                      {"pop_name", pop}}}};
    };
    Json delays = Json::array();  // 1.0, 1.1, ..., 3.0 ms: k / 10.0 is the double nearest to the decimal
    for (int d = 10; d <= 30; ++d) delays.push_back(d / 10.0);
    auto recurrent = [&](const char* ei, std::uint64_t indegree, double weight) {
        return Json{{"source", {{"ei", ei}}},
                    {"connection_rule", "fixed_indegree"},
                    {"connection_params", {{"indegree", indegree}}},
                    {"properties",
                     {{"syn_weight", weight},
                      {"dynamics_params", "static.json"},
                      {"model_template", "static_synapse"},
                      {"delay", {{"distribution", "choice"}, {"values", delays}}}}}};
    };
    Json internal_nodes = Json::array({cell(n_exc, "e", "exc", "iaf_psc_alpha_exc.json")});
    Json internal_edges = Json::array({recurrent("e", k_exc, j_exc)});
    if (n_inh > 0) {
        internal_nodes.push_back(cell(n_inh, "i", "inh", "iaf_psc_alpha_inh.json"));
        internal_edges.push_back(recurrent("i", k - k_exc, -5.0 * j_exc));
    }
    Json external_nodes = Json::array(
        {Json{{"N", std::max<std::uint64_t>(1, n / 4)},
              {"properties", {{"model_type", "virtual"}, {"ei", "e"}, {"pop_name", kExternal}}}}});
    Json external_edges = Json::array({Json{{"target", {{"network", kInternal}}},
                                            {"connection_rule", "fixed_indegree"},
                                            {"connection_params", {{"indegree", o.inputs_per_neuron}}},
                                            {"properties",
                                             {{"syn_weight", o.input_weight},
                                              {"delay", 1.0},
                                              {"dynamics_params", "static.json"},
                                              {"model_template", "static_synapse"}}}}});
    Json recipe;
    recipe["description"] = "pointsim generate: a Brunel-style balanced E/I network with Poisson inputs";
    recipe["seed"] = o.seed;
    recipe["networks"][kInternal] = {{"nodes", internal_nodes}, {"edges", internal_edges}};
    recipe["networks"][kExternal] = {{"nodes", external_nodes}, {"edges", external_edges}};
    return recipe;
}

// ------------------------------------------------------------------ spikes
// Poisson trains of the virtual nodes, moved up to the dt grid (the step NEST
// delivers them in), sorted by (time, node).
output::PopulationSpikes poisson_spikes(std::uint64_t seed, std::uint64_t n_nodes, double rate_hz, double tstop,
                                        const TimeGrid& grid) {
    output::PopulationSpikes spikes;
    spikes.population = kExternal;
    if (rate_hz <= 0.0) return spikes;
    const double rate = rate_hz / 1000.0;  // per ms
    const double step_ms = grid.ms_per_step();
    builder::Stream rng(builder::hash_keys(seed, kSpikeStream));
    for (std::uint64_t node = 0; node < n_nodes; ++node) {
        double t = 0.0;
        for (;;) {
            t += rng.exponential() / rate;
            if (!(t < tstop)) break;
            auto step = static_cast<std::uint64_t>(std::ceil(t / step_ms));
            if (step == 0) step = 1;
            const double at = grid.step_to_ms(static_cast<Step>(step));
            if (!(at < tstop)) break;
            spikes.node_ids.push_back(node);
            spikes.timestamps.push_back(at);
        }
    }
    return spikes;
}

// /spikes/external/{timestamps, node_ids}, sorted by time: the group exists
// even without a spike (the run's spike input names the population).
void write_input_spikes(const fs::path& file, output::PopulationSpikes& spikes) {
    output::sort_spikes(spikes, SortOrder::ByTime);
    namespace h5 = output::detail;
    h5::with_h5_errors(file, "spike input", [&] {
        H5::H5File f = h5::create_file(file.string());
        H5::Group pop = h5::create_group(h5::create_group(f, "spikes"), spikes.population);
        h5::write_string_attr(pop, "sorting", "by_time");
        H5::DataSet t = h5::write_1d(pop, "timestamps", H5::PredType::IEEE_F64LE, H5::PredType::NATIVE_DOUBLE,
                                     spikes.timestamps.data(), spikes.timestamps.size());
        h5::write_string_attr(t, "units", "ms");
        h5::write_1d(pop, "node_ids", H5::PredType::STD_U64LE, H5::PredType::NATIVE_UINT64, spikes.node_ids.data(),
                     spikes.node_ids.size());
        f.close();
    });
}

// ------------------------------------------------------------------ components and configs
void write_components(const fs::path& out) {
    const fs::path cells = out / "components" / "cell_models";
    const fs::path synapses = out / "components" / "synaptic_models";
    make_dir(cells);
    make_dir(synapses);
    auto cell = [](double tau_m, double t_ref) {
        Json j;
        j["tau_m"] = tau_m;
        j["C_m"] = 250.0;
        j["t_ref"] = t_ref;
        j["E_L"] = -70.0;
        j["V_th"] = -55.0;
        j["V_reset"] = -70.0;
        j["V_m"] = -70.0;
        j["tau_syn_ex"] = 0.5;
        j["tau_syn_in"] = 0.5;
        return j;
    };
    write_json(cells / "iaf_psc_alpha_exc.json", cell(20.0, 2.0));
    write_json(cells / "iaf_psc_alpha_inh.json", cell(10.0, 1.0));
    write_json(synapses / "static.json", Json::object());
}

void write_configs(const fs::path& out, const Options& o) {
    Json circuit;
    circuit["manifest"] = {{"$BASE_DIR", "${configdir}"},
                           {"$NETWORK_DIR", "$BASE_DIR/network"},
                           {"$COMPONENTS_DIR", "$BASE_DIR/components"}};
    circuit["components"] = {{"point_neuron_models_dir", "$COMPONENTS_DIR/cell_models"},
                             {"synaptic_models_dir", "$COMPONENTS_DIR/synaptic_models"}};
    auto nodes = [](const std::string& pop) {
        return Json{{"nodes_file", "$NETWORK_DIR/" + pop + "_nodes.h5"},
                    {"node_types_file", "$NETWORK_DIR/" + pop + "_node_types.csv"}};
    };
    auto edges = [](const std::string& src, const std::string& tgt) {
        return Json{{"edges_file", "$NETWORK_DIR/" + src + "_" + tgt + "_edges.h5"},
                    {"edge_types_file", "$NETWORK_DIR/" + src + "_" + tgt + "_edge_types.csv"}};
    };
    circuit["networks"] = {{"nodes", Json::array({nodes(kInternal), nodes(kExternal)})},
                           {"edges", Json::array({edges(kInternal, kInternal), edges(kExternal, kInternal)})}};
    write_json(out / "circuit_config.json", circuit);

    Json sim;
    sim["manifest"] = {{"$BASE_DIR", "${configdir}"}, {"$INPUT_DIR", "$BASE_DIR/inputs"}};
    sim["target_simulator"] = "NEST";
    sim["run"] = {{"tstart", 0.0}, {"tstop", o.tstop}, {"dt", o.dt}};
    sim["inputs"] = {{"external_spikes",
                      {{"input_type", "spikes"},
                       {"module", "sonata"},
                       {"input_file", "$INPUT_DIR/external_spikes.h5"},
                       {"node_set", kExternal}}}};
    sim["output"] = {{"output_dir", "$BASE_DIR/output"},
                     {"log_file", "log.txt"},
                     {"spikes_file", "spikes.h5"},
                     {"spikes_sort_order", "by_id"}};
    // V_m of five cells spread over the population (and so over MPI ranks).
    Json cells = Json::array();
    for (std::uint64_t k = 0; k < 5; ++k) {
        const std::uint64_t id = k * (o.n_neurons - 1) / 4;
        if (cells.empty() || cells.back().get<std::uint64_t>() != id) cells.push_back(id);
    }
    sim["reports"] = {{"membrane_potential",
                       {{"module", "membrane_report"},
                        {"variable_name", "V_m"},
                        {"cells", {{"population", kInternal}, {"node_id", cells}}}}}};
    write_json(out / "simulation_config.json", sim);

    write_json(out / "config.json", Json{{"network", "${configdir}/circuit_config.json"},
                                         {"simulation", "${configdir}/simulation_config.json"}});
}

// ------------------------------------------------------------------ checks
TimeGrid check_options(const Options& o) {
    const std::string where = "generate";
    if (o.out_dir.empty()) throw config_error(where + ": no output directory given");
    if (o.n_neurons == 0) throw config_error(where + ": the number of neurons must be at least 1");
    if (!std::isfinite(o.tstop) || o.tstop <= 0)
        throw config_error(where + ": tstop = " + fmt(o.tstop) + " ms must be a positive number");
    TimeGrid grid = TimeGrid::make(o.dt, o.tstop, where);
    if (!std::isfinite(o.input_rate_hz) || o.input_rate_hz < 0)
        throw config_error(where + ": input rate " + fmt(o.input_rate_hz) + " Hz must be a non-negative number");
    if (!std::isfinite(o.input_weight))
        throw config_error(where + ": input weight " + fmt(o.input_weight) + " pA must be a finite number");
    const std::uint64_t max = std::numeric_limits<std::uint64_t>::max() / 64;
    if ((o.indegree != 0 && o.n_neurons > max / o.indegree) ||
        (o.inputs_per_neuron != 0 && o.n_neurons > max / o.inputs_per_neuron))
        throw config_error(where + ": too many edges (" + std::to_string(o.n_neurons) + " neurons)");
    const std::uint64_t n_exc = eighty_percent(o.n_neurons), k_exc = eighty_percent(o.indegree);
    if (k_exc > 0 && n_exc == 0)
        throw config_error(where + ": " + std::to_string(k_exc) +
                           " excitatory inputs per neuron, but the network has no excitatory neuron");
    if (o.indegree - k_exc > 0 && o.n_neurons - n_exc == 0)
        throw config_error(where + ": " + std::to_string(o.indegree - k_exc) + " inhibitory inputs per neuron, but " +
                           std::to_string(o.n_neurons) + " neuron(s) are all excitatory (need at least 3)");
    return grid;
}

}  // namespace

Summary generate_circuit(const Options& o) {
    const TimeGrid grid = check_options(o);
    const fs::path& out = o.out_dir;
    const fs::path net = out / "network", inputs = out / "inputs";
    make_dir(net);
    make_dir(inputs);
    write_components(out);

    const Json recipe = circuit_recipe(o);
    write_json(out / "recipe.json", recipe);
    builder::BuildOptions b;
    b.recipe = out / "recipe.json";
    b.output_dir = net;
    b.threads = 0;  // all cores: the network is the same for any count
    const builder::BuildSummary built = builder::build_network(b);

    const std::uint64_t n_virtual = std::max<std::uint64_t>(1, o.n_neurons / 4);
    std::vector<output::PopulationSpikes> spikes{poisson_spikes(o.seed, n_virtual, o.input_rate_hz, o.tstop, grid)};
    const std::uint64_t n_spikes = spikes[0].timestamps.size();
    write_input_spikes(inputs / "external_spikes.h5", spikes[0]);

    write_configs(out, o);

    Summary s;
    s.n_neurons = o.n_neurons;
    s.n_virtual = n_virtual;
    for (const auto& f : built.edge_files) (f.population == "internal_to_internal" ? s.n_edges_recurrent : s.n_edges_input) = f.edges;
    s.n_input_spikes = n_spikes;
    return s;
}

}  // namespace pointsim::generate
