// nest::glif_psc (NEST 3.x models/glif_psc.cpp): the Allen Institute's
// generalized LIF models GLIF1..GLIF5, chosen by three flags, with alpha
// PSCs on receptor ports 1..n (one per tau_syn), bit for bit.
#include <algorithm>
#include <cmath>
#include <string>

#include "models/glif_common.hpp"
#include "models/iaf_propagator.hpp"
#include "models/model_impl.hpp"
#include "models/parameters.hpp"

namespace pointsim::models {

namespace {

// NEST's Parameters_ and the Variables_ of pre_run_hook (the GLIF part shared
// with glif_cond), plus the exact propagators of the membrane and the PSCs.
struct GlifProps : glif::Params, glif::Rates {
    double P33 = 0, P30 = 0;
    std::vector<double> P11, P21, P22, P31, P32, PSCInit;
    Step refractory_counts = 0;
    std::size_t n_receptors() const { return P11.size(); }
};

// NEST's State_: the GLIF part (U, ASCurrents, threshold components) and the PSCs.
struct GlifState : glif::State {
    double threshold = 0, I = 0, I_syn = 0;
    std::vector<double> y1, y2;
    Step refractory_steps = 0;
};

// Vectorisable phases of one step of a run of neurons [begin, end) that
// share a parameter set. Each is a plain loop over neurons with restrict
// parameters (GCC honours restrict on parameters only) and selects instead
// of branches (-fno-trapping-math, src/models/CMakeLists.txt). Values
// computed for refractory neurons are discarded by the selects; every
// neuron's own arithmetic is NEST's, in NEST's order. Each phase is
// compiled for SSE2 and AVX2 (POINTSIM_SIMD_CLONES, model_impl.hpp): the V1
// benchmark's simulate phase on one process took 0.94x as long (7 pairs).

// active[i] = 1 if neuron i is not refractory; decays threshold_spike of active neurons.
POINTSIM_SIMD_CLONES
void glif_begin_step(std::size_t begin, std::size_t end, bool has_theta_spike, double theta_spike_decay_rate,
                     const double* __restrict refractory, double* __restrict active,
                     double* __restrict threshold_spike, double* __restrict asc_sum) {
    for (std::size_t i = begin; i < end; ++i) {
        const bool on = refractory[i] == 0.0;
        active[i] = on ? 1.0 : 0.0;
        const double decayed = threshold_spike[i] * theta_spike_decay_rate;
        threshold_spike[i] = (on && has_theta_spike) ? decayed : threshold_spike[i];
        asc_sum[i] = 0.0;
    }
}

// One after-spike current a: its share of the sum, then its decay (active neurons only).
POINTSIM_SIMD_CLONES
void glif_asc(std::size_t begin, std::size_t end, double stable_coeff, double decay_rate,
              const double* __restrict active, double* __restrict asc, double* __restrict asc_sum) {
    for (std::size_t i = begin; i < end; ++i) {
        const double c = asc[i], sum_old = asc_sum[i];
        double decayed = c, sum = sum_old;
        glif::advance_asc(stable_coeff, decay_rate, decayed, sum);
        const bool on = active[i] != 0.0;
        asc_sum[i] = on ? sum : sum_old;
        asc[i] = on ? decayed : c;
    }
}

// U from the old V, the current and the after-spike currents; I_syn starts at 0.
POINTSIM_SIMD_CLONES
void glif_membrane(std::size_t begin, std::size_t end, double P33, double P30, const double* __restrict v,
                   const double* __restrict I, const double* __restrict asc_sum, double* __restrict U_new,
                   double* __restrict I_syn_new) {
    for (std::size_t i = begin; i < end; ++i) {
        U_new[i] = v[i] * P33 + (I[i] + asc_sum[i]) * P30;
        I_syn_new[i] = 0.0;
    }
}

// Receptor port r's PSC terms added to U and I_syn (ports in increasing order, as NEST).
POINTSIM_SIMD_CLONES
void glif_receptor_into_u(std::size_t begin, std::size_t end, double P31, double P32, const double* __restrict y1,
                          const double* __restrict y2, double* __restrict U_new, double* __restrict I_syn_new) {
    for (std::size_t i = begin; i < end; ++i) {
        U_new[i] += P31 * y1[i] + P32 * y2[i];
        I_syn_new[i] += y2[i];
    }
}

// Receptor port r's alpha PSC advanced by one step, with this step's spikes.
POINTSIM_SIMD_CLONES
void glif_receptor_advance(std::size_t begin, std::size_t end, double P11, double P21, double P22, double PSCInit,
                           const double* __restrict spikes, double* __restrict y1, double* __restrict y2) {
    for (std::size_t i = begin; i < end; ++i) {
        const double a = y1[i];
        y2[i] = P21 * a + P22 * y2[i];
        y1[i] = a * P11 + PSCInit * spikes[i];
    }
}

class GlifPsc final : public NeuronGroup {
public:
    static constexpr const char* model_name = "glif_psc";

    GlifPsc(const std::vector<ParameterSet>& sets, const std::vector<std::uint32_t>& set_of_neuron, const TimeGrid& grid) {
        std::vector<GlifState> initial;
        for (const auto& set : sets) {
            auto [props, state] = lower(set, grid);
            max_receptors_ = std::max(max_receptors_, props.n_receptors());
            max_asc_ = std::max(max_asc_, state.ASCurrents.size());
            props_.push_back(std::move(props));
            initial.push_back(std::move(state));
        }
        type_.assign(set_of_neuron.begin(), set_of_neuron.end());
        const std::size_t n = type_.size();
        for (auto* v : {&U_, &threshold_, &threshold_spike_, &threshold_voltage_, &I_, &I_syn_, &ASCurrents_sum_,
                        &refractory_, &active_, &asc_sum_, &U_new_, &I_syn_new_})
            v->assign(n, 0.0);
        ASCurrents_.assign(max_asc_, std::vector<double>(n, 0.0));
        y1_.assign(max_receptors_, std::vector<double>(n, 0.0));
        y2_.assign(max_receptors_, std::vector<double>(n, 0.0));
        for (std::size_t i = 0; i < n; ++i) {
            const GlifState& s = initial[type_[i]];
            U_[i] = s.U; threshold_[i] = s.threshold; threshold_spike_[i] = s.threshold_spike;
            threshold_voltage_[i] = s.threshold_voltage; I_[i] = s.I; I_syn_[i] = s.I_syn;
            ASCurrents_sum_[i] = s.ASCurrents_sum; refractory_[i] = static_cast<double>(s.refractory_steps);
            for (std::size_t a = 0; a < s.ASCurrents.size(); ++a) ASCurrents_[a][i] = s.ASCurrents[a];
            for (std::size_t r = 0; r < s.y1.size(); ++r) { y1_[r][i] = s.y1[r]; y2_[r][i] = s.y2[r]; }
        }
        runs_ = type_runs(type_);
    }

    const char* model() const override { return model_name; }
    std::size_t size() const override { return type_.size(); }
    int spike_channels() const override { return static_cast<int>(std::max<std::size_t>(max_receptors_, 1)); }
    int channel(double, int receptor) const override {
        // NEST: rport 1..n_receptors, 0 is rejected (handles_test_event).
        check_receptor(model_name, receptor, 1, static_cast<int>(max_receptors_));
        return receptor - 1;
    }
    int channel_for(double, int receptor, std::size_t neuron) const override {
        check_receptor(model_name, receptor, 1, static_cast<int>(props_[type_[neuron]].n_receptors()));
        return receptor - 1;
    }

    // NEST's glif_psc::update for one lag, in phases over runs of neurons with
    // one parameter set: the per-neuron loops vectorise, and only the
    // threshold test (rare spikes, adapting threshold) runs neuron by neuron.
    void update(const double* const* spike_in, const double* current_in, std::vector<std::uint32_t>& fired) override {
        for (const TypeRun& run : runs_) {
            const GlifProps& p = props_[run.type];
            const std::size_t b = run.begin, e = run.end;
            const std::size_t n_rec = p.n_receptors();
            const std::size_t n_asc = p.has_asc ? p.asc_decay_rates.size() : 0;
            glif_begin_step(b, e, p.has_theta_spike, p.theta_spike_decay_rate, refractory_.data(), active_.data(),
                            threshold_spike_.data(), asc_sum_.data());
            for (std::size_t a = 0; a < n_asc; ++a)
                glif_asc(b, e, p.asc_stable_coeff[a], p.asc_decay_rates[a], active_.data(), ASCurrents_[a].data(),
                         asc_sum_.data());
            glif_membrane(b, e, p.P33, p.P30, U_.data(), I_.data(), asc_sum_.data(), U_new_.data(), I_syn_new_.data());
            for (std::size_t r = 0; r < n_rec; ++r)
                glif_receptor_into_u(b, e, p.P31[r], p.P32[r], y1_[r].data(), y2_[r].data(), U_new_.data(),
                                     I_syn_new_.data());
            for (std::size_t i = b; i < e; ++i) threshold_test(p, n_asc, i, fired);
            for (std::size_t r = 0; r < n_rec; ++r)
                glif_receptor_advance(b, e, p.P11[r], p.P21[r], p.P22[r], p.PSCInit[r], spike_in[r], y1_[r].data(),
                                      y2_[r].data());
        }
        std::copy(current_in, current_in + size(), I_.begin());
    }

    void state_fields(StateFields& fields) override {
        fields.add("U", U_);
        fields.add("threshold", threshold_);
        fields.add("threshold_spike", threshold_spike_);
        fields.add("threshold_voltage", threshold_voltage_);
        fields.add("I", I_);
        fields.add("I_syn", I_syn_);
        fields.add("ASCurrents_sum", ASCurrents_sum_);
        fields.add("refractory", refractory_);
        for (std::size_t a = 0; a < ASCurrents_.size(); ++a)
            fields.add("ASCurrents[" + std::to_string(a) + "]", ASCurrents_[a]);
        for (std::size_t r = 0; r < y1_.size(); ++r) {
            fields.add("y1[" + std::to_string(r) + "]", y1_[r]);
            fields.add("y2[" + std::to_string(r) + "]", y2_[r]);
        }
    }

    const std::vector<std::string>& recordables() const override {
        static const std::vector<std::string> names{"V_m",       "ASCurrents_sum",  "I",
                                                    "I_syn",     "threshold",       "threshold_spike",
                                                    "threshold_voltage"};
        return names;
    }
    std::string units(std::size_t which) const override {
        return which == 0 || which >= 4 ? "mV" : "pA";
    }
    double get(std::size_t which, std::size_t i) const override {
        switch (which) {
            case 0: return U_[i] + props_[type_[i]].E_L;
            case 1: return ASCurrents_sum_[i];
            case 2: return I_[i];
            case 3: return I_syn_[i];
            case 4: return threshold_[i] + props_[type_[i]].E_L;
            case 5: return threshold_spike_[i];
            default: return threshold_voltage_[i];
        }
    }

private:
    // The rest of NEST's update for neuron i, after U_new_ and I_syn_new_:
    // adapting threshold, the threshold test and the resets of a spike.
    void threshold_test(const GlifProps& p, std::size_t n_asc, std::size_t i, std::vector<std::uint32_t>& fired) {
        if (active_[i] == 0.0) {
            refractory_[i] -= 1.0;
            threshold_[i] = glif::threshold(p, threshold_spike_[i], threshold_voltage_[i]);
            return;
        }
        const double v_old = U_[i];
        ASCurrents_sum_[i] = asc_sum_[i];
        I_syn_[i] = I_syn_new_[i];
        double U = U_new_[i];
        if (glif::threshold_and_reset(p, p, v_old, I_[i], asc_sum_[i], n_asc,
                                      [&](std::size_t a) -> double& { return ASCurrents_[a][i]; }, U, threshold_[i],
                                      threshold_spike_[i], threshold_voltage_[i])) {
            refractory_[i] = static_cast<double>(p.refractory_counts);
            fired.push_back(static_cast<std::uint32_t>(i));
        }
        U_[i] = U;
    }

    static std::pair<GlifProps, GlifState> lower(const ParameterSet& set, const TimeGrid& grid) {
        ParamReader r(set);
        GlifProps p;
        std::vector<double> tau_syn{2.0};
        // Parameters_::set, its checks in glif_psc's order, then tau_syn.
        const double delta_el = glif::read_params(r, "g", p);
        glif::check_mechanisms(r, model_name, p);
        glif::check_asc(r, model_name, p);
        glif::check_membrane(r, model_name, "g", p);
        glif::check_theta_voltage(r, model_name, p);
        glif::check_theta_spike(r, model_name, p);
        if (r.numbers("tau_syn", tau_syn)) {
            for (double t : tau_syn)
                if (t <= 0) r.fail(model_name, "All synaptic time constants must be strictly positive (tau_syn > 0).");
        }
        // State_::set
        const glif::State g = glif::read_state(r, model_name, p, delta_el);
        r.finish(model_name);
        glif::check_asc_count(r, model_name, p, g);

        // pre_run_hook
        const double h = grid.resolution_ms();
        static_cast<glif::Rates&>(p) = glif::rates(p, h);
        const double tau = p.C_m / p.G;
        p.P33 = std::exp(-h / tau);
        p.P30 = 1 / p.C_m * (1 - p.P33) * tau;
        for (double ts : tau_syn) {
            const double P11 = std::exp(-h / ts);
            p.P11.push_back(P11);
            p.P22.push_back(P11);
            p.P21.push_back(h * P11);
            const AlphaPropagator prop = iaf_propagator_alpha(ts, tau, p.C_m, h);
            p.P31.push_back(prop.p31);
            p.P32.push_back(prop.p32);
            p.PSCInit.push_back(1.0 * kE / ts);
        }
        p.refractory_counts = grid.ms_to_steps_ceil(p.t_ref);
        GlifState s;
        static_cast<glif::State&>(s) = g;
        s.threshold = p.th_inf;
        s.y1.assign(tau_syn.size(), 0.0);
        s.y2.assign(tau_syn.size(), 0.0);
        return {std::move(p), std::move(s)};
    }

    std::vector<GlifProps> props_;
    std::vector<std::uint32_t> type_;
    // NEST's State_, one entry per neuron, as structure of arrays.
    std::vector<double> U_, threshold_, threshold_spike_, threshold_voltage_, I_, I_syn_, ASCurrents_sum_;
    std::vector<double> refractory_;                   // steps left (whole numbers; a double to vectorise)
    std::vector<std::vector<double>> ASCurrents_;      // [current a][neuron]
    std::vector<std::vector<double>> y1_, y2_;         // [receptor port - 1][neuron]
    // Scratch of one step: not refractory, the new after-spike current sum, U and I_syn.
    std::vector<double> active_, asc_sum_, U_new_, I_syn_new_;
    std::size_t max_receptors_ = 0;
    std::size_t max_asc_ = 0;
    std::vector<TypeRun> runs_;
};

}  // namespace

std::unique_ptr<NeuronGroup> make_glif_psc(const std::vector<ParameterSet>& sets,
                                           const std::vector<std::uint32_t>& set_of_neuron, const TimeGrid& grid) {
    return std::make_unique<GlifPsc>(sets, set_of_neuron, grid);
}

}  // namespace pointsim::models
