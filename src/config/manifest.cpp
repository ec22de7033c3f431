// Manifest variables (BMTK sonata_config.py _build_manifest, _find_variables),
// with one pointsim decision: an undefined variable is an error, not literal text.
#include <algorithm>
#include <set>
#include <utility>
#include <vector>

#include <re2/re2.h>

#include "common/error.hpp"
#include "config/config.hpp"

namespace pointsim::config {
namespace {

using Vars = std::map<std::string, std::string>;

// $NAME or ${NAME}, the same pattern BMTK matches. RE2, not std::regex:
// libstdc++'s matcher recurses once per character and overflowed the stack
// on a "$" followed by a 200,000-character word (a crash on bad input).
const re2::RE2& reference_pattern() {
    static const re2::RE2 re(R"(\$\{?(\w+)\}?)");
    return re;
}

// Replaces every reference whose name is in `vars`; names that are not are
// appended to `missing` and left in place.
std::string replace_references(const std::string& text, const Vars& vars,
                               std::vector<std::string>& missing) {
    std::string out;
    // Each iteration finds the next reference after the previous one, as
    // std::sregex_iterator did (a match is never empty: it starts with '$').
    std::size_t pos = 0;
    re2::StringPiece groups[2];
    while (pos < text.size() &&
           reference_pattern().Match(text, pos, text.size(), re2::RE2::UNANCHORED, groups, 2)) {
        const auto begin = static_cast<std::size_t>(groups[0].data() - text.data());
        out.append(text, pos, begin - pos);
        const std::string ref_name(groups[1].data(), groups[1].size());
        auto value = vars.find(ref_name);
        if (value != vars.end()) {
            out += value->second;
        } else {
            missing.push_back(ref_name);
            out.append(groups[0].data(), groups[0].size());
        }
        pos = begin + groups[0].size();
    }
    out.append(text, pos, std::string::npos);
    return out;
}

std::string join_names(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "$" : ", $") + n;
    return out;
}

// Builtins plus the manifest entries, resolved by fixed-point iteration so
// entries may refer to each other in any order.
template <class J>
Vars resolve_manifest(const J& doc, const Vars& builtins, const std::string& file) {
    auto manifest = doc.find("manifest");
    if (manifest == doc.end()) return builtins;
    if (!manifest->is_object())
        throw config_error(file + ": manifest must be an object, got " + manifest->dump());

    std::vector<std::pair<std::string, std::string>> pending;  // name, raw value
    std::set<std::string> defined;
    for (auto it = manifest->begin(); it != manifest->end(); ++it) {
        const std::string& key = it.key();
        const std::string name = !key.empty() && key[0] == '$' ? key.substr(1) : key;
        if (!it.value().is_string())
            throw config_error(file + ": manifest." + key + " must be a string, got " + it.value().dump());
        if (!defined.insert(name).second)
            throw config_error(file + ": manifest defines " + name + " twice (with and without '$')");
        pending.emplace_back(name, it.value().template get<std::string>());
    }

    // A manifest entry shadows the builtin of the same name.
    Vars vars = builtins;
    for (const auto& name : defined) vars.erase(name);

    while (!pending.empty()) {
        bool progress = false;
        for (auto p = pending.begin(); p != pending.end();) {
            std::vector<std::string> missing;
            std::string value = replace_references(p->second, vars, missing);
            if (missing.empty()) {
                vars[p->first] = std::move(value);
                p = pending.erase(p);
                progress = true;
            } else {
                ++p;
            }
        }
        if (progress) continue;

        std::vector<std::string> unresolved, undefined;
        for (const auto& [name, raw] : pending) {
            unresolved.push_back(name);
            std::vector<std::string> missing;
            replace_references(raw, vars, missing);
            for (const auto& m : missing)
                if (!defined.count(m) && std::find(undefined.begin(), undefined.end(), m) == undefined.end())
                    undefined.push_back(m);
        }
        std::string msg = file + ": unable to resolve manifest variables " + join_names(unresolved);
        msg += undefined.empty() ? " (they refer to each other in a cycle)"
                                 : " (undefined: " + join_names(undefined) + ")";
        throw config_error(msg);
    }
    return vars;
}

template <class J>
void substitute_node(J& node, const Vars& vars, const std::string& key_path, const std::string& file) {
    if (node.is_string()) {
        std::vector<std::string> missing;
        const std::string& text = node.template get_ref<const std::string&>();
        std::string value = replace_references(text, vars, missing);
        if (!missing.empty())
            throw config_error(file + ": undefined variable " + join_names(missing) + " in " + key_path +
                               " (" + node.dump() + ")");
        node = std::move(value);
    } else if (node.is_object()) {
        for (auto it = node.begin(); it != node.end(); ++it)
            substitute_node(it.value(), vars, key_path.empty() ? it.key() : key_path + "." + it.key(), file);
    } else if (node.is_array()) {
        for (std::size_t i = 0; i < node.size(); ++i)
            substitute_node(node[i], vars, key_path + "[" + std::to_string(i) + "]", file);
    }
}

template <class J>
J substitute(const J& doc, const Vars& builtins, const std::string& file) {
    const Vars vars = resolve_manifest(doc, builtins, file);
    J out = doc;
    if (!out.is_object()) {
        substitute_node(out, vars, "", file);
        return out;
    }
    for (auto it = out.begin(); it != out.end(); ++it)
        if (it.key() != "manifest") substitute_node(it.value(), vars, it.key(), file);
    return out;
}

}  // namespace

Json substitute_manifest(const Json& doc, const std::map<std::string, std::string>& builtins,
                         const std::string& file_for_errors) {
    return substitute(doc, builtins, file_for_errors);
}

nlohmann::ordered_json detail::substitute_manifest(const nlohmann::ordered_json& doc,
                                                   const std::map<std::string, std::string>& builtins,
                                                   const std::string& file_for_errors) {
    return substitute(doc, builtins, file_for_errors);
}

}  // namespace pointsim::config
