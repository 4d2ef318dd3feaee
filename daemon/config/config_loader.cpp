#include "config/config_loader.hpp"

#include "config/default_config.hpp"
#include "config/json_key_check.hpp"

#include <fmt/format.h>
#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>
#include <google/protobuf/util/json_util.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

namespace conf::daemon {

namespace {

namespace pb = google::protobuf;
using ::confd::v1::Config;

// Layers merge field by field (defaults < file < flags), except that a list given by a layer
// replaces the list below it: protobuf's MergeFrom would append, and an operator who writes
// "ice_addresses": ["::1"] means only ::1.
void clear_replaced_lists(google::protobuf::Message& base, const google::protobuf::Message& layer) {
    const google::protobuf::Descriptor* type = base.GetDescriptor();
    const google::protobuf::Reflection* base_reflection = base.GetReflection();
    const google::protobuf::Reflection* layer_reflection = layer.GetReflection();
    for (int i = 0; i < type->field_count(); ++i) {
        const google::protobuf::FieldDescriptor* field = type->field(i);
        if (field->is_repeated()) {
            if (layer_reflection->FieldSize(layer, field) > 0) {
                base_reflection->ClearField(&base, field);
            }
        } else if (field->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE &&
                   layer_reflection->HasField(layer, field)) {
            clear_replaced_lists(*base_reflection->MutableMessage(&base, field),
                                 layer_reflection->GetMessage(layer, field));
        }
    }
}

void merge_layer(Config& base, const Config& layer) {
    clear_replaced_lists(base, layer);
    base.MergeFrom(layer);
}

Status config_errors(std::string_view origin, const std::vector<std::string>& problems) {
    std::string message;
    for (const std::string& problem : problems) {
        message += fmt::format("{}{}: {}", message.empty() ? "" : "\n", origin, problem);
    }
    return invalid_argument(std::move(message));
}

// protobuf's JSON messages may carry a caret diagram on further lines; the first line is
// the sentence.
std::string first_line(std::string_view text) {
    return std::string(text.substr(0, text.find('\n')));
}

Result<Config> parse_json(std::string_view text, std::string_view origin) {
    // Parse into a generic JSON value first, so unknown keys and wrong types are reported
    // with full key paths (see json_key_check.hpp).
    pb::Value json;
    if (auto status = pb::util::JsonStringToMessage(text, &json); !status.ok()) {
        return config_errors(
            origin, {fmt::format("invalid JSON: {}", first_line(status.message().as_string()))});
    }
    if (auto problems = check_json_keys(json, *Config::descriptor()); !problems.empty()) {
        return config_errors(origin, problems);
    }
    Config config;
    pb::util::JsonParseOptions options;
    options.ignore_unknown_fields = false;
    if (auto status = pb::util::JsonStringToMessage(text, &config, options); !status.ok()) {
        return config_errors(origin, {first_line(status.message().as_string())});
    }
    return config;
}

// The key path under Config at which messages of type `full_name` sit ("http" for
// confd.v1.HttpConfig), or empty for Config itself and for types not found.
std::string key_path_of_type(const pb::Descriptor& type, std::string_view full_name,
                             const std::string& prefix) {
    for (int i = 0; i < type.field_count(); ++i) {
        const pb::FieldDescriptor* field = type.field(i);
        if (field->message_type() == nullptr) {
            continue;
        }
        std::string path = prefix.empty() ? field->name() : prefix + "." + field->name();
        if (field->message_type()->full_name() == full_name) {
            return path;
        }
        if (std::string found = key_path_of_type(*field->message_type(), full_name, path);
            !found.empty()) {
            return found;
        }
    }
    return {};
}

// Rewrites protobuf's 'Message type "confd.v1.HttpConfig" has no field named "lisen".' as
// 'unknown key "http.lisen"', the wording the JSON path uses; other messages pass as-is.
std::string text_format_problem(const std::string& message) {
    constexpr std::string_view kType = "Message type \"";
    constexpr std::string_view kField = "\" has no field named \"";
    auto field_at = message.find(kField);
    if (!message.starts_with(kType) || field_at == std::string::npos) {
        return message;
    }
    std::string type = message.substr(kType.size(), field_at - kType.size());
    std::string rest = message.substr(field_at + kField.size());
    std::string key = rest.substr(0, rest.find('"'));
    std::string prefix = key_path_of_type(*Config::descriptor(), type, "");
    return fmt::format("unknown key \"{}{}{}\"", prefix, prefix.empty() ? "" : ".", key);
}

// Collects "FILE:LINE:COLUMN: problem" lines, the form editors jump to.
class TextFormatErrors : public pb::io::ErrorCollector {
  public:
    explicit TextFormatErrors(std::string_view origin) : origin_(origin) {}
    void AddError(int line, int column, const std::string& message) override {
        // protobuf counts lines and columns from 0; editors count from 1.
        message_ += fmt::format("{}{}:{}:{}: {}", message_.empty() ? "" : "\n", origin_, line + 1,
                                column + 1, text_format_problem(message));
    }
    Status status() const {
        return invalid_argument(message_.empty()
                                    ? fmt::format("{}: not valid protobuf text format", origin_)
                                    : message_);
    }

  private:
    std::string origin_;
    std::string message_;
};

Result<Config> parse_text_format(std::string_view text, std::string_view origin) {
    Config config;
    TextFormatErrors errors(origin);
    pb::TextFormat::Parser parser;
    parser.RecordErrorsTo(&errors);
    if (!parser.ParseFromString(std::string(text), &config)) {
        return errors.status();
    }
    return config;
}

Result<std::string> read_file(const std::filesystem::path& file) {
    std::error_code ec;
    if (std::filesystem::is_directory(file, ec)) {
        return invalid_argument(fmt::format("cannot read {}: it is a directory", file.string()));
    }
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        return invalid_argument(
            fmt::format("cannot read {}: {}", file.string(), std::strerror(errno)));
    }
    std::ostringstream contents;
    contents << in.rdbuf();
    if (in.bad()) {
        return invalid_argument(
            fmt::format("cannot read {}: {}", file.string(), std::strerror(errno)));
    }
    return contents.str();
}

} // namespace

Result<ConfigFormat> config_format_for(const std::filesystem::path& file) {
    std::string extension = file.extension().string();
    if (extension == ".json") {
        return ConfigFormat::kJson;
    }
    if (extension == ".textproto" || extension == ".pbtxt") {
        return ConfigFormat::kTextProto;
    }
    return invalid_argument(fmt::format(
        "{}: unknown config format \"{}\"; name the file *.json, *.textproto or *.pbtxt",
        file.string(), extension));
}

Result<Config> parse_config(std::string_view text, ConfigFormat format, std::string_view origin) {
    return format == ConfigFormat::kJson ? parse_json(text, origin)
                                         : parse_text_format(text, origin);
}

Result<Config> load_config(const std::optional<std::filesystem::path>& file,
                           const Config& overrides) {
    auto defaults = parse_config(default_config_json(), ConfigFormat::kJson, "built-in defaults");
    if (!defaults.is_ok()) {
        // The defaults are checked by the tests; reaching this is a build defect.
        return internal_error(defaults.status().message());
    }
    Config config = std::move(defaults).value();
    if (file) {
        auto format = config_format_for(*file);
        if (!format.is_ok()) {
            return format.status();
        }
        auto text = read_file(*file);
        if (!text.is_ok()) {
            return text.status();
        }
        auto from_file = parse_config(*text, *format, file->string());
        if (!from_file.is_ok()) {
            return from_file.status();
        }
        merge_layer(config, *from_file);
    }
    merge_layer(config, overrides);
    return config;
}

} // namespace conf::daemon
