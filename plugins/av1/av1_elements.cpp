#include "av1_elements.hpp"

#include "rtp_av1_depay.hpp"
#include "rtp_av1_pay.hpp"

#include <gst/gst.h>

namespace conf::av1 {

bool register_elements(std::string& error) {
    if (gst_element_register(nullptr, kPayloaderName, GST_RANK_NONE, CONF_TYPE_RTP_AV1_PAY) ==
        FALSE) {
        error = std::string("cannot register ") + kPayloaderName;
        return false;
    }
    if (gst_element_register(nullptr, kDepayloaderName, GST_RANK_NONE, CONF_TYPE_RTP_AV1_DEPAY) ==
        FALSE) {
        error = std::string("cannot register ") + kDepayloaderName;
        return false;
    }
    return true;
}

} // namespace conf::av1
