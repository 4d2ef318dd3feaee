// Trickle ICE SDP fragments (RFC 8840, `application/trickle-ice-sdpfrag`), as WHIP and WHEP
// clients PATCH them: candidates, each under the m-line (by a=mid or order) it belongs to.
#pragma once

#include <conf/signalling.hpp>
#include <conf/status.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace conf::daemon {

struct SdpFragment {
    std::string ice_ufrag; // empty when the fragment does not say
    std::vector<IceCandidate> candidates;
    bool end_of_candidates = false;
};

// kInvalidArgument for text that is not SDP lines. Candidates before any m= line count as
// m-line 0 (the BUNDLE transport).
Result<SdpFragment> parse_sdp_fragment(std::string_view text);

} // namespace conf::daemon
