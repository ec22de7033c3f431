#pragma once
// Reading a dynamics_params JSON the way NEST's SetStatus does: every key must
// be used by the model (NEST raises on unaccessed entries), values must have
// the right type.
#include <set>
#include <string>
#include <vector>

#include "models/neuron_group.hpp"

namespace pointsim::models {

class ParamReader {
public:
    explicit ParamReader(const ParameterSet& set);

    // If the key is present, stores it in `value` and returns true.
    bool number(const char* key, double& value);
    bool boolean(const char* key, bool& value);
    bool numbers(const char* key, std::vector<double>& values);  // a JSON list of numbers
    // Throws if a key was never asked for.
    void finish(const char* model) const;
    // Throws Error(Model) "<source>: <model>: <message> (given: <key> = <value>, ...)",
    // with the values this set gives to the parameters the message names.
    [[noreturn]] void fail(const char* model, const std::string& message) const;

private:
    const ParameterSet& set_;
    std::set<std::string> used_;
};

}  // namespace pointsim::models
