#include "http/sdp_fragment.hpp"

#include <fmt/format.h>

namespace conf::daemon {

Result<SdpFragment> parse_sdp_fragment(std::string_view text) {
    SdpFragment fragment;
    int mline = -1;
    size_t line_number = 0;
    while (!text.empty()) {
        size_t end = text.find('\n');
        std::string_view line = text.substr(0, end);
        text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
        ++line_number;
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        if (line.empty()) {
            continue;
        }
        if (line.size() < 2 || line[1] != '=') {
            return invalid_argument(
                fmt::format("sdpfrag line {} is not an SDP line: '{:.40}'", line_number, line));
        }
        if (line.rfind("m=", 0) == 0) {
            ++mline;
        } else if (line.rfind("a=ice-ufrag:", 0) == 0) {
            fragment.ice_ufrag = std::string(line.substr(12));
        } else if (line.rfind("a=candidate:", 0) == 0) {
            // Some clients send bare candidate lines; with BUNDLE they all belong to m-line 0.
            fragment.candidates.push_back(
                {static_cast<unsigned>(mline < 0 ? 0 : mline), std::string(line.substr(2))});
        } else if (line == "a=end-of-candidates") {
            fragment.end_of_candidates = true;
        }
    }
    return fragment;
}

} // namespace conf::daemon
