// ECDH for the IKE ECP groups (RFC 5903) through the system's libcrypto.so.3: see l2tpsec_ecdh.cc.
#pragma once

#include <napi.h>

namespace l2tpsec {

// Adds ecdhAvailable, ecdhPublic and ecdhSecret to the addon's exports.
void InitEcdh(Napi::Env env, Napi::Object exports);

}  // namespace l2tpsec
