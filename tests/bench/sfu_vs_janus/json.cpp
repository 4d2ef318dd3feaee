#include "json.hpp"

#include <fmt/format.h>
#include <google/protobuf/util/json_util.h>

#include <cmath>

namespace sfuload {

std::string json_quote(std::string_view text) {
    std::string quoted = "\"";
    for (char c : text) {
        switch (c) {
        case '"':
            quoted += "\\\"";
            break;
        case '\\':
            quoted += "\\\\";
            break;
        case '\n':
            quoted += "\\n";
            break;
        case '\r':
            quoted += "\\r";
            break;
        case '\t':
            quoted += "\\t";
            break;
        default:
            if (static_cast<unsigned char>(c) < 0x20) {
                quoted += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
            } else {
                quoted += c;
            }
        }
    }
    quoted += '"';
    return quoted;
}

conf::Result<JsonValue> parse_json(const std::string& text) {
    JsonValue value;
    auto status = google::protobuf::util::JsonStringToMessage(text, &value);
    if (!status.ok()) {
        return conf::invalid_argument(
            fmt::format("not JSON ({}): {:.200}", std::string(status.message()), text));
    }
    return value;
}

const JsonValue* json_member(const JsonValue& value, std::string_view key) {
    if (value.kind_case() != JsonValue::kStructValue) {
        return nullptr;
    }
    const auto& fields = value.struct_value().fields();
    auto found = fields.find(std::string(key));
    return found == fields.end() ? nullptr : &found->second;
}

const JsonValue* json_path(const JsonValue& value, std::initializer_list<std::string_view> keys) {
    const JsonValue* at = &value;
    for (std::string_view key : keys) {
        at = json_member(*at, key);
        if (at == nullptr) {
            return nullptr;
        }
    }
    return at;
}

std::string json_string_member(const JsonValue& value, std::string_view key) {
    const JsonValue* member = json_member(value, key);
    return member != nullptr && member->kind_case() == JsonValue::kStringValue
               ? member->string_value()
               : std::string();
}

std::optional<std::uint64_t> json_uint_member(const JsonValue& value, std::string_view key) {
    const JsonValue* member = json_member(value, key);
    if (member == nullptr || member->kind_case() != JsonValue::kNumberValue) {
        return std::nullopt;
    }
    double number = member->number_value();
    if (number < 0 || number > 9007199254740992.0 || std::floor(number) != number) {
        return std::nullopt;
    }
    return static_cast<std::uint64_t>(number);
}

} // namespace sfuload
