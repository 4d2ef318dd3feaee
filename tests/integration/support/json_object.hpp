// Parses JSON in tests with protobuf's JSON parser (not confd's code path), into a Struct.
#pragma once

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <stdexcept>
#include <string>

namespace conf::test {

inline google::protobuf::Struct parse_json_object(const std::string& text) {
    google::protobuf::Struct object;
    auto status = google::protobuf::util::JsonStringToMessage(text, &object);
    if (!status.ok()) {
        throw std::runtime_error("not a JSON object: " + status.ToString() + "\n" + text);
    }
    return object;
}

// object[key]; throws if the key is missing.
inline const google::protobuf::Value& json_at(const google::protobuf::Struct& object,
                                              const std::string& key) {
    auto it = object.fields().find(key);
    if (it == object.fields().end()) {
        throw std::runtime_error("no key \"" + key + "\" in JSON object");
    }
    return it->second;
}

} // namespace conf::test
