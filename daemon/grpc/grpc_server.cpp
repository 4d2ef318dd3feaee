#include "grpc/grpc_server.hpp"

#include <fmt/format.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace conf::daemon {

namespace {

// One PEM file, whole. `key` is the config key that names it, for the message.
Result<std::string> read_pem(const std::filesystem::path& file, std::string_view key) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream contents;
    if (in) {
        contents << in.rdbuf();
    }
    if (!in || in.bad()) {
        return failed_precondition(
            fmt::format("cannot read {} \"{}\": {}", key, file.string(), std::strerror(errno)));
    }
    return contents.str();
}

// gRPC takes any bytes and then only logs "Invalid cert chain file." and fails to bind. The
// same checks with the same OpenSSL up front give a message that names the file.
Status check_pem_pair(const TlsSettings& tls, const std::string& cert_chain,
                      const std::string& private_key) {
    auto read_bio = [](const std::string& pem) {
        return std::unique_ptr<BIO, decltype(&BIO_free)>(
            BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
    };
    auto cert_bio = read_bio(cert_chain);
    std::unique_ptr<X509, decltype(&X509_free)> cert(
        PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr), &X509_free);
    auto key_bio = read_bio(private_key);
    // A key with a passphrase is refused rather than prompted for on the terminal.
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
        PEM_read_bio_PrivateKey(
            key_bio.get(), nullptr, [](char*, int, int, void*) noexcept { return 0; }, nullptr),
        &EVP_PKEY_free);
    Status status;
    if (!cert) {
        status = failed_precondition(
            fmt::format("tls.cert_file \"{}\" holds no PEM certificate", tls.cert_file.string()));
    } else if (!key) {
        status = failed_precondition(
            fmt::format("tls.key_file \"{}\" holds no PEM private key without a passphrase",
                        tls.key_file.string()));
    } else if (X509_check_private_key(cert.get(), key.get()) != 1) {
        status = failed_precondition(fmt::format(
            "tls.key_file \"{}\" is not the key of the certificate in tls.cert_file \"{}\"",
            tls.key_file.string(), tls.cert_file.string()));
    }
    ERR_clear_error(); // leave nothing in this thread's queue for gRPC to find
    return status;
}

// TLS with the configured PEM chain and key when there is one; no client certificates.
Result<std::shared_ptr<grpc::ServerCredentials>> server_credentials(const TlsSettings& tls) {
    if (!tls.enabled()) {
        return grpc::InsecureServerCredentials();
    }
    auto cert_chain = read_pem(tls.cert_file, "tls.cert_file");
    if (!cert_chain) {
        return cert_chain.status();
    }
    auto private_key = read_pem(tls.key_file, "tls.key_file");
    if (!private_key) {
        return private_key.status();
    }
    if (Status checked = check_pem_pair(tls, *cert_chain, *private_key); !checked.is_ok()) {
        return checked;
    }
    grpc::SslServerCredentialsOptions ssl;
    ssl.pem_key_cert_pairs.push_back({std::move(*private_key), std::move(*cert_chain)});
    return grpc::SslServerCredentials(ssl);
}

} // namespace

Result<std::unique_ptr<GrpcServer>> GrpcServer::start(const Options& options) {
    const ListenAddress& address = options.address;
    // Both register process-wide plugins that every ServerBuilder made afterwards picks up.
    grpc::EnableDefaultHealthCheckService(true);
    grpc::reflection::InitProtoReflectionServerBuilderPlugin();

    grpc::ServerBuilder builder;
    // gRPC sets SO_REUSEPORT by default, which would let a second confd bind the same port
    // silently and share its traffic.
    builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
    int bound_port = 0;
    auto credentials = server_credentials(options.tls);
    if (!credentials) {
        return credentials.status();
    }
    builder.AddListeningPort(address.to_string(), *credentials, &bound_port);
    for (grpc::Service* service : options.services) {
        builder.RegisterService(service);
    }
    std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
    if (!server || bound_port == 0) {
        // gRPC has logged why (typically "address already in use") on stderr.
        return unavailable(fmt::format(
            "cannot listen for gRPC on {} (gRPC logged why above; usually the port is in use)",
            address.to_string()));
    }
    std::unique_ptr<GrpcServer> started(
        new GrpcServer(address, std::move(server), static_cast<std::uint16_t>(bound_port)));
    started->logger_.info("gRPC server listening on {} ({})", started->address(),
                          options.tls.enabled() ? "TLS" : "plaintext");
    return started;
}

GrpcServer::GrpcServer(const ListenAddress& address, std::unique_ptr<grpc::Server> server,
                       std::uint16_t port)
    : address_(address), server_(std::move(server)), port_(port),
      logger_(Logger("confd").with("grpc", address.with_port(port))) {}

GrpcServer::~GrpcServer() {
    shutdown(std::chrono::milliseconds::zero());
}

void GrpcServer::shutdown(std::chrono::milliseconds grace) {
    std::call_once(shutdown_once_, [&] {
        if (auto* health = server_->GetHealthCheckService()) {
            health->Shutdown(); // every service now reports NOT_SERVING
        }
        server_->Shutdown(std::chrono::system_clock::now() + grace);
        server_->Wait();
        logger_.info("gRPC server stopped");
    });
}

} // namespace conf::daemon
