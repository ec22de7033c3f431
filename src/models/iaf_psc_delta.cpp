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

class IafPscDelta final : public NeuronGroup {
public:
    IafPscDelta(const std::vector<ParameterSet>& sets, const std::vector<std::uint32_t>& set_of_neuron,
                const TimeGrid& grid)
        : h_(grid.ms_per_step()) {
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
        r_.assign(n, 0);
        for (std::size_t i = 0; i < n; ++i) y3_[i] = y3_init[type_[i]];
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
        const double* spikes = spike_in[0];
        const std::size_t n = size();
        for (std::size_t i = 0; i < n; ++i) {
            const DeltaProps& p = props_[type_[i]];
            if (r_[i] == 0) {
                y3_[i] = p.P30 * (y0_[i] + p.I_e) + p.P33 * y3_[i] + spikes[i];
                if (p.refractory_input && refr_spikes_[i] != 0.0) {
                    y3_[i] += refr_spikes_[i];
                    refr_spikes_[i] = 0.0;
                }
                y3_[i] = (y3_[i] < p.V_min ? p.V_min : y3_[i]);
            } else {
                // Spikes during refractoriness are dropped, or kept decayed to its end.
                if (p.refractory_input) refr_spikes_[i] += spikes[i] * std::exp(-r_[i] * h_ / p.tau_m);
                --r_[i];
            }
            if (y3_[i] >= p.V_th) {
                r_[i] = p.refractory_counts;
                y3_[i] = p.V_reset;
                fired.push_back(static_cast<std::uint32_t>(i));
            }
            y0_[i] = current_in[i];
        }
    }

    const std::vector<std::string>& recordables() const override {
        static const std::vector<std::string> names{"V_m"};
        return names;
    }
    std::string units(std::size_t) const override { return "mV"; }
    double get(std::size_t, std::size_t i) const override { return y3_[i] + props_[type_[i]].E_L; }

private:
    double h_;
    std::vector<DeltaProps> props_;
    std::vector<std::uint32_t> type_;
    std::vector<double> y3_, y0_, refr_spikes_;
    std::vector<Step> r_;
};

}  // namespace

std::unique_ptr<NeuronGroup> make_iaf_psc_delta(const std::vector<ParameterSet>& sets,
                                                const std::vector<std::uint32_t>& set_of_neuron, const TimeGrid& grid) {
    return std::make_unique<IafPscDelta>(sets, set_of_neuron, grid);
}

}  // namespace pointsim::models
