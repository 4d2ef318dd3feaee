#include "webrtc/dtls_identity.hpp"

#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include <memory>

namespace conf {

namespace {

// OpenSSL objects are owned like any other C object here: one unique_ptr per kind.
struct OpenSslFree {
    void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
    void operator()(X509* p) const noexcept { X509_free(p); }
    void operator()(BIO* p) const noexcept { BIO_free(p); }
    void operator()(BIGNUM* p) const noexcept { BN_free(p); }
};
template <typename T>
using OsslPtr = std::unique_ptr<T, OpenSslFree>;

Status openssl_error(std::string_view what) {
    unsigned long code = ERR_get_error();
    char text[256] = "unknown error";
    if (code != 0) {
        ERR_error_string_n(code, text, sizeof(text));
    }
    ERR_clear_error();
    return internal_error(fmt::format("DTLS certificate: {}: {}", what, text));
}

Result<std::string> to_pem(X509* cert, EVP_PKEY* key) {
    OsslPtr<BIO> bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1 ||
        PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
        return openssl_error("writing PEM");
    }
    char* data = nullptr;
    long size = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<size_t>(size));
}

} // namespace

Result<DtlsIdentity> DtlsIdentity::generate(std::chrono::hours validity) {
    OsslPtr<EVP_PKEY> key(EVP_EC_gen("P-256"));
    if (!key) {
        return openssl_error("generating the P-256 key");
    }
    OsslPtr<X509> cert(X509_new());
    OsslPtr<BIGNUM> serial(BN_new());
    if (!cert || !serial || BN_rand(serial.get(), 63, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
        BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) == nullptr) {
        return openssl_error("making the certificate");
    }
    X509_set_version(cert.get(), 2);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()),
                    static_cast<long>(std::chrono::seconds(validity).count()));
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("confd"), -1, -1, 0);
    X509_set_issuer_name(cert.get(), name);
    if (X509_set_pubkey(cert.get(), key.get()) != 1 ||
        X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) {
        return openssl_error("signing the certificate");
    }

    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;
    if (X509_digest(cert.get(), EVP_sha256(), digest, &digest_len) != 1) {
        return openssl_error("fingerprinting the certificate");
    }
    std::string fingerprint = "sha-256 ";
    for (unsigned int i = 0; i < digest_len; ++i) {
        fingerprint += fmt::format("{}{:02X}", i == 0 ? "" : ":", digest[i]);
    }

    auto pem = to_pem(cert.get(), key.get());
    if (!pem) {
        return pem.status();
    }
    DtlsIdentity identity;
    identity.pem_ = std::move(pem).value();
    identity.fingerprint_ = std::move(fingerprint);
    return identity;
}

} // namespace conf
