#include "auth/join_token.hpp"

#include "auth/primitives.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <glib.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <utility>

namespace conf::daemon {

namespace {

namespace pb = google::protobuf;
using Clock = std::chrono::system_clock;

constexpr std::size_t kMinSecretSize = 32;
// A key file is one key; anything bigger is the wrong file.
constexpr std::size_t kMaxKeyFileSize = 64 * 1024;
constexpr std::size_t kEd25519SignatureSize = 64;
// NumericDates (seconds since the epoch) past 2200-01-01 are refused: system_clock counts
// nanoseconds in 64 bits, which end in 2262.
constexpr double kMaxNumericDate = 7258118400.0;

constexpr std::string_view kHs256Header = R"({"alg":"HS256","typ":"JWT"})";
constexpr std::string_view kEdDsaHeader = R"({"alg":"EdDSA","typ":"JWT"})";

Status rejected(std::string_view reason) {
    return {StatusCode::kUnauthenticated, fmt::format("join token: {}", reason)};
}

struct FileClose {
    void operator()(std::FILE* file) const noexcept { std::fclose(file); }
};
struct OpenSslFree {
    void operator()(BIO* bio) const noexcept { BIO_free(bio); }
    void operator()(EVP_MD_CTX* context) const noexcept { EVP_MD_CTX_free(context); }
};
template <typename T>
using OsslPtr = std::unique_ptr<T, OpenSslFree>;
struct GFree {
    void operator()(gchar* p) const noexcept { g_free(p); }
};

// Key file contents are wiped once used.
struct Secret {
    std::string bytes;
    Secret() = default;
    Secret(const Secret&) = delete;
    Secret& operator=(const Secret&) = delete;
    ~Secret() { OPENSSL_cleanse(bytes.data(), bytes.size()); }
};

std::string quoted(const std::filesystem::path& path) {
    return fmt::format("\"{}\"", path.string());
}

Status read_key_file(const std::filesystem::path& path, Secret& out) {
    std::unique_ptr<std::FILE, FileClose> file(std::fopen(path.c_str(), "rb"));
    if (!file) {
        return invalid_argument(
            fmt::format("join token key file {}: {}", quoted(path), std::strerror(errno)));
    }
    // One allocation up front, so no copy of the key is left behind in freed memory.
    out.bytes.resize(kMaxKeyFileSize + 1);
    std::size_t size = std::fread(out.bytes.data(), 1, out.bytes.size(), file.get());
    if (std::ferror(file.get())) {
        int error = errno;
        return invalid_argument(
            fmt::format("join token key file {}: {}", quoted(path), std::strerror(error)));
    }
    if (size > kMaxKeyFileSize) {
        return invalid_argument(
            fmt::format("join token key file {} is larger than {} KiB; it should hold one key",
                        quoted(path), kMaxKeyFileSize / 1024));
    }
    OPENSSL_cleanse(out.bytes.data() + size, out.bytes.size() - size);
    out.bytes.resize(size);
    return Status::ok();
}

// PEM files with a passphrase are refused rather than prompted for on the terminal.
int refuse_passphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*u*/) noexcept {
    return -1;
}

std::string utc_time(Clock::time_point time) {
    std::time_t seconds = Clock::to_time_t(time);
    return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(seconds));
}

std::int64_t numeric_date(Clock::time_point time) {
    return std::chrono::floor<std::chrono::seconds>(time.time_since_epoch()).count();
}

std::optional<Clock::time_point> parse_numeric_date(const pb::Value& value) {
    if (value.kind_case() != pb::Value::kNumberValue) {
        return std::nullopt;
    }
    double seconds = value.number_value();
    if (!(seconds >= 0 && seconds <= kMaxNumericDate)) {
        return std::nullopt;
    }
    return Clock::time_point(std::chrono::duration_cast<Clock::duration>(
        std::chrono::seconds(static_cast<std::int64_t>(std::floor(seconds)))));
}

std::optional<pb::Struct> parse_json_object(std::string_view text) {
    pb::Struct object;
    pb::util::JsonParseOptions options;
    options.ignore_unknown_fields = true;
    if (!pb::util::JsonStringToMessage(pb::StringPiece(text.data(), text.size()), &object, options)
             .ok()) {
        return std::nullopt;
    }
    return object;
}

const pb::Value* field(const pb::Struct& object, const std::string& name) {
    auto it = object.fields().find(name);
    return it == object.fields().end() ? nullptr : &it->second;
}

// A string claim that must be present and non-empty.
std::optional<std::string> required_string(const pb::Struct& claims, const std::string& name) {
    const pb::Value* value = field(claims, name);
    if (value == nullptr || value->kind_case() != pb::Value::kStringValue ||
        value->string_value().empty()) {
        return std::nullopt;
    }
    return value->string_value();
}

// An optional string claim: "" when absent, nullopt when present but not a string.
std::optional<std::string> optional_string(const pb::Struct& claims, const std::string& name) {
    const pb::Value* value = field(claims, name);
    if (value == nullptr) {
        return std::string();
    }
    if (value->kind_case() != pb::Value::kStringValue) {
        return std::nullopt;
    }
    return value->string_value();
}

std::optional<Grants> parse_grants(const pb::Value* value) {
    Grants grants;
    if (value == nullptr) {
        return grants;
    }
    if (value->kind_case() != pb::Value::kStructValue) {
        return std::nullopt;
    }
    for (const auto& [name, grant] : value->struct_value().fields()) {
        if (grant.kind_case() != pb::Value::kBoolValue) {
            return std::nullopt;
        }
        // Grants confd does not know are ignored: they grant nothing here.
        if (name == "publish") {
            grants.publish = grant.bool_value();
        } else if (name == "subscribe") {
            grants.subscribe = grant.bool_value();
        } else if (name == "record") {
            grants.record = grant.bool_value();
        } else if (name == "admin") {
            grants.admin = grant.bool_value();
        }
    }
    return grants;
}

// An alg value fit to repeat in a message: a short word like "none" or "RS256". Anything
// else is the attacker's text and stays out of logs.
bool is_printable_alg(const std::string& alg) {
    return !alg.empty() && alg.size() <= 16 &&
           std::all_of(alg.begin(), alg.end(), [](char c) { return g_ascii_isalnum(c); });
}

// protobuf refuses strings that are not UTF-8; sign() has no way to fail, so they are mended.
std::string valid_utf8(const std::string& text) {
    if (g_utf8_validate(text.data(), static_cast<gssize>(text.size()), nullptr)) {
        return text;
    }
    std::unique_ptr<gchar, GFree> valid(
        g_utf8_make_valid(text.data(), static_cast<gssize>(text.size())));
    return valid.get();
}

} // namespace

std::optional<TokenAlgorithm> parse_token_algorithm(std::string_view text) {
    if (text == "HS256") {
        return TokenAlgorithm::kHs256;
    }
    if (text == "EdDSA") {
        return TokenAlgorithm::kEdDsa;
    }
    return std::nullopt;
}

std::string_view to_string(TokenAlgorithm algorithm) {
    switch (algorithm) {
    case TokenAlgorithm::kHs256:
        return "HS256";
    case TokenAlgorithm::kEdDsa:
        return "EdDSA";
    }
    return "unknown";
}

std::string new_token_id() {
    std::array<unsigned char, 16> bytes{};
    random_bytes(bytes);
    return base64url_encode(bytes);
}

void JoinTokenSigner::KeyFree::operator()(EVP_PKEY* key) const noexcept {
    EVP_PKEY_free(key);
}

JoinTokenSigner::JoinTokenSigner(TokenAlgorithm algorithm, std::string secret,
                                 std::unique_ptr<EVP_PKEY, KeyFree> key)
    : algorithm_(algorithm), secret_(std::move(secret)), key_(std::move(key)) {}

JoinTokenSigner::~JoinTokenSigner() {
    OPENSSL_cleanse(secret_.data(), secret_.size());
}

Result<std::unique_ptr<JoinTokenSigner>>
JoinTokenSigner::from_file(TokenAlgorithm algorithm, const std::filesystem::path& key_file) {
    Secret contents;
    if (Status status = read_key_file(key_file, contents); !status.is_ok()) {
        return status;
    }

    if (algorithm == TokenAlgorithm::kHs256) {
        std::string_view secret = trim_whitespace(contents.bytes);
        // A PEM key (an Ed25519 public key above all) must never become an HMAC secret.
        if (secret.starts_with("-----BEGIN")) {
            return invalid_argument(fmt::format(
                "join token key file {} holds a PEM key, but the algorithm is HS256, which "
                "takes a secret (for example `openssl rand -base64 48 > FILE`); for an Ed25519 "
                "key set the algorithm to EdDSA",
                quoted(key_file)));
        }
        if (secret.size() < kMinSecretSize) {
            return invalid_argument(fmt::format(
                "join token key file {} holds a secret of {} bytes (surrounding whitespace "
                "trimmed); HS256 needs at least {} (for example `openssl rand -base64 48 > FILE`)",
                quoted(key_file), secret.size(), kMinSecretSize));
        }
        return std::unique_ptr<JoinTokenSigner>(
            new JoinTokenSigner(algorithm, std::string(secret), nullptr));
    }

    constexpr std::string_view kEd25519Hint =
        "EdDSA takes an unencrypted Ed25519 private key in PEM, as `openssl genpkey -algorithm "
        "ed25519 -out FILE` writes it";
    OsslPtr<BIO> bio(
        BIO_new_mem_buf(contents.bytes.data(), static_cast<int>(contents.bytes.size())));
    if (!bio) {
        crypto_failure("BIO_new_mem_buf");
    }
    std::unique_ptr<EVP_PKEY, KeyFree> key(
        PEM_read_bio_PrivateKey(bio.get(), nullptr, refuse_passphrase, nullptr));
    ERR_clear_error();
    if (!key) {
        bool encrypted = contents.bytes.find("ENCRYPTED") != std::string::npos;
        return invalid_argument(fmt::format("join token key file {} {}; {}", quoted(key_file),
                                            encrypted ? "holds a key protected by a passphrase"
                                                      : "does not hold a PEM private key",
                                            kEd25519Hint));
    }
    if (!EVP_PKEY_is_a(key.get(), "ED25519")) {
        const char* type = EVP_PKEY_get0_type_name(key.get());
        return invalid_argument(
            fmt::format("join token key file {} holds a key of type {}, not Ed25519; {}",
                        quoted(key_file), type != nullptr ? type : "unknown", kEd25519Hint));
    }
    return std::unique_ptr<JoinTokenSigner>(new JoinTokenSigner(algorithm, {}, std::move(key)));
}

std::unique_ptr<JoinTokenSigner> JoinTokenSigner::ephemeral() {
    std::string secret(kMinSecretSize, '\0');
    random_bytes(std::span(reinterpret_cast<unsigned char*>(secret.data()), secret.size()));
    return std::unique_ptr<JoinTokenSigner>(
        new JoinTokenSigner(TokenAlgorithm::kHs256, std::move(secret), nullptr));
}

std::string JoinTokenSigner::public_key_pem() const {
    if (!key_) {
        return {};
    }
    OsslPtr<BIO> bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_PUBKEY(bio.get(), key_.get()) != 1) {
        crypto_failure("writing the public key");
    }
    char* data = nullptr;
    long size = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(size));
}

std::string JoinTokenSigner::signature(std::string_view signing_input) const {
    if (algorithm_ == TokenAlgorithm::kHs256) {
        std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
        unsigned int size = 0;
        if (HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
                 reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size(),
                 mac.data(), &size) == nullptr) {
            crypto_failure("HMAC-SHA256");
        }
        return std::string(reinterpret_cast<const char*>(mac.data()), size);
    }
    OsslPtr<EVP_MD_CTX> context(EVP_MD_CTX_new());
    std::string signature(kEd25519SignatureSize, '\0');
    std::size_t size = signature.size();
    if (!context || EVP_DigestSignInit(context.get(), nullptr, nullptr, nullptr, key_.get()) != 1 ||
        EVP_DigestSign(context.get(), reinterpret_cast<unsigned char*>(signature.data()), &size,
                       reinterpret_cast<const unsigned char*>(signing_input.data()),
                       signing_input.size()) != 1) {
        crypto_failure("Ed25519 signing");
    }
    signature.resize(size);
    return signature;
}

bool JoinTokenSigner::signature_verifies(std::string_view signing_input,
                                         std::string_view signature) const {
    if (algorithm_ == TokenAlgorithm::kHs256) {
        std::string expected = this->signature(signing_input);
        return signature.size() == expected.size() &&
               CRYPTO_memcmp(signature.data(), expected.data(), expected.size()) == 0;
    }
    if (signature.size() != kEd25519SignatureSize) {
        return false;
    }
    OsslPtr<EVP_MD_CTX> context(EVP_MD_CTX_new());
    if (!context ||
        EVP_DigestVerifyInit(context.get(), nullptr, nullptr, nullptr, key_.get()) != 1) {
        crypto_failure("Ed25519 verification");
    }
    bool verifies =
        EVP_DigestVerify(context.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                         signature.size(),
                         reinterpret_cast<const unsigned char*>(signing_input.data()),
                         signing_input.size()) == 1;
    ERR_clear_error();
    return verifies;
}

std::string JoinTokenSigner::sign(const JoinClaims& claims) const {
    pb::Struct body;
    auto& fields = *body.mutable_fields();
    fields["iss"].set_string_value("confd");
    fields["sub"].set_string_value(valid_utf8(claims.identity));
    fields["room"].set_string_value(valid_utf8(claims.room));
    if (!claims.name.empty()) {
        fields["name"].set_string_value(valid_utf8(claims.name));
    }
    auto& grants = *fields["grants"].mutable_struct_value()->mutable_fields();
    grants["publish"].set_bool_value(claims.grants.publish);
    grants["subscribe"].set_bool_value(claims.grants.subscribe);
    grants["record"].set_bool_value(claims.grants.record);
    grants["admin"].set_bool_value(claims.grants.admin);
    fields["exp"].set_number_value(static_cast<double>(numeric_date(claims.expires)));
    if (claims.issued != Clock::time_point()) {
        fields["iat"].set_number_value(static_cast<double>(numeric_date(claims.issued)));
    }
    fields["jti"].set_string_value(claims.id.empty() ? new_token_id() : valid_utf8(claims.id));

    std::string json;
    if (!pb::util::MessageToJsonString(body, &json).ok()) {
        crypto_failure("writing the join token claims as JSON");
    }
    std::string_view header = algorithm_ == TokenAlgorithm::kHs256 ? kHs256Header : kEdDsaHeader;
    std::string token = base64url_encode(header) + "." + base64url_encode(json);
    std::string mac = signature(token);
    token += ".";
    token += base64url_encode(mac);
    return token;
}

Result<JoinClaims> JoinTokenSigner::verify(std::string_view token, Clock::time_point now,
                                           std::chrono::seconds leeway) const {
    if (token.size() > kMaxJoinTokenSize) {
        return rejected(fmt::format("longer than {} KiB", kMaxJoinTokenSize / 1024));
    }
    if (token.empty()) {
        return rejected("empty");
    }
    if (std::count(token.begin(), token.end(), '.') != 2) {
        return rejected("malformed (not three base64url parts)");
    }
    const std::size_t first_dot = token.find('.');
    const std::size_t second_dot = token.find('.', first_dot + 1);
    const std::string_view header_part = token.substr(0, first_dot);
    const std::string_view claims_part = token.substr(first_dot + 1, second_dot - first_dot - 1);
    const std::string_view signature_part = token.substr(second_dot + 1);
    const std::string_view signing_input = token.substr(0, second_dot);

    // The header decides nothing: its alg must be ours, before any signature work.
    std::optional<std::string> header_json = base64url_decode(header_part);
    if (!header_json) {
        return rejected("malformed (header is not base64url)");
    }
    std::optional<pb::Struct> header = parse_json_object(*header_json);
    if (!header) {
        return rejected("malformed (header is not a JSON object)");
    }
    const pb::Value* alg = field(*header, "alg");
    if (alg == nullptr || alg->kind_case() != pb::Value::kStringValue) {
        return rejected("malformed (header has no alg)");
    }
    if (alg->string_value() != to_string(algorithm_)) {
        const std::string& name = alg->string_value();
        return rejected(
            fmt::format("algorithm {}is not accepted (confd signs with {})",
                        is_printable_alg(name) ? fmt::format("\"{}\" ", name) : std::string(),
                        to_string(algorithm_)));
    }
    // RFC 7515 §4.1.11: extensions marked critical that we do not implement (all) fail.
    if (field(*header, "crit") != nullptr) {
        return rejected("critical header extensions are not supported");
    }

    std::optional<std::string> signature = base64url_decode(signature_part);
    if (!signature) {
        return rejected("malformed (signature is not base64url)");
    }
    if (!signature_verifies(signing_input, *signature)) {
        return rejected("signature does not verify");
    }

    std::optional<std::string> claims_json = base64url_decode(claims_part);
    if (!claims_json) {
        return rejected("malformed (claims are not base64url)");
    }
    std::optional<pb::Struct> body = parse_json_object(*claims_json);
    if (!body) {
        return rejected("malformed (claims are not a JSON object)");
    }

    JoinClaims claims;
    const pb::Value* exp = field(*body, "exp");
    if (exp == nullptr) {
        return rejected("no exp claim");
    }
    std::optional<Clock::time_point> expires = parse_numeric_date(*exp);
    if (!expires) {
        return rejected("exp is not a NumericDate (seconds since 1970 as a number)");
    }
    if (*expires <= now - leeway) {
        return rejected(fmt::format("expired at {}", utc_time(*expires)));
    }
    claims.expires = *expires;
    if (const pb::Value* nbf = field(*body, "nbf")) {
        std::optional<Clock::time_point> not_before = parse_numeric_date(*nbf);
        if (!not_before) {
            return rejected("nbf is not a NumericDate (seconds since 1970 as a number)");
        }
        if (*not_before > now + leeway) {
            return rejected(fmt::format("not valid before {}", utc_time(*not_before)));
        }
    }
    if (const pb::Value* iat = field(*body, "iat")) {
        std::optional<Clock::time_point> issued = parse_numeric_date(*iat);
        if (!issued) {
            return rejected("iat is not a NumericDate (seconds since 1970 as a number)");
        }
        claims.issued = *issued;
    }

    std::optional<std::string> room = required_string(*body, "room");
    if (!room) {
        return rejected("no room claim (a non-empty string)");
    }
    claims.room = std::move(*room);
    std::optional<std::string> identity = required_string(*body, "sub");
    if (!identity) {
        return rejected("no sub claim (a non-empty string)");
    }
    claims.identity = std::move(*identity);
    std::optional<std::string> name = optional_string(*body, "name");
    if (!name) {
        return rejected("name is not a string");
    }
    claims.name = std::move(*name);
    std::optional<std::string> id = optional_string(*body, "jti");
    if (!id) {
        return rejected("jti is not a string");
    }
    claims.id = std::move(*id);
    std::optional<Grants> grants = parse_grants(field(*body, "grants"));
    if (!grants) {
        return rejected("grants is not an object of true/false values");
    }
    claims.grants = *grants;
    return claims;
}

} // namespace conf::daemon
