// DtlsIdentity: the one DTLS certificate an engine presents to every WebRTC peer.
// ECDSA P-256, self-signed, made once per engine: generating a key per peer costs ~5 ms with
// ECDSA (and 110-170 ms with webrtcbin's default RSA-2048), and peers only ever check the
// fingerprint that the SDP carries, never a chain.
#pragma once

#include "conf/status.hpp"

#include <chrono>
#include <string>

namespace conf {

class DtlsIdentity {
  public:
    // Validity window of the certificate, from one hour before now (clock skew) onwards.
    static Result<DtlsIdentity> generate(std::chrono::hours validity = std::chrono::hours(24 * 30));

    // Certificate and private key, PEM, concatenated: the form dtlssrtpdec's "pem" expects.
    const std::string& pem() const noexcept { return pem_; }
    // "sha-256 AB:CD:...", as it appears in an SDP a=fingerprint line.
    const std::string& sdp_fingerprint() const noexcept { return fingerprint_; }

  private:
    std::string pem_;
    std::string fingerprint_;
};

} // namespace conf
