// The little JSON sfu-load needs: quoting strings into requests it writes with fmt, and
// reading replies (Janus's REST API) through protobuf's JSON parser into a
// google.protobuf.Value, as confd reads its config. Janus's ids are below 2^53, so a double
// holds them exactly.
#pragma once

#include <conf/status.hpp>

#include <google/protobuf/struct.pb.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sfuload {

using JsonValue = google::protobuf::Value;

// `text` as a JSON string literal, quotes included.
std::string json_quote(std::string_view text);

conf::Result<JsonValue> parse_json(const std::string& text);

// A member of an object, or nullptr when `value` is no object or has no such member.
const JsonValue* json_member(const JsonValue& value, std::string_view key);
// A path of members, e.g. json_path(event, {"plugindata", "data"}).
const JsonValue* json_path(const JsonValue& value, std::initializer_list<std::string_view> keys);
std::string json_string_member(const JsonValue& value, std::string_view key);
std::optional<std::uint64_t> json_uint_member(const JsonValue& value, std::string_view key);

} // namespace sfuload
