// nest::iaf_psc_alpha (NEST 3.x models/iaf_psc_alpha.cpp), bit for bit:
// same propagators, same update order, same rounding of t_ref.
#include <cmath>

#include "models/iaf_common.hpp"
#include "models/iaf_propagator.hpp"
#include "models/model_impl.hpp"

namespace pointsim::models {

namespace {

struct AlphaProps {
    // parameters (potentials relative to E_L)
    double E_L, I_e, Theta, V_reset, LowerBound;
    // propagators
    double P11_ex, P21_ex, P22_ex, P31_ex, P32_ex;
    double P11_in, P21_in, P22_in, P31_in, P32_in;
    double P30, expm1_tau_m, EPSCInit, IPSCInit;
    Step refractory_counts;
};

// One step of neurons [begin, end), which share the parameters p (NEST's
// iaf_psc_alpha::update for one lag). Returns the number that fired and
// marks them in spiked[]. Branch-free with restrict parameters (GCC honours
// restrict on parameters, not on locals) so that the compiler vectorises it;
// SSE2 has no 64-bit integer compare, hence the refractory count as a
// double, and the selects need -fno-trapping-math (src/models/CMakeLists.txt).
// The arithmetic is NEST's, in NEST's order (no reassociation, no FMA);
// V computed for a refractory neuron is discarded. The AVX2 clone takes
// 0.65x the time per neuron and step of the SSE2 loop (1.8 against 2.8 ns
// for 20,000 and 100,000 neurons, measured alone; docs/performance.md).
POINTSIM_SIMD_CLONES
double advance(const AlphaProps& props, std::size_t begin, std::size_t end, const double* __restrict w_ex,
               const double* __restrict w_in, const double* __restrict y0_next, double* __restrict y3v,
               double* __restrict y0v, double* __restrict I_ex, double* __restrict dI_ex, double* __restrict I_in,
               double* __restrict dI_in, double* __restrict r, double* __restrict spiked) {
    const AlphaProps p = props;
    const double refractory = static_cast<double>(p.refractory_counts);
    double n_spiked = 0.0;
    for (std::size_t i = begin; i < end; ++i) {
        const double dIex = dI_ex[i], Iex = I_ex[i], dIin = dI_in[i], Iin = I_in[i], y3_old = y3v[i];
        double y3 = p.P30 * (y0v[i] + p.I_e) + p.P31_ex * dIex + p.P32_ex * Iex + p.P31_in * dIin + p.P32_in * Iin +
                    p.expm1_tau_m * y3_old + y3_old;
        y3 = y3 < p.LowerBound ? p.LowerBound : y3;
        const double ri = r[i];
        const double ri_next = ri - 1.0;
        y3 = ri == 0.0 ? y3 : y3_old;
        I_ex[i] = p.P21_ex * dIex + p.P22_ex * Iex;
        dI_ex[i] = dIex * p.P11_ex + p.EPSCInit * w_ex[i];
        I_in[i] = p.P21_in * dIin + p.P22_in * Iin;
        dI_in[i] = dIin * p.P11_in + p.IPSCInit * w_in[i];
        const bool fire = y3 >= p.Theta;
        r[i] = fire ? refractory : (ri == 0.0 ? 0.0 : ri_next);
        y3v[i] = fire ? p.V_reset : y3;
        y0v[i] = y0_next[i];
        spiked[i] = fire ? 1.0 : 0.0;
        n_spiked += spiked[i];
    }
    return n_spiked;
}

class IafPscAlpha final : public NeuronGroup {
public:
    IafPscAlpha(const std::vector<ParameterSet>& sets, const std::vector<std::uint32_t>& set_of_neuron,
                const TimeGrid& grid) {
        std::vector<double> y3_init;
        for (const auto& set : sets) {
            ParamReader r(set);
            IafPotentials pot;
            double C = 250.0, tau_m = 10.0, t_ref = 2.0, tau_ex = 2.0, tau_in = 2.0, I_e = 0.0;
            pot.apply(r, /*has_v_min=*/true);
            r.number("I_e", I_e);
            r.number("C_m", C);
            r.number("tau_m", tau_m);
            r.number("tau_syn_ex", tau_ex);
            r.number("tau_syn_in", tau_in);
            r.number("t_ref", t_ref);
            r.finish(model_name);
            if (pot.V_reset >= pot.Theta) r.fail(model_name, "Reset potential must be smaller than threshold (V_reset < V_th).");
            if (C <= 0) r.fail(model_name, "Capacitance must be strictly positive (C_m > 0).");
            if (tau_m <= 0 || tau_ex <= 0 || tau_in <= 0) r.fail(model_name, "All time constants must be strictly positive (tau_m, tau_syn_ex, tau_syn_in).");
            if (t_ref < 0) r.fail(model_name, "Refractory time must not be negative (t_ref >= 0).");

            const double h = grid.resolution_ms();
            AlphaProps p{};
            p.E_L = pot.E_L; p.I_e = I_e; p.Theta = pot.Theta; p.V_reset = pot.V_reset; p.LowerBound = pot.LowerBound;
            p.P11_ex = p.P22_ex = std::exp(-h / tau_ex);
            p.P11_in = p.P22_in = std::exp(-h / tau_in);
            p.expm1_tau_m = std::expm1(-h / tau_m);
            p.P30 = -tau_m / C * std::expm1(-h / tau_m);
            p.P21_ex = h * p.P11_ex;
            p.P21_in = h * p.P11_in;
            const AlphaPropagator ex = iaf_propagator_alpha(tau_ex, tau_m, C, h);
            const AlphaPropagator in = iaf_propagator_alpha(tau_in, tau_m, C, h);
            p.P31_ex = ex.p31; p.P32_ex = ex.p32; p.P31_in = in.p31; p.P32_in = in.p32;
            p.EPSCInit = 1.0 * kE / tau_ex;
            p.IPSCInit = 1.0 * kE / tau_in;
            p.refractory_counts = grid.ms_to_steps_ceil(t_ref);
            props_.push_back(p);
            y3_init.push_back(pot.y3);
        }
        const std::size_t n = set_of_neuron.size();
        type_.assign(set_of_neuron.begin(), set_of_neuron.end());
        y3_.resize(n); y0_.assign(n, 0.0);
        I_ex_.assign(n, 0.0); dI_ex_.assign(n, 0.0); I_in_.assign(n, 0.0); dI_in_.assign(n, 0.0);
        r_.assign(n, 0.0);
        spiked_.assign(n, 0.0);
        for (std::size_t i = 0; i < n; ++i) y3_[i] = y3_init[type_[i]];
        runs_ = type_runs(type_);
    }

    static constexpr const char* model_name = "iaf_psc_alpha";
    const char* model() const override { return model_name; }
    std::size_t size() const override { return type_.size(); }
    int spike_channels() const override { return 2; }
    int channel(double weight, int receptor) const override {
        check_receptor(model_name, receptor, 0, 0);
        return weight > 0 ? 0 : 1;  // NEST: s > 0 ? SYN_EX : SYN_IN
    }

    void update(const double* const* spike_in, const double* current_in, std::vector<std::uint32_t>& fired) override {
        double n_spiked = 0.0;
        for (const TypeRun& run : runs_)
            n_spiked += advance(props_[run.type], run.begin, run.end, spike_in[0], spike_in[1], current_in, y3_.data(),
                                y0_.data(), I_ex_.data(), dI_ex_.data(), I_in_.data(), dI_in_.data(), r_.data(),
                                spiked_.data());
        if (n_spiked > 0.0) append_spiked(spiked_, n_spiked, fired);
    }

    void state_fields(StateFields& fields) override {
        fields.add("y3", y3_);
        fields.add("y0", y0_);
        fields.add("I_ex", I_ex_);
        fields.add("dI_ex", dI_ex_);
        fields.add("I_in", I_in_);
        fields.add("dI_in", dI_in_);
        fields.add("r", r_);
    }

    const std::vector<std::string>& recordables() const override {
        static const std::vector<std::string> names{"V_m", "I_syn_ex", "I_syn_in"};
        return names;
    }
    std::string units(std::size_t which) const override { return which == 0 ? "mV" : "pA"; }
    double get(std::size_t which, std::size_t i) const override {
        switch (which) {
            case 0: return y3_[i] + props_[type_[i]].E_L;
            case 1: return I_ex_[i];
            default: return I_in_[i];
        }
    }

private:
    std::vector<AlphaProps> props_;
    std::vector<std::uint32_t> type_;
    std::vector<double> y3_, y0_, I_ex_, dI_ex_, I_in_, dI_in_;
    std::vector<double> r_;       // refractory steps left (whole numbers)
    std::vector<double> spiked_;  // 1 if fired in this step (scanned only when one did)
    std::vector<TypeRun> runs_;
};

}  // namespace

std::unique_ptr<NeuronGroup> make_iaf_psc_alpha(const std::vector<ParameterSet>& sets,
                                                const std::vector<std::uint32_t>& set_of_neuron, const TimeGrid& grid) {
    return std::make_unique<IafPscAlpha>(sets, set_of_neuron, grid);
}

}  // namespace pointsim::models
