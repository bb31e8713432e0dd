// ECDH for the IKE ECP groups 19, 20, 21 (RFC 5903: P-256, P-384, P-521) through the SYSTEM libcrypto.so.3.
//
// Why: Node 20's statically linked OpenSSL is 2-3x slower at the variable-base scalar multiplication than
// Debian's libcrypto.so.3 of the same version on this machine, and ECDH is about a third of an IKE Main
// Mode handshake's CPU.
//
// How: at first use the library is dlopen'ed with RTLD_LOCAL | RTLD_DEEPBIND and the few functions needed
// are dlsym'ed. This file NEVER calls an OpenSSL function by name: /usr/bin/node exports its own bundled
// OpenSSL, so a direct reference here would bind to Node's copy. RTLD_DEEPBIND makes the system library
// resolve its own internal calls to itself first rather than to Node's exported copies of the same names
// (test/crypto/ecdh-native.test.ts checks the results against node:crypto and noble for random keys).
// Node's bundled headers are used for the prototypes only (decltype).
//
// Exports:
// - ecdhAvailable(): false when libcrypto.so.3 or one of the symbols is missing (never throws).
// - ecdhPublic(group, privateKey): x || y, each the field length (RFC 5903 section 7 KE data).
// - ecdhSecret(group, privateKey, peerXY): the x coordinate of privateKey * peer (RFC 5903 section 9), or
//   undefined when peerXY is not exactly 2 field lengths, a coordinate is >= p, or the point is not on
//   the curve (an invalid-curve point would leak the private key, RFC 5903 section 7).
// A private key outside [1, n-1] or of the wrong length throws a RangeError (the caller generates it).
#include "l2tpsec_ecdh.h"

#include <dlfcn.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <string.h>

#include <mutex>

namespace l2tpsec {
namespace {

// The largest field: P-521, 66 bytes per coordinate.
constexpr size_t kMaxField = 66;

struct CurveSpec {
  int ikeGroup;
  int nid;
  size_t fieldBytes;
};

constexpr CurveSpec kCurves[] = {
    {19, NID_X9_62_prime256v1, 32},
    {20, NID_secp384r1, 48},
    {21, NID_secp521r1, 66},
};
constexpr int kCurveCount = sizeof(kCurves) / sizeof(kCurves[0]);

// Function pointers into the system libcrypto; each typed from the real prototype.
struct SystemCrypto {
  decltype(&EC_GROUP_new_by_curve_name) groupNewByCurveName;
  decltype(&EC_GROUP_get0_order) groupGet0Order;
  decltype(&EC_POINT_new) pointNew;
  decltype(&EC_POINT_free) pointFree;
  decltype(&EC_POINT_clear_free) pointClearFree;
  decltype(&EC_POINT_oct2point) oct2point;
  decltype(&EC_POINT_point2oct) point2oct;
  decltype(&EC_POINT_is_on_curve) isOnCurve;
  decltype(&EC_POINT_is_at_infinity) isAtInfinity;
  decltype(&EC_POINT_mul) mul;
  decltype(&EC_POINT_get_affine_coordinates) getAffine;
  decltype(&BN_new) bnNew;
  decltype(&BN_bin2bn) bin2bn;
  decltype(&BN_bn2binpad) bn2binpad;
  decltype(&BN_set_flags) setFlags;
  decltype(&BN_is_zero) isZero;
  decltype(&BN_cmp) cmp;
  decltype(&BN_clear_free) bnClearFree;
  decltype(&BN_CTX_new) ctxNew;
  decltype(&BN_CTX_free) ctxFree;
  decltype(&ERR_clear_error) errClearError;
  // One group per curve, built once and never freed (read-only after construction).
  EC_GROUP* groups[kCurveCount];
  bool ready;
};

SystemCrypto sys;
std::once_flag loadOnce;

template <typename T>
bool Resolve(void* lib, const char* name, T* slot) {
  void* p = dlsym(lib, name);
  if (p == nullptr) return false;
  *slot = reinterpret_cast<T>(p);
  return true;
}

void Load() {
  sys.ready = false;
  void* lib = dlopen("libcrypto.so.3", RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
  if (lib == nullptr) return;
  bool ok = Resolve(lib, "EC_GROUP_new_by_curve_name", &sys.groupNewByCurveName) &&
            Resolve(lib, "EC_GROUP_get0_order", &sys.groupGet0Order) &&
            Resolve(lib, "EC_POINT_new", &sys.pointNew) && Resolve(lib, "EC_POINT_free", &sys.pointFree) &&
            Resolve(lib, "EC_POINT_clear_free", &sys.pointClearFree) &&
            Resolve(lib, "EC_POINT_oct2point", &sys.oct2point) &&
            Resolve(lib, "EC_POINT_point2oct", &sys.point2oct) &&
            Resolve(lib, "EC_POINT_is_on_curve", &sys.isOnCurve) &&
            Resolve(lib, "EC_POINT_is_at_infinity", &sys.isAtInfinity) &&
            Resolve(lib, "EC_POINT_mul", &sys.mul) &&
            Resolve(lib, "EC_POINT_get_affine_coordinates", &sys.getAffine) &&
            Resolve(lib, "BN_new", &sys.bnNew) && Resolve(lib, "BN_bin2bn", &sys.bin2bn) &&
            Resolve(lib, "BN_bn2binpad", &sys.bn2binpad) && Resolve(lib, "BN_set_flags", &sys.setFlags) &&
            Resolve(lib, "BN_is_zero", &sys.isZero) && Resolve(lib, "BN_cmp", &sys.cmp) &&
            Resolve(lib, "BN_clear_free", &sys.bnClearFree) && Resolve(lib, "BN_CTX_new", &sys.ctxNew) &&
            Resolve(lib, "BN_CTX_free", &sys.ctxFree) &&
            Resolve(lib, "ERR_clear_error", &sys.errClearError);
  // The library stays loaded even on failure: unloading a libcrypto that ran its initialisers is unsafe.
  if (!ok) return;
  for (int i = 0; i < kCurveCount; i++) {
    sys.groups[i] = sys.groupNewByCurveName(kCurves[i].nid);
    if (sys.groups[i] == nullptr) return;
  }
  sys.ready = true;
}

bool Ready() {
  std::call_once(loadOnce, Load);
  return sys.ready;
}

// Frees what one call allocated, whatever path it leaves by; secret material is wiped. The BN_CTX is per
// call, as in OpenSSL's own ECDH: freeing it clears the temporaries the multiplication left in it (a cached
// one would keep them until reused), and it is safe whichever thread loaded the addon.
struct CallState {
  BN_CTX* ctx = nullptr;
  BIGNUM* scalar = nullptr;
  BIGNUM* x = nullptr;
  EC_POINT* peer = nullptr;
  EC_POINT* result = nullptr;
  ~CallState() {
    if (scalar != nullptr) sys.bnClearFree(scalar);
    if (x != nullptr) sys.bnClearFree(x);
    if (peer != nullptr) sys.pointFree(peer);
    if (result != nullptr) sys.pointClearFree(result);
    if (ctx != nullptr) sys.ctxFree(ctx);
    // A rejected point leaves entries on the library's (per-thread) error queue; nothing reads them.
    if (sys.ready) sys.errClearError();
  }
};

// Validates (group, privateKey) and builds the scalar; on failure a JS exception is pending and -1 returned.
int Prepare(const Napi::CallbackInfo& info, CallState& st) {
  Napi::Env env = info.Env();
  if (!Ready()) {
    Napi::Error::New(env, "ecdh: system libcrypto.so.3 is not available").ThrowAsJavaScriptException();
    return -1;
  }
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsTypedArray()) {
    Napi::TypeError::New(env, "ecdh: expected (group, privateKey: Uint8Array, ...)")
        .ThrowAsJavaScriptException();
    return -1;
  }
  int group = info[0].As<Napi::Number>().Int32Value();
  int c = -1;
  for (int i = 0; i < kCurveCount; i++) {
    if (kCurves[i].ikeGroup == group) c = i;
  }
  if (c < 0) {
    Napi::RangeError::New(env, "ecdh: group must be 19, 20 or 21").ThrowAsJavaScriptException();
    return -1;
  }
  Napi::TypedArray arr = info[1].As<Napi::TypedArray>();
  if (arr.TypedArrayType() != napi_uint8_array) {
    Napi::TypeError::New(env, "ecdh: privateKey must be a Uint8Array").ThrowAsJavaScriptException();
    return -1;
  }
  Napi::Uint8Array key = arr.As<Napi::Uint8Array>();
  if (key.ByteLength() == 0 || key.ByteLength() > kCurves[c].fieldBytes) {
    Napi::RangeError::New(env, "ecdh: private key length").ThrowAsJavaScriptException();
    return -1;
  }
  st.scalar = sys.bin2bn(key.Data(), static_cast<int>(key.ByteLength()), nullptr);
  if (st.scalar == nullptr) {
    Napi::Error::New(env, "ecdh: out of memory").ThrowAsJavaScriptException();
    return -1;
  }
  // The scalar is secret: ask for the constant-time code paths (as EC_KEY_set_private_key does).
  sys.setFlags(st.scalar, BN_FLG_CONSTTIME);
  if (sys.isZero(st.scalar) || sys.cmp(st.scalar, sys.groupGet0Order(sys.groups[c])) >= 0) {
    Napi::RangeError::New(env, "ecdh: private key must be in [1, n-1]").ThrowAsJavaScriptException();
    return -1;
  }
  return c;
}

Napi::Value EcdhAvailable(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), Ready());
}

Napi::Value EcdhPublic(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CallState st;
  int c = Prepare(info, st);
  if (c < 0) return env.Undefined();
  const EC_GROUP* g = sys.groups[c];
  const size_t field = kCurves[c].fieldBytes;
  BN_CTX* ctx = st.ctx = sys.ctxNew();
  st.result = sys.pointNew(g);
  unsigned char sec1[1 + 2 * kMaxField];
  if (ctx == nullptr || st.result == nullptr || !sys.mul(g, st.result, st.scalar, nullptr, nullptr, ctx) ||
      sys.point2oct(g, st.result, POINT_CONVERSION_UNCOMPRESSED, sec1, sizeof(sec1), ctx) != 1 + 2 * field) {
    Napi::Error::New(env, "ecdh: public point computation failed").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  // SEC1 uncompressed 0x04 || x || y; IKE carries x || y (RFC 5903 section 7).
  return Napi::Buffer<unsigned char>::Copy(env, sec1 + 1, 2 * field);
}

Napi::Value EcdhSecret(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CallState st;
  int c = Prepare(info, st);
  if (c < 0) return env.Undefined();
  if (info.Length() < 3 || !info[2].IsTypedArray() ||
      info[2].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    Napi::TypeError::New(env, "ecdh: peer public value must be a Uint8Array").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const EC_GROUP* g = sys.groups[c];
  const size_t field = kCurves[c].fieldBytes;
  Napi::Uint8Array peerXY = info[2].As<Napi::Uint8Array>();
  if (peerXY.ByteLength() != 2 * field) return env.Undefined();
  BN_CTX* ctx = st.ctx = sys.ctxNew();
  st.peer = sys.pointNew(g);
  st.result = sys.pointNew(g);
  st.x = sys.bnNew();
  if (ctx == nullptr || st.peer == nullptr || st.result == nullptr || st.x == nullptr) {
    Napi::Error::New(env, "ecdh: out of memory").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  unsigned char sec1[1 + 2 * kMaxField];
  sec1[0] = POINT_CONVERSION_UNCOMPRESSED;
  memcpy(sec1 + 1, peerXY.Data(), 2 * field);
  // oct2point refuses a coordinate >= p and (through EC_POINT_set_affine_coordinates) a point off the
  // curve; the explicit on-curve test keeps that guarantee independent of the library's internals. The
  // curves have cofactor 1, so every point on them is in the prime-order group.
  if (!sys.oct2point(g, st.peer, sec1, 1 + 2 * field, ctx) || sys.isOnCurve(g, st.peer, ctx) != 1 ||
      sys.isAtInfinity(g, st.peer)) {
    return env.Undefined();
  }
  unsigned char shared[kMaxField];
  if (!sys.mul(g, st.result, nullptr, st.peer, st.scalar, ctx) || sys.isAtInfinity(g, st.result) ||
      !sys.getAffine(g, st.result, st.x, nullptr, ctx) ||
      sys.bn2binpad(st.x, shared, static_cast<int>(field)) != static_cast<int>(field)) {
    Napi::Error::New(env, "ecdh: shared secret computation failed").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Buffer<unsigned char> out = Napi::Buffer<unsigned char>::Copy(env, shared, field);
  explicit_bzero(shared, sizeof(shared));
  return out;
}

}  // namespace

void InitEcdh(Napi::Env env, Napi::Object exports) {
  exports.Set("ecdhAvailable", Napi::Function::New(env, EcdhAvailable));
  exports.Set("ecdhPublic", Napi::Function::New(env, EcdhPublic));
  exports.Set("ecdhSecret", Napi::Function::New(env, EcdhSecret));
}

}  // namespace l2tpsec
