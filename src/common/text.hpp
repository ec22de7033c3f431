#pragma once
// Numbers in messages as people write them: a double as an output stream
// shows it by default (6 significant digits, no trailing zeros: 100, 0.25,
// 1e+300), not std::to_string's fixed "100.000000".
#include <sstream>
#include <string>

namespace pointsim {

inline std::string number_text(double v) {
    std::ostringstream s;
    s << v;
    return s.str();
}

}  // namespace pointsim
