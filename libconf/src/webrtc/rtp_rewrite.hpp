// RTP rewriting for one subscriber: what a forwarded packet must look like on the
// subscriber's m-line. Its payload type becomes the one negotiated with the subscriber, and
// its header extensions go: their ids were negotiated with the publisher, not with the
// subscriber (a receiver would read the publisher's "mid" or "transport-cc" id as whatever
// that id means on its own m-line). A packet that needs neither is passed on as it is, with
// no copy; otherwise the copy is one new header plus the payload.
#pragma once

#include "core/g_ref.hpp"

#include <gst/gst.h>

namespace conf {

// `rtp` is borrowed. The result shares nothing writable with it.
GRef<GstBuffer> rewrite_for_subscriber(GstBuffer* rtp, guint8 payload_type);

} // namespace conf
