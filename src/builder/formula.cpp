#include "builder/formula.hpp"

#include <algorithm>
#include <cctype>

#include <muParser.h>

#include "common/error.hpp"

namespace pointsim::builder {

namespace {

void define_all(mu::Parser& parser, const std::vector<std::string>& names, double* slots) {
    for (std::size_t i = 0; i < names.size(); ++i) parser.DefineVar(names[i], &slots[i]);
}

}  // namespace

Formula::Formula(std::string text, std::vector<std::string> names, const std::string& where)
    : text_(std::move(text)), names_(std::move(names)) {
    std::vector<double> slots(names_.size(), 1.0);
    mu::Parser parser;
    try {
        define_all(parser, names_, slots.data());
        parser.SetExpr(text_);
        parser.Eval();  // parses; muParser reports unknown names here
        for (const auto& [name, ptr] : parser.GetUsedVar()) used_.push_back(name);
    } catch (const mu::Parser::exception_type& e) {
        std::string reason = e.GetMsg();
        const std::string token = e.GetToken();
        const bool name_like = !token.empty() && (std::isalpha(static_cast<unsigned char>(token[0])) || token[0] == '_');
        if (e.GetCode() == mu::ecUNASSIGNABLE_TOKEN && !name_like) {
            reason = "unexpected '" + token.substr(0, token.find(' ')) + "' at position " + std::to_string(e.GetPos() + 1);
        } else if (e.GetCode() == mu::ecUNASSIGNABLE_TOKEN) {
            std::string known;
            for (const auto& n : names_) known += (known.empty() ? "" : ", ") + n;
            reason = "unknown name '" + e.GetToken() + "' at position " + std::to_string(e.GetPos() + 1) +
                     " (names here: " + (known.empty() ? "none" : known) + ")";
        }
        throw config_error(where + ": formula '" + text_ + "': " + reason);
    }
}

bool Formula::uses(const std::string& name) const {
    return std::find(used_.begin(), used_.end(), name) != used_.end();
}

struct Evaluator::Impl {
    mu::Parser parser;
};

Evaluator::Evaluator(const Formula& formula)
    : vars_(new double[formula.names().size() + 1]()), impl_(std::make_unique<Impl>()) {
    define_all(impl_->parser, formula.names(), vars_.get());
    impl_->parser.SetExpr(formula.text());
}

Evaluator::~Evaluator() = default;
Evaluator::Evaluator(Evaluator&&) noexcept = default;
Evaluator& Evaluator::operator=(Evaluator&&) noexcept = default;

double Evaluator::eval() { return impl_->parser.Eval(); }

}  // namespace pointsim::builder
