// Room protocol messages (docs/protocol.md) to and from JSON text, through the protobuf
// schema in proto/confd/v1/room_protocol.proto: parsing is strict about types and lenient
// about unknown fields (newer clients may send more); printing keeps snake_case names and
// prints every field, so clients never meet a missing key.
#pragma once

#include "auth/join_token.hpp"

#include "confd/v1/room_protocol.pb.h"
#include "room/room.hpp"

#include <conf/signalling.hpp>
#include <conf/status.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace conf::daemon {

// Largest text frame a client may send (an SDP answer is 3-15 KiB).
inline constexpr std::size_t kMaxRoomMessageBytes = 1024 * 1024;

// WebSocket close codes of the protocol.
inline constexpr int kCloseNormal = 1000;
inline constexpr int kCloseTooBig = 1009;
inline constexpr int kCloseProtocol = 4400;
inline constexpr int kCloseUnauthenticated = 4401;
inline constexpr int kCloseForbidden = 4403;
inline constexpr int kCloseNotFound = 4404;
inline constexpr int kCloseConnectionLost = 4408;
inline constexpr int kCloseFull = 4429;
inline constexpr int kCloseShuttingDown = 4503;
inline constexpr int kCloseInternal = 1011;

Result<confd::v1::room::ClientMessage> parse_client_message(std::string_view text);

// Display names: trimmed, 1-64 characters (code points), no control characters.
Result<std::string> valid_display_name(std::string_view name);

std::string welcome_json(const std::string& participant_id, const std::string& room,
                         const std::vector<MemberInfo>& others, const Grants& grants,
                         const std::vector<RecordingInfo>& recordings, bool mixed);
std::string recording_json(const RecordingInfo& recording, bool active);
std::string offer_json(const SessionDescription& offer);
std::string participant_joined_json(const MemberInfo& member);
std::string participant_left_json(const std::string& member_id, const std::string& reason);
std::string track_published_json(const std::string& member_id, const TrackInfo& track);
std::string track_unpublished_json(const std::string& member_id, const std::string& track_id);
std::string track_muted_json(const std::string& member_id, const std::string& track_id, bool muted);
std::string active_speaker_json(const std::string& member_id);
std::string error_json(const Status& error, std::string_view in_reply_to = {});

} // namespace conf::daemon
