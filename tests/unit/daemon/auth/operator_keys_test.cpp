// Operator keys: the hash format of the config, key generation, and authorize() for every
// kind of authorization value a gRPC client might send.
#include "auth/operator_keys.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <memory>
#include <string>

using Catch::Matchers::Contains;
using conf::StatusCode;
using conf::daemon::generate_key;
using conf::daemon::hash_key;
using conf::daemon::KeyHash;
using conf::daemon::OperatorKey;
using conf::daemon::OperatorKeyring;
using conf::daemon::parse_key_hash;
using conf::daemon::Scope;

namespace {

const std::string kAbcHash =
    "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

KeyHash hash_of(const std::string& key) {
    auto hash = parse_key_hash(hash_key(key));
    REQUIRE(hash.is_ok());
    return *hash;
}

// What coreutils says, for a key that needs no shell quoting beyond single quotes.
std::string sha256sum_of(const std::string& key) {
    std::string command = "printf %s '" + key + "' | sha256sum";
    std::unique_ptr<FILE, decltype(&pclose)> pipe(popen(command.c_str(), "r"), &pclose);
    REQUIRE(pipe);
    char line[128] = {};
    REQUIRE(std::fgets(line, sizeof(line), pipe.get()) != nullptr);
    return std::string(line).substr(0, 64);
}

void check_bad_hash(const std::string& text, const std::string& reason) {
    auto hash = parse_key_hash(text);
    REQUIRE_FALSE(hash.is_ok());
    INFO("message: " << hash.status().message());
    CHECK(hash.status().code() == StatusCode::kInvalidArgument);
    CHECK_THAT(hash.status().message(), Contains(reason));
    CHECK_THAT(hash.status().message(), Contains("confd --hash-key"));
    // The text is not repeated: it may be a key pasted in the wrong place.
    if (text.size() > 8) {
        CHECK_THAT(hash.status().message(), !Contains(text));
    }
}

} // namespace

TEST_CASE("operator keys: scope names", "[auth][operator_keys]") {
    for (Scope scope : {Scope::kRooms, Scope::kRecordings, Scope::kTokens, Scope::kEvents}) {
        CHECK(conf::daemon::parse_scope(conf::daemon::to_string(scope)) == scope);
    }
    CHECK(conf::daemon::to_string(Scope::kRecordings) == "recordings");
    CHECK_FALSE(conf::daemon::parse_scope("Rooms"));
    CHECK_FALSE(conf::daemon::parse_scope("room"));
    CHECK_FALSE(conf::daemon::parse_scope(""));
}

TEST_CASE("operator keys: hash_key is SHA-256 as sha256sum prints it", "[auth][operator_keys]") {
    CHECK(hash_key("abc") == kAbcHash);
    CHECK(hash_key("") ==
          "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    std::string key = generate_key();
    CHECK(hash_key(key) == "sha256:" + sha256sum_of(key));
    CHECK(hash_key("abc") == "sha256:" + sha256sum_of("abc"));
}

TEST_CASE("operator keys: generate_key", "[auth][operator_keys]") {
    std::string a = generate_key();
    std::string b = generate_key();
    CHECK(a != b);
    CHECK(a.starts_with("confd_"));
    CHECK(a.size() == 49);
    CHECK(a.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
                              6) == std::string::npos);
    CHECK(parse_key_hash(hash_key(a)).is_ok());
}

TEST_CASE("operator keys: parse_key_hash", "[auth][operator_keys]") {
    auto hash = parse_key_hash(kAbcHash);
    REQUIRE(hash.is_ok());
    CHECK((*hash)[0] == 0xba);
    CHECK((*hash)[31] == 0xad);

    const std::string hex = kAbcHash.substr(7);
    check_bad_hash(hex, "does not start with \"sha256:\"");
    check_bad_hash("SHA256:" + hex, "does not start with \"sha256:\"");
    check_bad_hash("sha-256:" + hex, "does not start with \"sha256:\"");
    check_bad_hash(" " + kAbcHash, "does not start with \"sha256:\"");
    check_bad_hash("", "does not start with \"sha256:\"");
    check_bad_hash("sha256:", "0 characters after \"sha256:\", not 64");
    check_bad_hash("sha256:" + hex.substr(1), "63 characters after \"sha256:\", not 64");
    check_bad_hash(kAbcHash + "0", "65 characters after \"sha256:\", not 64");
    check_bad_hash(kAbcHash + "\n", "65 characters after \"sha256:\", not 64");
    std::string upper = kAbcHash;
    upper[7] = 'B';
    check_bad_hash(upper, "upper-case hex digits");
    std::string not_hex = kAbcHash;
    not_hex[40] = 'g';
    check_bad_hash(not_hex, "not hex digits");
}

TEST_CASE("operator keys: authorize", "[auth][operator_keys]") {
    const std::string scheduler_key = generate_key();
    const std::string portal_key = generate_key();
    OperatorKeyring keyring({
        {"scheduler", hash_of(scheduler_key), {Scope::kRooms, Scope::kRecordings}},
        {"portal", hash_of(portal_key), {Scope::kTokens}},
    });
    CHECK(keyring.enabled());
    CHECK_FALSE(OperatorKeyring().enabled());

    auto check_unauthenticated = [&](std::optional<std::string_view> authorization,
                                     const std::string& reason) {
        auto name = keyring.authorize(authorization, Scope::kRooms);
        REQUIRE_FALSE(name.is_ok());
        INFO("message: " << name.status().message());
        CHECK(name.status().code() == StatusCode::kUnauthenticated);
        CHECK_THAT(name.status().message(), Contains(reason));
        for (const std::string& key : {scheduler_key, portal_key}) {
            CHECK_THAT(name.status().message(), !Contains(key.substr(6)));
        }
    };

    SECTION("the right key with the scope: its name") {
        auto name = keyring.authorize("Bearer " + scheduler_key, Scope::kRooms);
        REQUIRE(name.is_ok());
        CHECK(*name == "scheduler");
        CHECK(keyring.authorize("Bearer " + scheduler_key, Scope::kRecordings).value_or("") ==
              "scheduler");
        CHECK(keyring.authorize("Bearer " + portal_key, Scope::kTokens).value_or("") == "portal");
    }
    SECTION("the scheme is case-insensitive; spaces around are tolerated") {
        for (const std::string& value :
             {"bearer " + scheduler_key, "BEARER " + scheduler_key, "BeArEr " + scheduler_key,
              "Bearer   " + scheduler_key, "Bearer\t" + scheduler_key,
              "  Bearer " + scheduler_key + " \r\n"}) {
            CHECK(keyring.authorize(value, Scope::kRooms).value_or("") == "scheduler");
        }
    }
    SECTION("absent") {
        check_unauthenticated(std::nullopt, "missing authorization: Bearer <key>");
    }
    SECTION("malformed") {
        check_unauthenticated("", "malformed authorization");
        check_unauthenticated("Basic x", "malformed authorization");
        check_unauthenticated("Basic " + scheduler_key, "malformed authorization");
        check_unauthenticated("Bearer", "malformed authorization");
        check_unauthenticated("Bearer ", "malformed authorization");
        check_unauthenticated("Bearer" + scheduler_key, "malformed authorization");
        check_unauthenticated(scheduler_key, "malformed authorization");
        check_unauthenticated("Bearer " + scheduler_key + " " + portal_key,
                              "malformed authorization");
    }
    SECTION("an unknown key") {
        check_unauthenticated("Bearer confd_wrong", "unknown operator key");
        check_unauthenticated("Bearer " + scheduler_key + "x", "unknown operator key");
        check_unauthenticated("Bearer " + scheduler_key.substr(0, 48), "unknown operator key");
        // The hash is not the key.
        check_unauthenticated("Bearer " + hash_key(scheduler_key), "unknown operator key");
        std::string upper = scheduler_key;
        upper[10] = upper[10] == 'A' ? 'B' : 'A';
        check_unauthenticated("Bearer " + upper, "unknown operator key");
    }
    SECTION("a known key without the scope: permission denied, naming key and scope") {
        auto name = keyring.authorize("Bearer " + portal_key, Scope::kRecordings);
        REQUIRE_FALSE(name.is_ok());
        CHECK(name.status().code() == StatusCode::kPermissionDenied);
        CHECK(name.status().message() == "operator key \"portal\" lacks the scope \"recordings\"");
        name = keyring.authorize("Bearer " + scheduler_key, Scope::kEvents);
        CHECK(name.status().code() == StatusCode::kPermissionDenied);
        CHECK(name.status().message() == "operator key \"scheduler\" lacks the scope \"events\"");
    }
    SECTION("an empty keyring knows no key") {
        auto name = OperatorKeyring().authorize("Bearer " + scheduler_key, Scope::kRooms);
        CHECK(name.status().code() == StatusCode::kUnauthenticated);
    }
}

TEST_CASE("operator keys: rotation, two keys for the same scopes", "[auth][operator_keys]") {
    const std::string old_key = generate_key();
    const std::string new_key = generate_key();
    OperatorKeyring keyring({
        {"portal-2025", hash_of(old_key), {Scope::kRooms, Scope::kTokens}},
        {"portal-2026", hash_of(new_key), {Scope::kRooms, Scope::kTokens}},
    });
    CHECK(keyring.authorize("Bearer " + old_key, Scope::kTokens).value_or("") == "portal-2025");
    CHECK(keyring.authorize("Bearer " + new_key, Scope::kTokens).value_or("") == "portal-2026");
    CHECK(keyring.authorize("Bearer " + new_key, Scope::kRooms).value_or("") == "portal-2026");

    // The same hash listed twice (the validator's to refuse): the first listed wins.
    OperatorKeyring twice({
        {"first", hash_of(old_key), {Scope::kRooms}},
        {"second", hash_of(old_key), {Scope::kRooms, Scope::kEvents}},
    });
    CHECK(twice.authorize("Bearer " + old_key, Scope::kRooms).value_or("") == "first");
    CHECK(twice.authorize("Bearer " + old_key, Scope::kEvents).status().code() ==
          StatusCode::kPermissionDenied);
}
