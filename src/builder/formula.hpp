#pragma once
// Formulas in recipes ("p": "0.3 * exp(-distance / 50)", a per-edge delay
// "1 + distance / 300"), parsed and evaluated by muParser (Debian's
// libmuparser-dev): + - * / ^, comparisons, ?:, sin cos tan exp log sqrt abs
// min max sum avg rint sign, and the constants _pi and _e.
//
// A Formula is checked once against the names it may use; each thread then
// makes its own Evaluator (muParser objects are not shareable).
#include <memory>
#include <string>
#include <vector>

namespace pointsim::builder {

class Formula {
public:
    // Throws config_error "<where>: formula '<text>': <reason>" when the text
    // does not parse or uses a name outside `names`.
    Formula(std::string text, std::vector<std::string> names, const std::string& where);

    const std::string& text() const { return text_; }
    const std::vector<std::string>& names() const { return names_; }
    // Whether the formula reads `name`.
    bool uses(const std::string& name) const;

private:
    std::string text_;
    std::vector<std::string> names_;
    std::vector<std::string> used_;
};

class Evaluator {
public:
    explicit Evaluator(const Formula& formula);
    ~Evaluator();
    Evaluator(Evaluator&&) noexcept;
    Evaluator& operator=(Evaluator&&) noexcept;

    // The variable slots, in the order of formula.names(): set, then eval().
    double* vars() { return vars_.get(); }
    double eval();

private:
    struct Impl;
    std::unique_ptr<double[]> vars_;
    std::unique_ptr<Impl> impl_;
};

}  // namespace pointsim::builder
