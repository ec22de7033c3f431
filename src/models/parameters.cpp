#include "models/parameters.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "common/error.hpp"

namespace pointsim::models {

ParamReader::ParamReader(const ParameterSet& set) : set_(set) {
    if (!set_.params.is_object())
        throw model_error(set_.source + ": dynamics_params must be a JSON object, got " + set_.params.dump());
    used_.insert("tau_minus");  // every NEST neuron has it (ArchivingNode): read by create_group
}

bool ParamReader::number(const char* key, double& value) {
    auto it = set_.params.find(key);
    used_.insert(key);
    if (it == set_.params.end()) return false;
    if (!it->is_number())
        throw model_error(set_.source + ": parameter '" + key + "' must be a number, got " + it->dump());
    value = it->get<double>();
    if (std::isnan(value)) throw model_error(set_.source + ": parameter '" + key + "' is NaN");
    return true;
}

bool ParamReader::boolean(const char* key, bool& value) {
    auto it = set_.params.find(key);
    used_.insert(key);
    if (it == set_.params.end()) return false;
    if (it->is_boolean()) {
        value = it->get<bool>();
    } else if (it->is_number_integer()) {
        value = it->get<long long>() != 0;
    } else {
        throw model_error(set_.source + ": parameter '" + key + "' must be true or false, got " + it->dump());
    }
    return true;
}

bool ParamReader::numbers(const char* key, std::vector<double>& values) {
    auto it = set_.params.find(key);
    used_.insert(key);
    if (it == set_.params.end()) return false;
    if (!it->is_array())
        throw model_error(set_.source + ": parameter '" + key + "' must be a list of numbers, got " + it->dump());
    values.clear();
    for (const auto& v : *it) {
        if (!v.is_number())
            throw model_error(set_.source + ": parameter '" + key + "' must be a list of numbers, got " + it->dump());
        values.push_back(v.get<double>());
    }
    return true;
}

void ParamReader::finish(const char* model) const {
    for (auto it = set_.params.begin(); it != set_.params.end(); ++it) {
        if (!used_.count(it.key()))
            throw model_error(set_.source + ": unknown parameter '" + it.key() + "' for model " + model);
    }
}

void ParamReader::fail(const char* model, const std::string& message) const {
    // NEST's messages name the parameters but not their values: append the
    // values this parameter set gives to the parameters the message names.
    auto is_word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
    std::string given;
    for (auto it = set_.params.begin(); it != set_.params.end(); ++it) {
        const std::string& key = it.key();
        for (auto at = message.find(key); at != std::string::npos; at = message.find(key, at + 1)) {
            const std::size_t end = at + key.size();
            if ((at > 0 && is_word(message[at - 1])) || (end < message.size() && is_word(message[end]))) continue;
            given += (given.empty() ? "" : ", ") + key + " = " + it.value().dump();
            break;
        }
    }
    throw model_error(set_.source + ": " + model + ": " + message + (given.empty() ? "" : " (given: " + given + ")"));
}

}  // namespace pointsim::models
