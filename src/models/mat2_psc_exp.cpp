// nest::mat2_psc_exp and nest::amat2_psc_exp (NEST 3.x models/mat2_psc_exp.cpp,
// models/amat2_psc_exp.cpp): leaky integrators with exponential current PSCs
// whose membrane is never reset. A spike instead lifts a multi-timescale
// adaptive threshold: two components decaying with tau_1 and tau_2 that jump
// by alpha_1 and alpha_2, above the resting threshold omega. amat2_psc_exp
// adds a voltage-dependent component (beta, tau_v) driven by V_m. Both are
// integrated exactly with the propagators each model writes out in its own
// pre_run_hook (neither uses NEST's IAFPropagator, so tau_m must differ from
// the synaptic time constants).
#include <cmath>

#include "models/model_impl.hpp"
#include "models/parameters.hpp"

namespace pointsim::models {

namespace {

// Parameters of both models, as NEST's Parameters_ holds them (omega relative
// to E_L), and the initial state (V_m relative to E_L).
struct MatParams {
    double E_L = -70.0, I_e = 0.0;
    double C_m, tau_m;
    double tau_ex = 1.0, tau_in = 3.0, t_ref = 2.0, tau_1 = 10.0, tau_2 = 200.0;
    double alpha_1, alpha_2;
    double beta = 0.0, tau_v = 5.0;  // amat2_psc_exp only
    double omega;                    // resting threshold relative to E_L
    // State_ (settable part).
    double V_m = 0.0, V_th_1 = 0.0, V_th_2 = 0.0, V_th_v = 0.0;
    Step refractory_counts = 0;
};

// Reads one parameter set as NEST's Parameters_::set, State_::set and the
// refractory check of pre_run_hook do. `adaptive` selects amat2_psc_exp.
MatParams read_params(ParamReader& r, const char* model, bool adaptive, const TimeGrid& grid) {
    MatParams p;
    if (adaptive) {
        p.C_m = 200.0; p.tau_m = 10.0; p.alpha_1 = 10.0; p.alpha_2 = 0.0; p.omega = 5.0;
    } else {
        p.C_m = 100.0; p.tau_m = 5.0; p.alpha_1 = 37.0; p.alpha_2 = 2.0; p.omega = 19.0;
    }
    const double el_old = p.E_L;
    r.number("E_L", p.E_L);
    const double delta_el = p.E_L - el_old;
    r.number("I_e", p.I_e);
    r.number("C_m", p.C_m);
    r.number("tau_m", p.tau_m);
    r.number("tau_syn_ex", p.tau_ex);
    r.number("tau_syn_in", p.tau_in);
    r.number("t_ref", p.t_ref);
    r.number("tau_1", p.tau_1);
    r.number("tau_2", p.tau_2);
    r.number("alpha_1", p.alpha_1);
    r.number("alpha_2", p.alpha_2);
    if (adaptive) {
        r.number("beta", p.beta);
        r.number("tau_v", p.tau_v);
    }
    // omega is given absolute; if it is not given, its absolute value stays when E_L changes.
    double v;
    if (r.number("omega", v)) p.omega = v - p.E_L; else p.omega -= delta_el;
    // The same for V_m; the threshold components are not relative to E_L.
    if (r.number("V_m", v)) p.V_m = v - p.E_L; else p.V_m -= delta_el;
    r.number("V_th_alpha_1", p.V_th_1);
    r.number("V_th_alpha_2", p.V_th_2);
    if (adaptive) r.number("V_th_v", p.V_th_v);
    r.finish(model);

    // NEST's checks, in NEST's order.
    if (p.C_m <= 0) r.fail(model, "Capacitance must be strictly positive (C_m > 0).");
    if (adaptive) {
        if (p.tau_m <= 0 || p.tau_ex <= 0 || p.tau_in <= 0 || p.t_ref <= 0 || p.tau_1 <= 0 || p.tau_2 <= 0 ||
            p.tau_v <= 0)
            r.fail(model, "All time constants must be strictly positive "
                          "(tau_m, tau_syn_ex, tau_syn_in, t_ref, tau_1, tau_2, tau_v > 0).");
        if (p.tau_m == p.tau_ex || p.tau_m == p.tau_in || p.tau_m == p.tau_v)
            r.fail(model, "tau_m must differ from tau_syn_ex, tau_syn_in and tau_v.");
        if (p.tau_v == p.tau_ex || p.tau_v == p.tau_in)
            r.fail(model, "tau_v must differ from tau_syn_ex, tau_syn_in and tau_m.");
    } else {
        if (p.tau_m <= 0 || p.tau_ex <= 0 || p.tau_in <= 0 || p.t_ref <= 0 || p.tau_1 <= 0 || p.tau_2 <= 0)
            r.fail(model, "All time constants must be strictly positive "
                          "(tau_m, tau_syn_ex, tau_syn_in, t_ref, tau_1, tau_2 > 0).");
        if (p.tau_m == p.tau_ex || p.tau_m == p.tau_in)
            r.fail(model, "Membrane and synapse time constant(s) must differ (tau_m != tau_syn_ex, tau_syn_in).");
    }
    // pre_run_hook: t_ref in steps after rounding to tics.
    p.refractory_counts = grid.ms_to_steps_ceil(p.t_ref);
    if (p.refractory_counts < 1) r.fail(model, "Total refractory time must be at least one time step (t_ref).");
    return p;
}

// What the two models share: the excitatory / inhibitory PSCs, the two
// spike-triggered threshold components, the refractory counter and the
// step current.
class MatBase : public NeuronGroup {
public:
    std::size_t size() const override { return type_.size(); }
    int spike_channels() const override { return 2; }
    // NEST's handle(SpikeEvent&): weight >= 0 excitatory, else inhibitory; port 0 only.
    int channel(double weight, int receptor) const override {
        check_receptor(model(), receptor, 0, 0);
        return weight >= 0.0 ? 0 : 1;
    }
    // Both models' state (thdv_ and thv_ stay 0 in mat2_psc_exp).
    void state_fields(StateFields& fields) override {
        fields.add("V", V_);
        fields.add("th1", th1_);
        fields.add("th2", th2_);
        fields.add("thdv", thdv_);
        fields.add("thv", thv_);
        fields.add("i_ex", i_ex_);
        fields.add("i_in", i_in_);
        fields.add("i_0", i_0_);
        fields.add("r", r_);
    }

protected:
    void init_state(const std::vector<MatParams>& params, const std::vector<std::uint32_t>& set_of_neuron) {
        type_.assign(set_of_neuron.begin(), set_of_neuron.end());
        const std::size_t n = type_.size();
        V_.resize(n); th1_.resize(n); th2_.resize(n); thv_.resize(n);
        thdv_.assign(n, 0.0); i_ex_.assign(n, 0.0); i_in_.assign(n, 0.0); i_0_.assign(n, 0.0);
        r_.assign(n, 0);
        for (std::size_t i = 0; i < n; ++i) {
            const MatParams& p = params[type_[i]];
            V_[i] = p.V_m; th1_[i] = p.V_th_1; th2_[i] = p.V_th_2; thv_[i] = p.V_th_v;
        }
    }

    std::vector<std::uint32_t> type_;
    // NEST's State_: V_m_ (relative to E_L), V_th_1_, V_th_2_, (amat2: V_th_dv_, V_th_v_),
    // the PSCs, i_0_ (step current of the last step) and r_.
    std::vector<double> V_, th1_, th2_, thdv_, thv_, i_ex_, i_in_, i_0_;
    std::vector<Step> r_;
};

// ---------------------------------------------------------------- mat2_psc_exp

struct Mat2Props {
    double E_L, I_e, omega, alpha_1, alpha_2;
    double P11ex, P11in, P22_expm1, P21ex, P21in, P20, P11th, P22th;
    Step refractory_counts;
};

class Mat2PscExp final : public MatBase {
public:
    static constexpr const char* model_name = "mat2_psc_exp";

    Mat2PscExp(const std::vector<ParameterSet>& sets, const std::vector<std::uint32_t>& set_of_neuron,
               const TimeGrid& grid) {
        std::vector<MatParams> params;
        const double h = grid.resolution_ms();
        for (const auto& set : sets) {
            ParamReader r(set);
            const MatParams p = read_params(r, model_name, /*adaptive=*/false, grid);
            params.push_back(p);
            // Propagators as NEST's pre_run_hook computes them, in its order.
            Mat2Props q{};
            q.E_L = p.E_L; q.I_e = p.I_e; q.omega = p.omega; q.alpha_1 = p.alpha_1; q.alpha_2 = p.alpha_2;
            q.P11ex = std::exp(-h / p.tau_ex);
            q.P11in = std::exp(-h / p.tau_in);
            q.P22_expm1 = std::expm1(-h / p.tau_m);
            q.P21ex = -p.tau_m / (p.C_m * (1.0 - p.tau_m / p.tau_ex)) * q.P11ex *
                      std::expm1(h * (1.0 / p.tau_ex - 1.0 / p.tau_m));
            q.P21in = -p.tau_m / (p.C_m * (1.0 - p.tau_m / p.tau_in)) * q.P11in *
                      std::expm1(h * (1.0 / p.tau_in - 1.0 / p.tau_m));
            q.P20 = -p.tau_m / p.C_m * q.P22_expm1;
            q.P11th = std::exp(-h / p.tau_1);
            q.P22th = std::exp(-h / p.tau_2);
            q.refractory_counts = p.refractory_counts;
            props_.push_back(q);
        }
        init_state(params, set_of_neuron);
    }

    const char* model() const override { return model_name; }

    // NEST's mat2_psc_exp::update for one lag: membrane (never reset),
    // threshold decay, PSC decay plus this step's spikes, then the threshold
    // check outside refractoriness; the step current acts from the next step.
    void update(const double* const* spike_in, const double* current_in, std::vector<std::uint32_t>& fired) override {
        const double* w_ex = spike_in[0];
        const double* w_in = spike_in[1];
        const std::size_t n = size();
        for (std::size_t i = 0; i < n; ++i) {
            const Mat2Props& p = props_[type_[i]];
            V_[i] = V_[i] * p.P22_expm1 + V_[i] + i_ex_[i] * p.P21ex + i_in_[i] * p.P21in + (p.I_e + i_0_[i]) * p.P20;
            th1_[i] *= p.P11th;
            th2_[i] *= p.P22th;
            i_ex_[i] *= p.P11ex;
            i_in_[i] *= p.P11in;
            i_ex_[i] += w_ex[i];
            i_in_[i] += w_in[i];
            if (r_[i] == 0) {
                if (V_[i] >= p.omega + th2_[i] + th1_[i]) {
                    r_[i] = p.refractory_counts;
                    th1_[i] += p.alpha_1;
                    th2_[i] += p.alpha_2;
                    fired.push_back(static_cast<std::uint32_t>(i));
                }
            } else {
                --r_[i];
            }
            i_0_[i] = current_in[i];
        }
    }

    const std::vector<std::string>& recordables() const override {
        static const std::vector<std::string> names{"V_m", "V_th"};
        return names;
    }
    std::string units(std::size_t) const override { return "mV"; }
    double get(std::size_t which, std::size_t i) const override {
        const Mat2Props& p = props_[type_[i]];
        if (which == 0) return V_[i] + p.E_L;
        return p.E_L + p.omega + th1_[i] + th2_[i];  // NEST's get_V_th_
    }

private:
    std::vector<Mat2Props> props_;
};

// ---------------------------------------------------------------- amat2_psc_exp

struct Amat2Props {
    double E_L, I_e, omega, alpha_1, alpha_2;
    // Propagator elements P<row><column> of NEST's state numbering: 0 the
    // constant current, 1/2 the exc./inh. PSCs, 3 V_m, 4/5 the threshold
    // components, 6 the derivative of the voltage-dependent component, 7 that component.
    double P11, P22, P30, P31, P32, P33, P44, P55;
    double P60, P61, P62, P63, P66, P70, P71, P72, P73, P76, P77;
    Step refractory_counts;
};

class Amat2PscExp final : public MatBase {
public:
    static constexpr const char* model_name = "amat2_psc_exp";

    Amat2PscExp(const std::vector<ParameterSet>& sets, const std::vector<std::uint32_t>& set_of_neuron,
                const TimeGrid& grid) {
        std::vector<MatParams> params;
        const double h = grid.resolution_ms();
        for (const auto& set : sets) {
            ParamReader r(set);
            const MatParams p = read_params(r, model_name, /*adaptive=*/true, grid);
            params.push_back(p);
            props_.push_back(propagators(p, h));
        }
        init_state(params, set_of_neuron);
    }

    // As NEST's amat2_psc_exp::pre_run_hook writes them out (same expressions,
    // same order of operations, so the same doubles).
    static Amat2Props propagators(const MatParams& p, double h) {
        const double c = p.C_m, beta = p.beta;
        const double taum = p.tau_m, tauE = p.tau_ex, tauI = p.tau_in, tauV = p.tau_v;
        const double eE = std::exp(-h / p.tau_ex);
        const double eI = std::exp(-h / p.tau_in);
        const double em = std::exp(-h / p.tau_m);
        const double e1 = std::exp(-h / p.tau_1);
        const double e2 = std::exp(-h / p.tau_2);
        const double eV = std::exp(-h / p.tau_v);
        Amat2Props q{};
        q.E_L = p.E_L; q.I_e = p.I_e; q.omega = p.omega; q.alpha_1 = p.alpha_1; q.alpha_2 = p.alpha_2;
        q.refractory_counts = p.refractory_counts;
        q.P11 = eE;
        q.P22 = eI;
        q.P33 = em;
        q.P44 = e1;
        q.P55 = e2;
        q.P66 = eV;
        q.P77 = eV;

        q.P30 = (taum - em * taum) / c;
        q.P31 = ((eE - em) * tauE * taum) / (c * (tauE - taum));
        q.P32 = ((eI - em) * tauI * taum) / (c * (tauI - taum));

        q.P60 = (beta * (em - eV) * taum * tauV) / (c * (taum - tauV));
        q.P61 = (beta * tauE * taum * tauV * (eV * (-tauE + taum) + em * (tauE - tauV) + eE * (-taum + tauV))) /
                (c * (tauE - taum) * (tauE - tauV) * (taum - tauV));
        q.P62 = (beta * tauI * taum * tauV * (eV * (-tauI + taum) + em * (tauI - tauV) + eI * (-taum + tauV))) /
                (c * (tauI - taum) * (tauI - tauV) * (taum - tauV));
        q.P63 = (beta * (-em + eV) * tauV) / (taum - tauV);

        q.P70 = (beta * taum * tauV * (em * taum * tauV - eV * (h * (taum - tauV) + taum * tauV))) /
                (c * std::pow(taum - tauV, 2));
        q.P71 = (beta * tauE * taum * tauV *
                 ((em * taum * std::pow(tauE - tauV, 2) - eE * tauE * std::pow(taum - tauV, 2)) * tauV -
                  eV * (tauE - taum) * (h * (tauE - tauV) * (taum - tauV) + tauE * taum * tauV - std::pow(tauV, 3)))) /
                (c * (tauE - taum) * std::pow(tauE - tauV, 2) * std::pow(taum - tauV, 2));
        q.P72 = (beta * tauI * taum * tauV *
                 ((em * taum * std::pow(tauI - tauV, 2) - eI * tauI * std::pow(taum - tauV, 2)) * tauV -
                  eV * (tauI - taum) * (h * (tauI - tauV) * (taum - tauV) + tauI * taum * tauV - std::pow(tauV, 3)))) /
                (c * (tauI - taum) * std::pow(tauI - tauV, 2) * std::pow(taum - tauV, 2));
        q.P73 = (beta * tauV * (-(em * taum * tauV) + eV * (h * (taum - tauV) + taum * tauV))) /
                std::pow(taum - tauV, 2);
        q.P76 = eV * h;
        return q;
    }

    const char* model() const override { return model_name; }

    // NEST's amat2_psc_exp::update for one lag: the voltage-dependent
    // component and its derivative from the old state first, then the
    // membrane, the threshold decay, the PSCs plus this step's spikes, and the
    // threshold check outside refractoriness.
    void update(const double* const* spike_in, const double* current_in, std::vector<std::uint32_t>& fired) override {
        const double* w_ex = spike_in[0];
        const double* w_in = spike_in[1];
        const std::size_t n = size();
        for (std::size_t i = 0; i < n; ++i) {
            const Amat2Props& p = props_[type_[i]];
            const double I = p.I_e + i_0_[i];
            thv_[i] = I * p.P70 + i_ex_[i] * p.P71 + i_in_[i] * p.P72 + V_[i] * p.P73 + thdv_[i] * p.P76 +
                      thv_[i] * p.P77;
            thdv_[i] = I * p.P60 + i_ex_[i] * p.P61 + i_in_[i] * p.P62 + V_[i] * p.P63 + thdv_[i] * p.P66;
            V_[i] = I * p.P30 + i_ex_[i] * p.P31 + i_in_[i] * p.P32 + V_[i] * p.P33;
            th1_[i] *= p.P44;
            th2_[i] *= p.P55;
            i_ex_[i] *= p.P11;
            i_in_[i] *= p.P22;
            i_ex_[i] += w_ex[i];
            i_in_[i] += w_in[i];
            if (r_[i] == 0) {
                if (V_[i] >= p.omega + th2_[i] + th1_[i] + thv_[i]) {
                    r_[i] = p.refractory_counts;
                    th1_[i] += p.alpha_1;
                    th2_[i] += p.alpha_2;
                    fired.push_back(static_cast<std::uint32_t>(i));
                }
            } else {
                --r_[i];
            }
            i_0_[i] = current_in[i];
        }
    }

    const std::vector<std::string>& recordables() const override {
        static const std::vector<std::string> names{"V_m", "V_th", "V_th_v", "I_syn_ex", "I_syn_in"};
        return names;
    }
    std::string units(std::size_t which) const override { return which < 3 ? "mV" : "pA"; }
    double get(std::size_t which, std::size_t i) const override {
        const Amat2Props& p = props_[type_[i]];
        switch (which) {
            case 0: return V_[i] + p.E_L;
            case 1: return p.E_L + p.omega + th1_[i] + th2_[i] + thv_[i];  // NEST's get_V_th_
            case 2: return thv_[i];
            case 3: return i_ex_[i];
            default: return i_in_[i];
        }
    }

private:
    std::vector<Amat2Props> props_;
};

}  // namespace

std::unique_ptr<NeuronGroup> make_mat2_psc_exp(const std::vector<ParameterSet>& sets,
                                               const std::vector<std::uint32_t>& set_of_neuron, const TimeGrid& grid) {
    return std::make_unique<Mat2PscExp>(sets, set_of_neuron, grid);
}

std::unique_ptr<NeuronGroup> make_amat2_psc_exp(const std::vector<ParameterSet>& sets,
                                                const std::vector<std::uint32_t>& set_of_neuron, const TimeGrid& grid) {
    return std::make_unique<Amat2PscExp>(sets, set_of_neuron, grid);
}

}  // namespace pointsim::models
