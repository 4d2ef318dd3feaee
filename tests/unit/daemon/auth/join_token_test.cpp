// Join tokens: round trips with both algorithms, the RFC examples, and every way a token can
// be wrong, including the algorithm-confusion attacks JWT libraries are known for.
#include "auth/join_token.hpp"
#include "auth/primitives.hpp"
#include "support/jwt_forge.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using conf::StatusCode;
using conf::daemon::base64url_decode;
using conf::daemon::base64url_encode;
using conf::daemon::Grants;
using conf::daemon::JoinClaims;
using conf::daemon::JoinTokenSigner;
using conf::daemon::TokenAlgorithm;
using conf::test::TempDir;
using Clock = std::chrono::system_clock;
using namespace std::chrono_literals;

namespace {

// 2026-11-30T03:00:00Z, a fixed "now" so messages and expiry are predictable.
const Clock::time_point kNow = Clock::time_point(1796007600s);
const std::string kSecret = "0123456789abcdef0123456789abcdef0123456789abcdef";

struct PkeyFree {
    void operator()(EVP_PKEY* key) const noexcept { EVP_PKEY_free(key); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
struct BioFree {
    void operator()(BIO* bio) const noexcept { BIO_free(bio); }
};

std::filesystem::path write_file(const TempDir& dir, const std::string& name,
                                 const std::string& text) {
    std::filesystem::path path = dir.path() / name;
    std::ofstream(path, std::ios::binary) << text;
    return path;
}

std::string private_pem(EVP_PKEY* key, const EVP_CIPHER* cipher = nullptr,
                        const char* passphrase = nullptr) {
    std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
    int passphrase_size = passphrase != nullptr ? static_cast<int>(std::strlen(passphrase)) : 0;
    REQUIRE(PEM_write_bio_PKCS8PrivateKey(bio.get(), key, cipher, passphrase, passphrase_size,
                                          nullptr, nullptr) == 1);
    char* data = nullptr;
    long size = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(size));
}

Pkey new_ed25519_key() {
    Pkey key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
    REQUIRE(key);
    return key;
}

std::unique_ptr<JoinTokenSigner> signer_from(const TempDir& dir, TokenAlgorithm algorithm,
                                             const std::string& key_text) {
    static int count = 0;
    auto path = write_file(dir, "key-" + std::to_string(++count), key_text);
    auto signer = JoinTokenSigner::from_file(algorithm, path);
    INFO(signer.status().message());
    REQUIRE(signer.is_ok());
    return std::move(signer).value();
}

std::unique_ptr<JoinTokenSigner> hs256_signer(const TempDir& dir,
                                              const std::string& secret = kSecret) {
    return signer_from(dir, TokenAlgorithm::kHs256, secret + "\n");
}

std::unique_ptr<JoinTokenSigner> eddsa_signer(const TempDir& dir, EVP_PKEY* key) {
    return signer_from(dir, TokenAlgorithm::kEdDsa, private_pem(key));
}

// A token built by hand, as an attacker or another issuer would: HS256 over exactly these
// header and claims texts.
std::string hand_made_hs256(std::string_view key, std::string_view header,
                            std::string_view claims) {
    return conf::test::forge_jwt(header, claims, key);
}

// Claims JSON that passes every check, with `extra` members added or overriding.
std::string claims_json(const std::string& extra = "", const std::string& exp = "1796011200") {
    std::string json = R"({"room":"r1","sub":"alice")";
    if (!exp.empty()) {
        json += R"(,"exp":)" + exp;
    }
    if (!extra.empty()) {
        json += "," + extra;
    }
    return json + "}";
}

std::string hs256_of(const std::string& claims) {
    return hand_made_hs256(kSecret, R"({"alg":"HS256","typ":"JWT"})", claims);
}

std::vector<std::string> split(const std::string& token) {
    std::vector<std::string> parts;
    std::stringstream stream(token);
    std::string part;
    while (std::getline(stream, part, '.')) {
        parts.push_back(part);
    }
    return parts;
}

// The rejection every failure must be: kUnauthenticated, a "join token: " reason, and no
// trace of the token (whole or any part long enough to mean something).
void check_rejected(const JoinTokenSigner& signer, const std::string& token,
                    const std::string& reason, Clock::time_point now = kNow) {
    auto claims = signer.verify(token, now);
    REQUIRE_FALSE(claims.is_ok());
    const std::string& message = claims.status().message();
    INFO("message: " << message);
    CHECK(claims.status().code() == StatusCode::kUnauthenticated);
    CHECK_THAT(message, StartsWith("join token: "));
    CHECK_THAT(message, Contains(reason));
    if (token.size() >= 4) {
        CHECK_THAT(message, !Contains(token));
    }
    for (const std::string& part : split(token)) {
        if (part.size() >= 4) {
            CHECK_THAT(message, !Contains(part));
        }
    }
}

JoinClaims sample_claims() {
    JoinClaims claims;
    claims.room = "r1";
    claims.identity = "alice";
    claims.name = "Alice Ø";
    claims.grants.publish = true;
    claims.grants.record = true;
    claims.expires = kNow + 1h;
    claims.issued = kNow;
    return claims;
}

void check_same_claims(const JoinClaims& got, const JoinClaims& want) {
    CHECK(got.room == want.room);
    CHECK(got.identity == want.identity);
    CHECK(got.name == want.name);
    CHECK(got.grants.publish == want.grants.publish);
    CHECK(got.grants.subscribe == want.grants.subscribe);
    CHECK(got.grants.record == want.grants.record);
    CHECK(got.grants.admin == want.grants.admin);
    CHECK(got.expires == want.expires);
    CHECK(got.issued == want.issued);
}

// Verifies `token`'s signature with OpenSSL directly, as any other EdDSA verifier would.
bool openssl_verifies(const std::string& public_pem, const std::string& token) {
    std::unique_ptr<BIO, BioFree> bio(
        BIO_new_mem_buf(public_pem.data(), static_cast<int>(public_pem.size())));
    Pkey key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
    REQUIRE(key);
    std::string input = token.substr(0, token.rfind('.'));
    auto signature = base64url_decode(token.substr(token.rfind('.') + 1));
    REQUIRE(signature);
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(),
                                                                    &EVP_MD_CTX_free);
    REQUIRE(EVP_DigestVerifyInit(context.get(), nullptr, nullptr, nullptr, key.get()) == 1);
    return EVP_DigestVerify(context.get(),
                            reinterpret_cast<const unsigned char*>(signature->data()),
                            signature->size(), reinterpret_cast<const unsigned char*>(input.data()),
                            input.size()) == 1;
}

} // namespace

TEST_CASE("join token: algorithm names", "[auth][join_token]") {
    CHECK(conf::daemon::parse_token_algorithm("HS256") == TokenAlgorithm::kHs256);
    CHECK(conf::daemon::parse_token_algorithm("EdDSA") == TokenAlgorithm::kEdDsa);
    CHECK_FALSE(conf::daemon::parse_token_algorithm("hs256"));
    CHECK_FALSE(conf::daemon::parse_token_algorithm("none"));
    CHECK_FALSE(conf::daemon::parse_token_algorithm("RS256"));
    CHECK(conf::daemon::to_string(TokenAlgorithm::kHs256) == "HS256");
    CHECK(conf::daemon::to_string(TokenAlgorithm::kEdDsa) == "EdDSA");
}

TEST_CASE("join token: HS256 round trip", "[auth][join_token]") {
    TempDir dir;
    auto signer = hs256_signer(dir);
    CHECK(signer->algorithm() == TokenAlgorithm::kHs256);
    CHECK(signer->public_key_pem().empty());

    JoinClaims claims = sample_claims();
    claims.id = "token-1";
    std::string token = signer->sign(claims);
    auto parts = split(token);
    REQUIRE(parts.size() == 3);
    CHECK(base64url_decode(parts[0]) == R"({"alg":"HS256","typ":"JWT"})");
    auto body = base64url_decode(parts[1]);
    REQUIRE(body);
    CHECK_THAT(*body, Contains(R"("iss":"confd")"));
    // NumericDate as a plain integer, not 1.7960112e+09.
    CHECK_THAT(*body, Contains(R"("exp":1796011200)"));
    CHECK_THAT(*body, Contains(R"("iat":1796007600)"));
    CHECK(base64url_decode(parts[2])->size() == 32);

    auto verified = signer->verify(token, kNow);
    INFO(verified.status().message());
    REQUIRE(verified.is_ok());
    check_same_claims(*verified, claims);
    CHECK(verified->id == "token-1");

    // The same secret in another file, with other surrounding whitespace, verifies it too.
    auto same_key = signer_from(dir, TokenAlgorithm::kHs256, "  \t" + kSecret + "\r\n\n");
    CHECK(same_key->verify(token, kNow).is_ok());
}

TEST_CASE("join token: EdDSA round trip, and other verifiers agree", "[auth][join_token]") {
    TempDir dir;
    Pkey key = new_ed25519_key();
    auto signer = eddsa_signer(dir, key.get());
    CHECK(signer->algorithm() == TokenAlgorithm::kEdDsa);

    JoinClaims claims = sample_claims();
    std::string token = signer->sign(claims);
    auto parts = split(token);
    REQUIRE(parts.size() == 3);
    CHECK(base64url_decode(parts[0]) == R"({"alg":"EdDSA","typ":"JWT"})");
    CHECK(base64url_decode(parts[2])->size() == 64);

    auto verified = signer->verify(token, kNow);
    INFO(verified.status().message());
    REQUIRE(verified.is_ok());
    check_same_claims(*verified, claims);
    // sign() made up a jti.
    CHECK(verified->id.size() == 22);

    std::string public_pem = signer->public_key_pem();
    CHECK_THAT(public_pem, StartsWith("-----BEGIN PUBLIC KEY-----"));
    CHECK(openssl_verifies(public_pem, token));

    // Another Ed25519 key does not verify it.
    Pkey other = new_ed25519_key();
    check_rejected(*eddsa_signer(dir, other.get()), token, "signature does not verify");
}

TEST_CASE("join token: EdDSA with a key from `openssl genpkey`", "[auth][join_token]") {
    TempDir dir;
    std::filesystem::path key_file = dir.path() / "ed25519.pem";
    std::string command = "openssl genpkey -algorithm ed25519 -out '" + key_file.string() + "'";
    if (std::system(command.c_str()) != 0) {
        WARN("openssl genpkey is not available; skipped");
        return;
    }
    auto signer = JoinTokenSigner::from_file(TokenAlgorithm::kEdDsa, key_file);
    INFO(signer.status().message());
    REQUIRE(signer.is_ok());
    JoinClaims claims = sample_claims();
    auto verified = (*signer)->verify((*signer)->sign(claims), kNow);
    REQUIRE(verified.is_ok());
    check_same_claims(*verified, claims);
}

TEST_CASE("join token: the signatures of RFC 7515 A.1 (HS256) and RFC 8037 A.4 (EdDSA) verify",
          "[auth][join_token]") {
    TempDir dir;
    SECTION("HS256") {
        // The example's claims have no room, so verification gets past the signature and
        // stops at the claims.
        auto key = base64url_decode("AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Y"
                                    "j0iPS4hcgUuTwjAzZr1Z9CAow");
        REQUIRE(key);
        auto signer = signer_from(dir, TokenAlgorithm::kHs256, *key);
        const std::string token =
            "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9."
            "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290"
            "Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        check_rejected(*signer, token, "no room claim", Clock::time_point(1300819000s));
        check_rejected(*signer, token, "expired at 2011-03-22T18:43:00Z", kNow);
        std::string tampered = token;
        tampered[tampered.size() - 5] = 'A';
        check_rejected(*signer, tampered, "signature does not verify",
                       Clock::time_point(1300819000s));
    }
    SECTION("EdDSA") {
        auto d = base64url_decode("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A");
        REQUIRE(d);
        Pkey key(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr,
                                              reinterpret_cast<const unsigned char*>(d->data()),
                                              d->size()));
        REQUIRE(key);
        auto signer = eddsa_signer(dir, key.get());
        // The example's payload is not JSON: past the signature, the claims fail.
        const std::string token =
            "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc."
            "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_"
            "MuM0KAg";
        check_rejected(*signer, token, "claims are not a JSON object");
        std::string tampered = token;
        tampered[tampered.size() - 10] = tampered[tampered.size() - 10] == 'A' ? 'B' : 'A';
        check_rejected(*signer, tampered, "signature does not verify");
    }
}

TEST_CASE("join token: a wrong signature is rejected", "[auth][join_token]") {
    TempDir dir;
    auto signer = hs256_signer(dir);
    std::string token = signer->sign(sample_claims());
    REQUIRE(signer->verify(token, kNow).is_ok());

    SECTION("one character of the signature changed") {
        std::size_t at = token.rfind('.') + 1;
        token[at] = token[at] == 'A' ? 'B' : 'A';
        check_rejected(*signer, token, "signature does not verify");
    }
    SECTION("one character of the claims changed") {
        std::size_t at = token.find('.') + 3;
        token[at] = token[at] == 'A' ? 'B' : 'A';
        check_rejected(*signer, token, "signature does not verify");
    }
    SECTION("signed with another secret") {
        auto other = hs256_signer(dir, kSecret + "x");
        check_rejected(*signer, other->sign(sample_claims()), "signature does not verify");
        check_rejected(*other, token, "signature does not verify");
    }
    SECTION("no signature") {
        check_rejected(*signer, token.substr(0, token.rfind('.') + 1), "signature does not verify");
    }
    SECTION("a second spelling of the same signature bytes") {
        // 32 bytes take 43 characters with 2 bits to spare in the last; setting them keeps the
        // bytes but makes another token, which is refused.
        static constexpr std::string_view kAlphabet =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        char& last = token.back();
        last = kAlphabet[kAlphabet.find(last) ^ 1];
        check_rejected(*signer, token, "malformed (signature is not base64url)");
    }
    SECTION("tokens of an ephemeral signer") {
        auto a = JoinTokenSigner::ephemeral();
        auto b = JoinTokenSigner::ephemeral();
        CHECK(a->algorithm() == TokenAlgorithm::kHs256);
        std::string from_a = a->sign(sample_claims());
        CHECK(a->verify(from_a, kNow).is_ok());
        check_rejected(*b, from_a, "signature does not verify");
        check_rejected(*signer, from_a, "signature does not verify");
    }
}

TEST_CASE("join token: exp, nbf and the clock leeway", "[auth][join_token]") {
    TempDir dir;
    auto signer = hs256_signer(dir);
    JoinClaims claims = sample_claims();

    claims.expires = kNow - 31s;
    check_rejected(*signer, signer->sign(claims), "expired at 2026-11-30T02:59:29Z");
    claims.expires = kNow - 30s;
    check_rejected(*signer, signer->sign(claims), "expired at 2026-11-30T02:59:30Z");
    // Within the 30 s leeway.
    claims.expires = kNow - 29s;
    CHECK(signer->verify(signer->sign(claims), kNow).is_ok());
    CHECK_FALSE(signer->verify(signer->sign(claims), kNow, 0s).is_ok());
    claims.expires = kNow + 1s;
    CHECK(signer->verify(signer->sign(claims), kNow, 0s).is_ok());

    check_rejected(*signer, hs256_of(claims_json("", "")), "no exp claim");
    check_rejected(*signer, hs256_of(claims_json("", "\"1796011200\"")),
                   "exp is not a NumericDate");
    check_rejected(*signer, hs256_of(claims_json("", "null")), "exp is not a NumericDate");
    check_rejected(*signer, hs256_of(claims_json("", "-1")), "exp is not a NumericDate");
    check_rejected(*signer, hs256_of(claims_json("", "1e300")), "exp is not a NumericDate");
    // Fractional NumericDates are allowed (RFC 7519 §2).
    auto fractional = signer->verify(hs256_of(claims_json("", "1796011200.75")), kNow);
    REQUIRE(fractional.is_ok());
    CHECK(fractional->expires == Clock::time_point(1796011200s));

    CHECK(signer->verify(hs256_of(claims_json(R"("nbf":1796007630)")), kNow).is_ok());
    check_rejected(*signer, hs256_of(claims_json(R"("nbf":1796007631)")),
                   "not valid before 2026-11-30T03:00:31Z");
    check_rejected(*signer, hs256_of(claims_json(R"("nbf":"soon")")), "nbf is not a NumericDate");
    check_rejected(*signer, hs256_of(claims_json(R"("iat":true)")), "iat is not a NumericDate");
}

TEST_CASE("join token: alg none and switched algorithms are rejected before the signature",
          "[auth][join_token]") {
    TempDir dir;
    auto hs256 = hs256_signer(dir);
    Pkey key = new_ed25519_key();
    auto eddsa = eddsa_signer(dir, key.get());

    SECTION("alg none, unsigned") {
        std::string token = base64url_encode(std::string_view(R"({"alg":"none"})")) + "." +
                            base64url_encode(std::string_view(claims_json())) + ".";
        check_rejected(*hs256, token,
                       "join token: algorithm \"none\" is not accepted (confd signs with HS256)");
        check_rejected(*eddsa, token,
                       "algorithm \"none\" is not accepted (confd signs with EdDSA)");
        check_rejected(*hs256, hand_made_hs256(kSecret, R"({"alg":"None"})", claims_json()),
                       "algorithm \"None\" is not accepted");
    }
    SECTION("an HS256 token given to the EdDSA signer") {
        check_rejected(*eddsa, hs256->sign(sample_claims()),
                       "algorithm \"HS256\" is not accepted (confd signs with EdDSA)");
    }
    SECTION("an EdDSA token given to the HS256 signer") {
        check_rejected(*hs256, eddsa->sign(sample_claims()),
                       "algorithm \"EdDSA\" is not accepted (confd signs with HS256)");
    }
    SECTION("HS256 keyed with the Ed25519 public key (key confusion)") {
        std::string public_pem = eddsa->public_key_pem();
        REQUIRE_FALSE(public_pem.empty());
        for (const std::string& hmac_key :
             {public_pem, std::string(conf::daemon::trim_whitespace(public_pem))}) {
            check_rejected(
                *eddsa, hand_made_hs256(hmac_key, R"({"alg":"HS256","typ":"JWT"})", claims_json()),
                "algorithm \"HS256\" is not accepted (confd signs with EdDSA)");
        }
        // Nor can the public key be configured as an HS256 secret.
        auto path = write_file(dir, "public.pem", public_pem);
        auto refused = JoinTokenSigner::from_file(TokenAlgorithm::kHs256, path);
        REQUIRE_FALSE(refused.is_ok());
        CHECK(refused.status().code() == StatusCode::kInvalidArgument);
        CHECK_THAT(refused.status().message(), Contains("PEM"));
    }
    SECTION("other and odd alg values") {
        check_rejected(*hs256, hand_made_hs256(kSecret, R"({"alg":"HS512"})", claims_json()),
                       "algorithm \"HS512\" is not accepted");
        check_rejected(*hs256, hand_made_hs256(kSecret, R"({"alg":"hs256"})", claims_json()),
                       "algorithm \"hs256\" is not accepted");
        check_rejected(*hs256, hand_made_hs256(kSecret, R"({"alg":"RS256"})", claims_json()),
                       "algorithm \"RS256\" is not accepted");
        // An alg that is not a short word is not repeated.
        auto odd = hs256->verify(
            hand_made_hs256(kSecret, R"({"alg":"<script>alert(1)</script>"})", claims_json()),
            kNow);
        REQUIRE_FALSE(odd.is_ok());
        CHECK(odd.status().message() ==
              "join token: algorithm is not accepted (confd signs with HS256)");
        check_rejected(*hs256, hand_made_hs256(kSecret, R"({"alg":256})", claims_json()),
                       "header has no alg");
        check_rejected(*hs256, hand_made_hs256(kSecret, R"({"typ":"JWT"})", claims_json()),
                       "header has no alg");
        check_rejected(*hs256,
                       hand_made_hs256(kSecret, R"({"alg":"HS256","crit":["exp"]})", claims_json()),
                       "critical header extensions are not supported");
    }
}

TEST_CASE("join token: malformed tokens", "[auth][join_token]") {
    TempDir dir;
    auto signer = hs256_signer(dir);
    const std::string good = signer->sign(sample_claims());
    const auto parts = split(good);

    check_rejected(*signer, "", "empty");
    check_rejected(*signer, parts[0], "malformed (not three base64url parts)");
    check_rejected(*signer, parts[0] + "." + parts[1], "malformed (not three base64url parts)");
    check_rejected(*signer, good + ".", "malformed (not three base64url parts)");
    check_rejected(*signer, good + "." + parts[2], "malformed (not three base64url parts)");
    check_rejected(*signer, "..", "malformed (header is not a JSON object)");

    SECTION("bad base64url") {
        check_rejected(*signer, "!!!!." + parts[1] + "." + parts[2],
                       "malformed (header is not base64url)");
        check_rejected(*signer, parts[0] + "==." + parts[1] + "." + parts[2],
                       "malformed (header is not base64url)");
        check_rejected(*signer, parts[0] + "." + parts[1] + "." + parts[2] + "=",
                       "malformed (signature is not base64url)");
        std::string standard_alphabet = parts[2];
        standard_alphabet[0] = '+';
        check_rejected(*signer, parts[0] + "." + parts[1] + "." + standard_alphabet,
                       "malformed (signature is not base64url)");
        check_rejected(*signer, " " + good, "malformed (header is not base64url)");
        // A signed token whose claims part is not base64url cannot be made, so this one stops
        // at the signature.
        check_rejected(*signer, parts[0] + ".a*b." + parts[2], "signature does not verify");
    }
    SECTION("header not JSON, or not an object") {
        for (std::string header : {"not json", "[1,2]", "\"HS256\"", "{\"alg\":\"HS256\"",
                                   "{\"alg\":\"HS256\"} x", ""}) {
            check_rejected(*signer, hand_made_hs256(kSecret, header, claims_json()),
                           "malformed (header is not a JSON object)");
        }
    }
    SECTION("a deeply nested header, parsed before any signature check") {
        std::string nested =
            R"({"alg":"HS256","x":)" + std::string(2500, '[') + std::string(2500, ']') + "}";
        std::string token = base64url_encode(nested) + "." + parts[1] + "." + parts[2];
        REQUIRE(token.size() <= conf::daemon::kMaxJoinTokenSize);
        CHECK_FALSE(signer->verify(token, kNow).is_ok());
        std::string unclosed = R"({"alg":"HS256","x":)" + std::string(6000, '{');
        CHECK_FALSE(signer->verify(base64url_encode(unclosed) + "..", kNow).is_ok());
    }
    SECTION("claims not JSON, or not an object") {
        for (std::string claims : {"not json", "[1]", "42", ""}) {
            check_rejected(*signer, hs256_of(claims), "malformed (claims are not a JSON object)");
        }
    }
    SECTION("longer than 8 KiB") {
        JoinClaims big = sample_claims();
        big.name = std::string(5000, 'n');
        std::string token = signer->sign(big);
        REQUIRE(token.size() <= conf::daemon::kMaxJoinTokenSize);
        CHECK(signer->verify(token, kNow).is_ok());
        big.name = std::string(7000, 'n');
        token = signer->sign(big);
        REQUIRE(token.size() > conf::daemon::kMaxJoinTokenSize);
        check_rejected(*signer, token, "longer than 8 KiB");
        check_rejected(*signer, std::string(8193, 'a'), "longer than 8 KiB");
    }
}

TEST_CASE("join token: room, sub, name, jti and grants", "[auth][join_token]") {
    TempDir dir;
    auto signer = hs256_signer(dir);

    SECTION("grants absent: all false") {
        auto claims = signer->verify(hs256_of(claims_json()), kNow);
        REQUIRE(claims.is_ok());
        CHECK(claims->room == "r1");
        CHECK(claims->identity == "alice");
        CHECK(claims->name.empty());
        CHECK(claims->id.empty());
        CHECK(claims->issued == Clock::time_point());
        CHECK_FALSE(claims->grants.publish);
        CHECK_FALSE(claims->grants.subscribe);
        CHECK_FALSE(claims->grants.record);
        CHECK_FALSE(claims->grants.admin);
    }
    SECTION("some grants, unknown ones ignored") {
        auto claims = signer->verify(
            hs256_of(claims_json(R"("grants":{"subscribe":true,"admin":false,"fly":true})")), kNow);
        REQUIRE(claims.is_ok());
        CHECK_FALSE(claims->grants.publish);
        CHECK(claims->grants.subscribe);
        CHECK_FALSE(claims->grants.record);
        CHECK_FALSE(claims->grants.admin);
    }
    SECTION("a grant that is not a boolean") {
        for (std::string grants : {R"({"publish":"true"})", R"({"publish":1})", R"({"admin":null})",
                                   R"({"fly":"yes"})", R"(["publish"])", "true", "null"}) {
            check_rejected(*signer, hs256_of(claims_json("\"grants\":" + grants)),
                           "grants is not an object of true/false values");
        }
    }
    SECTION("room and sub are required non-empty strings") {
        auto without = [](const std::string& members) {
            return "{" + members + R"(,"exp":1796011200})";
        };
        check_rejected(*signer, hs256_of(without(R"("sub":"alice")")), "no room claim");
        check_rejected(*signer, hs256_of(without(R"("room":"","sub":"alice")")), "no room claim");
        check_rejected(*signer, hs256_of(without(R"("room":7,"sub":"alice")")), "no room claim");
        check_rejected(*signer, hs256_of(without(R"("room":"r1")")), "no sub claim");
        check_rejected(*signer, hs256_of(without(R"("room":"r1","sub":"")")), "no sub claim");
        check_rejected(*signer, hs256_of(without(R"("room":"r1","sub":["a"])")), "no sub claim");
    }
    SECTION("name and jti must be strings when present") {
        check_rejected(*signer, hs256_of(claims_json(R"("name":1)")), "name is not a string");
        check_rejected(*signer, hs256_of(claims_json(R"("jti":{})")), "jti is not a string");
        auto claims = signer->verify(hs256_of(claims_json(R"("name":"Bob","jti":"j-1")")), kNow);
        REQUIRE(claims.is_ok());
        CHECK(claims->name == "Bob");
        CHECK(claims->id == "j-1");
    }
    SECTION("sign() makes a fresh jti for each token without one") {
        auto a = signer->verify(signer->sign(sample_claims()), kNow);
        auto b = signer->verify(signer->sign(sample_claims()), kNow);
        REQUIRE(a.is_ok());
        REQUIRE(b.is_ok());
        CHECK(a->id != b->id);
    }
    SECTION("strings that are not UTF-8 are mended, not dropped") {
        JoinClaims claims = sample_claims();
        claims.name = "bad \xff byte";
        auto verified = signer->verify(signer->sign(claims), kNow);
        REQUIRE(verified.is_ok());
        CHECK(verified->name == "bad \xef\xbf\xbd byte");
    }
}

TEST_CASE("join token: key files", "[auth][join_token]") {
    TempDir dir;
    auto refused = [](TokenAlgorithm algorithm, const std::filesystem::path& path) {
        auto signer = JoinTokenSigner::from_file(algorithm, path);
        REQUIRE_FALSE(signer.is_ok());
        CHECK(signer.status().code() == StatusCode::kInvalidArgument);
        CHECK_THAT(signer.status().message(), Contains(path.string()));
        return signer.status().message();
    };

    SECTION("an HS256 secret of 31 bytes is refused, 32 are taken") {
        auto path = write_file(dir, "short", "\n  " + std::string(31, 's') + "  \n");
        std::string message = refused(TokenAlgorithm::kHs256, path);
        CHECK_THAT(message, Contains("31 bytes"));
        CHECK_THAT(message, Contains("at least 32"));
        CHECK_THAT(message, !Contains(std::string(31, 's')));
        CHECK(JoinTokenSigner::from_file(TokenAlgorithm::kHs256,
                                         write_file(dir, "ok", std::string(32, 's') + "\n"))
                  .is_ok());
        CHECK_THAT(refused(TokenAlgorithm::kHs256, write_file(dir, "empty", "")),
                   Contains("0 bytes"));
    }
    SECTION("a missing or unreadable file") {
        CHECK_THAT(refused(TokenAlgorithm::kHs256, dir.path() / "absent"),
                   Contains("No such file or directory"));
        CHECK_THAT(refused(TokenAlgorithm::kEdDsa, dir.path()), Contains("Is a directory"));
    }
    SECTION("a file far larger than a key") {
        auto path = write_file(dir, "big", std::string(100 * 1024, 'k'));
        CHECK_THAT(refused(TokenAlgorithm::kHs256, path), Contains("larger than 64 KiB"));
    }
    SECTION("EdDSA: not PEM, not a private key, not Ed25519, encrypted") {
        CHECK_THAT(refused(TokenAlgorithm::kEdDsa, write_file(dir, "secret", kSecret)),
                   Contains("does not hold a PEM private key"));
        Pkey ed25519 = new_ed25519_key();
        std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
        REQUIRE(PEM_write_bio_PUBKEY(bio.get(), ed25519.get()) == 1);
        char* data = nullptr;
        long size = BIO_get_mem_data(bio.get(), &data);
        CHECK_THAT(refused(TokenAlgorithm::kEdDsa,
                           write_file(dir, "public.pem",
                                      std::string(data, static_cast<std::size_t>(size)))),
                   Contains("does not hold a PEM private key"));

        Pkey ec(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
        REQUIRE(ec);
        CHECK_THAT(
            refused(TokenAlgorithm::kEdDsa, write_file(dir, "ec.pem", private_pem(ec.get()))),
            Contains("holds a key of type EC, not Ed25519"));

        std::string encrypted = private_pem(ed25519.get(), EVP_aes_256_cbc(), "passphrase");
        CHECK_THAT(refused(TokenAlgorithm::kEdDsa, write_file(dir, "encrypted.pem", encrypted)),
                   Contains("passphrase"));
    }
}
