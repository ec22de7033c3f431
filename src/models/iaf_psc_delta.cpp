// nest::iaf_psc_delta (NEST 3.x models/iaf_psc_delta.cpp): spikes jump V by
// their weight in mV in the step they arrive.
#include <cfloat>
#include <cmath>

#include "models/iaf_common.hpp"
#include "models/model_impl.hpp"

namespace pointsim::models {

namespace {

struct DeltaProps {
    double E_L, I_e, V_th, V_reset, V_min;  // relative to E_L
    double P30, P33, tau_m;
    bool refractory_input;
    Step refractory_counts;
};

// One step of neurons [begin, end), which share the parameters p and drop
// spikes that arrive while refractory (refractory_input false, NEST's
// default). Returns the number that fired and marks them in spiked[].
// Branch-free with restrict parameters so that it vectorises, as
// iaf_psc_alpha's (see there); same arithmetic and order as NEST.
POINTSIM_SIMD_CLONES
double advance(const DeltaProps& props, std::size_t begin, std::size_t end, const double* __restrict spikes,
               const double* __restrict y0_next, double* __restrict y3v, double* __restrict y0v,
               double* __restrict r, double* __restrict spiked) {
    const DeltaProps p = props;
    const double refractory = static_cast<double>(p.refractory_counts);
    double n_spiked = 0.0;
    for (std::size_t i = begin; i < end; ++i) {
        const double y3_old = y3v[i];
        double y3 = p.P30 * (y0v[i] + p.I_e) + p.P33 * y3_old + spikes[i];
        y3 = y3 < p.V_min ? p.V_min : y3;
        const double ri = r[i];
        const double ri_next = ri - 1.0;
        y3 = ri == 0.0 ? y3 : y3_old;
        const bool fire = y3 >= p.V_th;
        r[i] = fire ? refractory : (ri == 0.0 ? 0.0 : ri_next);
        y3v[i] = fire ? p.V_reset : y3;
        y0v[i] = y0_next[i];
        spiked[i] = fire ? 1.0 : 0.0;
        n_spiked += spiked[i];
    }
    return n_spiked;
}

class IafPscDelta final : public NeuronGroup {
public:
    IafPscDelta(const std::vector<ParameterSet>& sets, const std::vector<std::uint32_t>& set_of_neuron,
                const TimeGrid& grid)
        : h_(grid.resolution_ms()) {
        std::vector<double> y3_init;
        for (const auto& set : sets) {
            ParamReader r(set);
            IafPotentials pot;
            pot.LowerBound = -DBL_MAX;  // iaf_psc_delta's V_min default (relative)
            double C = 250.0, tau_m = 10.0, t_ref = 2.0, I_e = 0.0;
            bool refractory_input = false;
            pot.apply(r, /*has_v_min=*/true);
            r.number("I_e", I_e);
            r.number("C_m", C);
            r.number("tau_m", tau_m);
            r.number("t_ref", t_ref);
            r.boolean("refractory_input", refractory_input);
            r.finish(model_name);
            if (pot.V_reset >= pot.Theta) r.fail(model_name, "Reset potential must be smaller than threshold (V_reset < V_th).");
            if (C <= 0) r.fail(model_name, "Capacitance must be >0 (C_m).");
            if (t_ref < 0) r.fail(model_name, "Refractory time must not be negative (t_ref).");
            if (tau_m <= 0) r.fail(model_name, "Membrane time constant must be > 0 (tau_m).");

            DeltaProps p{};
            p.E_L = pot.E_L; p.I_e = I_e; p.V_th = pot.Theta; p.V_reset = pot.V_reset; p.V_min = pot.LowerBound;
            p.P33 = std::exp(-h_ / tau_m);
            p.P30 = 1 / C * (1 - p.P33) * tau_m;
            p.tau_m = tau_m;
            p.refractory_input = refractory_input;
            p.refractory_counts = grid.ms_to_steps_ceil(t_ref);
            props_.push_back(p);
            y3_init.push_back(pot.y3);
        }
        const std::size_t n = set_of_neuron.size();
        type_.assign(set_of_neuron.begin(), set_of_neuron.end());
        y3_.resize(n);
        y0_.assign(n, 0.0);
        refr_spikes_.assign(n, 0.0);
        r_.assign(n, 0.0);
        spiked_.assign(n, 0.0);
        for (std::size_t i = 0; i < n; ++i) y3_[i] = y3_init[type_[i]];
        runs_ = type_runs(type_);
    }

    static constexpr const char* model_name = "iaf_psc_delta";
    const char* model() const override { return model_name; }
    std::size_t size() const override { return type_.size(); }
    int spike_channels() const override { return 1; }
    int channel(double, int receptor) const override {
        check_receptor(model_name, receptor, 0, 0);
        return 0;
    }

    void update(const double* const* spike_in, const double* current_in, std::vector<std::uint32_t>& fired) override {
        double n_spiked = 0.0;
        for (const TypeRun& run : runs_) {
            const DeltaProps& p = props_[run.type];
            if (!p.refractory_input)
                n_spiked += advance(p, run.begin, run.end, spike_in[0], current_in, y3_.data(), y0_.data(), r_.data(),
                                    spiked_.data());
            else
                n_spiked += advance_keeping_refractory_input(p, run.begin, run.end, spike_in[0], current_in);
        }
        if (n_spiked > 0.0) append_spiked(spiked_, n_spiked, fired);
    }

    void state_fields(StateFields& fields) override {
        fields.add("y3", y3_);
        fields.add("y0", y0_);
        fields.add("refr_spikes", refr_spikes_);
        fields.add("r", r_);
    }

    const std::vector<std::string>& recordables() const override {
        static const std::vector<std::string> names{"V_m"};
        return names;
    }
    std::string units(std::size_t) const override { return "mV"; }
    double get(std::size_t, std::size_t i) const override { return y3_[i] + props_[type_[i]].E_L; }

private:
    // refractory_input true: spikes that arrive while refractory are kept,
    // decayed to its end, and added when it ends (NEST's branch, kept as is).
    double advance_keeping_refractory_input(const DeltaProps& p, std::size_t begin, std::size_t end,
                                            const double* spikes, const double* current_in) {
        double n_spiked = 0.0;
        for (std::size_t i = begin; i < end; ++i) {
            if (r_[i] == 0.0) {
                y3_[i] = p.P30 * (y0_[i] + p.I_e) + p.P33 * y3_[i] + spikes[i];
                if (refr_spikes_[i] != 0.0) {
                    y3_[i] += refr_spikes_[i];
                    refr_spikes_[i] = 0.0;
                }
                y3_[i] = (y3_[i] < p.V_min ? p.V_min : y3_[i]);
            } else {
                refr_spikes_[i] += spikes[i] * std::exp(-r_[i] * h_ / p.tau_m);
                r_[i] -= 1.0;
            }
            spiked_[i] = 0.0;
            if (y3_[i] >= p.V_th) {
                r_[i] = static_cast<double>(p.refractory_counts);
                y3_[i] = p.V_reset;
                spiked_[i] = 1.0;
                n_spiked += 1.0;
            }
            y0_[i] = current_in[i];
        }
        return n_spiked;
    }

    double h_;
    std::vector<DeltaProps> props_;
    std::vector<std::uint32_t> type_;
    std::vector<double> y3_, y0_, refr_spikes_;
    std::vector<double> r_;       // refractory steps left (whole numbers; a double so that the loop vectorises)
    std::vector<double> spiked_;  // 1 if fired in this step
    std::vector<TypeRun> runs_;
};

}  // namespace

std::unique_ptr<NeuronGroup> make_iaf_psc_delta(const std::vector<ParameterSet>& sets,
                                                const std::vector<std::uint32_t>& set_of_neuron, const TimeGrid& grid) {
    return std::make_unique<IafPscDelta>(sets, set_of_neuron, grid);
}

}  // namespace pointsim::models
