// nest::izhikevich (NEST 3.x models/izhikevich.cpp), bit for bit: forward
// Euler (consistent_integration true, NEST's default) or the two half steps
// of Izhikevich (2003) (false); a spike of weight w jumps V by w mV in the
// step it arrives; never refractory.
#include <cfloat>

#include "models/model_impl.hpp"
#include "models/parameters.hpp"

namespace pointsim::models {

namespace {

struct IzhProps {
    double a, b, c, d, I_e, V_th, V_min;
    bool consistent_integration;
};

class Izhikevich final : public NeuronGroup {
public:
    static constexpr const char* model_name = "izhikevich";

    Izhikevich(const std::vector<ParameterSet>& sets, const std::vector<std::uint32_t>& set_of_neuron,
               const TimeGrid& grid)
        : h_(grid.resolution_ms()) {
        std::vector<double> v_init, u_init;
        for (const auto& set : sets) {
            ParamReader r(set);
            // NEST defaults (Parameters_::Parameters_, State_::State_).
            IzhProps p{0.02, 0.2, -65.0, 8.0, 0.0, 30.0, -DBL_MAX, true};
            double v = -65.0;
            double u = -13.0;  // b * V_m at the defaults, whatever b and V_m the set gives
            r.number("V_th", p.V_th);
            r.number("V_min", p.V_min);
            r.number("I_e", p.I_e);
            r.number("a", p.a);
            r.number("b", p.b);
            r.number("c", p.c);
            r.number("d", p.d);
            r.boolean("consistent_integration", p.consistent_integration);
            r.number("U_m", u);
            r.number("V_m", v);
            r.finish(model_name);
            // NEST's Parameters_::set checks nothing (it only logs a hint when
            // consistent_integration is false and dt != 1 ms).
            props_.push_back(p);
            v_init.push_back(v);
            u_init.push_back(u);
        }
        type_.assign(set_of_neuron.begin(), set_of_neuron.end());
        const std::size_t n = type_.size();
        v_.resize(n);
        u_.resize(n);
        I_.assign(n, 0.0);
        for (std::size_t i = 0; i < n; ++i) {
            v_[i] = v_init[type_[i]];
            u_[i] = u_init[type_[i]];
        }
    }

    const char* model() const override { return model_name; }
    std::size_t size() const override { return type_.size(); }
    int spike_channels() const override { return 1; }
    int channel(double, int receptor) const override {
        check_receptor(model_name, receptor, 0, 0);
        return 0;
    }

    // NEST's izhikevich::update for one lag, neuron by neuron, in NEST's
    // order of operations (x += y is x = x + y; products left to right).
    void update(const double* const* spike_in, const double* current_in, std::vector<std::uint32_t>& fired) override {
        const double* spikes = spike_in[0];
        const double h = h_;
        const std::size_t n = size();
        for (std::size_t i = 0; i < n; ++i) {
            const IzhProps& p = props_[type_[i]];
            double v = v_[i], u = u_[i];
            const double I = I_[i];
            if (p.consistent_integration) {
                const double v_old = v, u_old = u;
                v += h * (0.04 * v_old * v_old + 5.0 * v_old + 140.0 - u_old + I + p.I_e) + spikes[i];
                u += h * p.a * (p.b * v_old - u_old);
            } else {
                const double I_syn = spikes[i];
                v += h * 0.5 * (0.04 * v * v + 5.0 * v + 140.0 - u + I + p.I_e + I_syn);
                v += h * 0.5 * (0.04 * v * v + 5.0 * v + 140.0 - u + I + p.I_e + I_syn);
                u += h * p.a * (p.b * v - u);
            }
            v = (v < p.V_min ? p.V_min : v);
            if (v >= p.V_th) {
                v = p.c;
                u = u + p.d;
                fired.push_back(static_cast<std::uint32_t>(i));
            }
            v_[i] = v;
            u_[i] = u;
            I_[i] = current_in[i];
        }
    }

    void state_fields(StateFields& fields) override {
        fields.add("v", v_);
        fields.add("u", u_);
        fields.add("I", I_);
    }

    const std::vector<std::string>& recordables() const override {
        static const std::vector<std::string> names{"V_m", "U_m"};
        return names;
    }
    std::string units(std::size_t) const override { return "mV"; }  // NEST's docs give U_m in mV too
    double get(std::size_t which, std::size_t i) const override { return which == 0 ? v_[i] : u_[i]; }

private:
    double h_;
    std::vector<IzhProps> props_;
    std::vector<std::uint32_t> type_;
    std::vector<double> v_, u_, I_;  // NEST's State_: v_, u_, I_ (step current of the last step)
};

}  // namespace

std::unique_ptr<NeuronGroup> make_izhikevich(const std::vector<ParameterSet>& sets,
                                             const std::vector<std::uint32_t>& set_of_neuron, const TimeGrid& grid) {
    return std::make_unique<Izhikevich>(sets, set_of_neuron, grid);
}

}  // namespace pointsim::models
