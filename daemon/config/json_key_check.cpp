#include "config/json_key_check.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string_view>

namespace conf::daemon {

namespace {

namespace pb = google::protobuf;

void check_object(const pb::Struct& object, const pb::Descriptor& type, const std::string& prefix,
                  std::vector<std::string>& errors);

std::string describe(const pb::Value& value) {
    switch (value.kind_case()) {
    case pb::Value::kNullValue:
        return "null";
    case pb::Value::kNumberValue:
        return fmt::format("{}", value.number_value());
    case pb::Value::kStringValue:
        return fmt::format("\"{}\"", value.string_value());
    case pb::Value::kBoolValue:
        return value.bool_value() ? "true" : "false";
    case pb::Value::kStructValue:
        return "an object";
    case pb::Value::kListValue:
        return "a list";
    default:
        return "nothing";
    }
}

std::string join_path(const std::string& prefix, std::string_view key) {
    return prefix.empty() ? std::string(key) : fmt::format("{}.{}", prefix, key);
}

const pb::FieldDescriptor* find_field(const pb::Descriptor& type, const std::string& key) {
    if (const pb::FieldDescriptor* field = type.FindFieldByName(key)) {
        return field;
    }
    for (int i = 0; i < type.field_count(); ++i) {
        if (type.field(i)->json_name() == key) {
            return type.field(i);
        }
    }
    return nullptr;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) {
        row[j] = j;
    }
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            std::size_t above = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
            diagonal = above;
        }
    }
    return row[b.size()];
}

// " (did you mean "http"?)" for a near miss, or nothing.
std::string suggestion(const pb::Descriptor& type, std::string_view key) {
    std::string best;
    std::size_t best_distance = 3; // more than two edits away is not a typo
    for (int i = 0; i < type.field_count(); ++i) {
        const std::string& name = type.field(i)->name();
        std::size_t distance = edit_distance(key, name);
        if (distance < best_distance && distance < name.size()) {
            best = name;
            best_distance = distance;
        }
    }
    return best.empty() ? std::string() : fmt::format(" (did you mean \"{}\"?)", best);
}

std::string integer_problem(const pb::Value& value, double min, double max) {
    if (value.kind_case() == pb::Value::kNumberValue) {
        double number = value.number_value();
        if (std::floor(number) == number && number >= min && number <= max) {
            return {};
        }
    }
    return fmt::format("expected a whole number {:.0f}..{:.0f}", min, max);
}

// What is wrong with a scalar field's value ("expected a string"), or empty when it fits.
std::string scalar_problem(const pb::Value& value, const pb::FieldDescriptor& field) {
    using Kind = pb::Value::KindCase;
    auto need = [&](Kind kind, std::string_view what) {
        return value.kind_case() == kind ? std::string() : std::string(what);
    };
    switch (field.cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_STRING:
        return need(pb::Value::kStringValue, "expected a string");
    case pb::FieldDescriptor::CPPTYPE_BOOL:
        return need(pb::Value::kBoolValue, "expected true or false");
    case pb::FieldDescriptor::CPPTYPE_FLOAT:
    case pb::FieldDescriptor::CPPTYPE_DOUBLE:
        return need(pb::Value::kNumberValue, "expected a number");
    case pb::FieldDescriptor::CPPTYPE_INT32:
        return integer_problem(value, std::numeric_limits<std::int32_t>::min(),
                               std::numeric_limits<std::int32_t>::max());
    case pb::FieldDescriptor::CPPTYPE_UINT32:
        return integer_problem(value, 0, std::numeric_limits<std::uint32_t>::max());
    case pb::FieldDescriptor::CPPTYPE_INT64:
        return integer_problem(value, -9223372036854775808.0, 9223372036854775807.0);
    case pb::FieldDescriptor::CPPTYPE_UINT64:
        return integer_problem(value, 0, 18446744073709551615.0);
    default:
        return {}; // enums and the rest: left to the protobuf parser
    }
}

void check_single(const pb::Value& value, const pb::FieldDescriptor& field, const std::string& path,
                  std::vector<std::string>& errors) {
    if (value.kind_case() == pb::Value::kNullValue) {
        return;
    }
    if (field.cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE) {
        const pb::Descriptor& type = *field.message_type();
        if (type.file()->package() == "google.protobuf") {
            return; // well-known types have their own JSON forms
        }
        if (value.kind_case() != pb::Value::kStructValue) {
            errors.push_back(fmt::format("{}: expected an object, got {}", path, describe(value)));
            return;
        }
        check_object(value.struct_value(), type, path, errors);
        return;
    }
    if (std::string problem = scalar_problem(value, field); !problem.empty()) {
        errors.push_back(fmt::format("{}: {}, got {}", path, problem, describe(value)));
    }
}

void check_object(const pb::Struct& object, const pb::Descriptor& type, const std::string& prefix,
                  std::vector<std::string>& errors) {
    // Struct's map is unordered; sorting keeps the report stable from run to run.
    std::vector<std::string> keys;
    for (const auto& [key, value] : object.fields()) {
        keys.push_back(key);
    }
    std::sort(keys.begin(), keys.end());
    for (const std::string& key : keys) {
        const pb::Value& value = object.fields().at(key);
        std::string path = join_path(prefix, key);
        const pb::FieldDescriptor* field = find_field(type, key);
        if (field == nullptr) {
            errors.push_back(fmt::format("unknown key \"{}\"{}", path, suggestion(type, key)));
        } else if (field->is_map()) {
            continue; // left to the protobuf parser
        } else if (field->is_repeated()) {
            if (value.kind_case() == pb::Value::kNullValue) {
                continue;
            }
            if (value.kind_case() != pb::Value::kListValue) {
                errors.push_back(fmt::format("{}: expected a list, got {}", path, describe(value)));
                continue;
            }
            const auto& items = value.list_value().values();
            for (int i = 0; i < items.size(); ++i) {
                check_single(items.Get(i), *field, fmt::format("{}[{}]", path, i), errors);
            }
        } else {
            check_single(value, *field, path, errors);
        }
    }
}

} // namespace

std::vector<std::string> check_json_keys(const google::protobuf::Value& json,
                                         const google::protobuf::Descriptor& type) {
    std::vector<std::string> errors;
    if (json.kind_case() != pb::Value::kStructValue) {
        errors.push_back(fmt::format("expected a JSON object at the top, got {}", describe(json)));
        return errors;
    }
    check_object(json.struct_value(), type, "", errors);
    return errors;
}

} // namespace conf::daemon
