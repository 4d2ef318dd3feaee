// Finding a sine tone in decoded audio: how the mixing tests tell voices apart (each test
// voice is a tone of its own frequency).
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

namespace conf::test {

// Power of `frequency` in `x` (Goertzel; `x` at `rate` Hz), as a fraction of full scale, dB.
inline double tone_db(const std::vector<float>& x, double frequency, double rate = 48000.0) {
    if (x.empty()) {
        return -300.0;
    }
    const double w = 2.0 * M_PI * frequency / rate;
    const double coefficient = 2.0 * std::cos(w);
    double s1 = 0.0;
    double s2 = 0.0;
    for (float v : x) {
        double s0 = v + coefficient * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    double power = (s1 * s1 + s2 * s2 - coefficient * s1 * s2) /
                   (static_cast<double>(x.size()) * static_cast<double>(x.size()));
    return 10.0 * std::log10(std::max(power, 1e-30));
}

} // namespace conf::test
