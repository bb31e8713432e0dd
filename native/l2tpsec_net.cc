// l2tpsec native edge: the few system calls Node has no API for, polled on the main thread.
//
// - openTun(name): /dev/net/tun with IFF_TUN | IFF_NO_PI (linux/Documentation/networking/tuntap.rst),
//   non-blocking, close-on-exec; returns { fd, name } (the kernel may pick the name from a "%d" pattern).
// - openRawEsp(): a raw IPv4 socket for IP protocol 50 (ESP, RFC 4303 section 2), non-blocking. A raw
//   IPv4 socket receives the whole datagram including its IPv4 header, and sends the payload only (the
//   kernel writes the header), so JS sees the local address each packet arrived on.
// - PacketPort: one fd polled with uv_poll on the main loop (issue 7: no thread-pool round trip per
//   packet). Each readable event reads up to `batch` packets into one preallocated buffer (slot i at
//   offset i * slot), records their lengths (and source addresses for raw sockets) in preallocated typed
//   arrays, and makes ONE JS call per batch. Nothing is allocated per packet.
#include <napi.h>
#include <uv.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

namespace {

constexpr int kIpProtoEsp = 50;

Napi::Error ErrnoError(Napi::Env env, int err, const char* syscall) {
  const char* name = strerrorname_np(err);
  Napi::Error e = Napi::Error::New(env, std::string(syscall) + " failed: " + strerror(err));
  e.Set("code", Napi::String::New(env, name != nullptr ? name : "EUNKNOWN"));
  e.Set("errno", Napi::Number::New(env, -err));
  e.Set("syscall", Napi::String::New(env, syscall));
  return e;
}

Napi::Value OpenTun(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = info.Length() > 0 && info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
  if (name.size() >= IFNAMSIZ) {
    Napi::TypeError::New(env, "interface name longer than 15 bytes").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    ErrnoError(env, errno, "open(/dev/net/tun)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    int err = errno;
    close(fd);
    ErrnoError(env, err, "ioctl(TUNSETIFF)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("fd", Napi::Number::New(env, fd));
  out.Set("name", Napi::String::New(env, ifr.ifr_name));
  return out;
}

Napi::Value OpenRawEsp(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, kIpProtoEsp);
  if (fd < 0) {
    ErrnoError(env, errno, "socket(AF_INET, SOCK_RAW, 50)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  // Larger buffers absorb bursts between two turns of the event loop; failure only costs headroom.
  int size = 4 * 1024 * 1024;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  return Napi::Number::New(env, fd);
}

Napi::Value CloseFd(const Napi::CallbackInfo& info) {
  int fd = info[0].As<Napi::Number>().Int32Value();
  return Napi::Number::New(info.Env(), close(fd) < 0 ? -errno : 0);
}

class PacketPort : public Napi::ObjectWrap<PacketPort> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "PacketPort",
                       {
                           InstanceMethod("start", &PacketPort::Start),
                           InstanceMethod("stop", &PacketPort::Stop),
                           InstanceMethod("write", &PacketPort::Write),
                           InstanceMethod("sendTo", &PacketPort::SendTo),
                           InstanceMethod("ref", &PacketPort::Ref_),
                           InstanceMethod("unref", &PacketPort::Unref_),
                           InstanceMethod("close", &PacketPort::Close),
                       });
  }

  // new PacketPort(fd, batch, slot, raw, onBatch)
  explicit PacketPort(const Napi::CallbackInfo& info) : Napi::ObjectWrap<PacketPort>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 5 || !info[0].IsNumber() || !info[1].IsNumber() || !info[2].IsNumber() ||
        !info[3].IsBoolean() || !info[4].IsFunction()) {
      Napi::TypeError::New(env, "PacketPort(fd, batch, slot, raw, onBatch)").ThrowAsJavaScriptException();
      return;
    }
    fd_ = info[0].As<Napi::Number>().Int32Value();
    batch_ = info[1].As<Napi::Number>().Int32Value();
    slot_ = info[2].As<Napi::Number>().Int32Value();
    raw_ = info[3].As<Napi::Boolean>().Value();
    if (batch_ < 1 || batch_ > 1024 || slot_ < 64 || slot_ > 65536) {
      Napi::RangeError::New(env, "batch must be 1..1024 and slot 64..65536").ThrowAsJavaScriptException();
      return;
    }
    onBatch_ = Napi::Persistent(info[4].As<Napi::Function>());
    Napi::Buffer<uint8_t> buffer = Napi::Buffer<uint8_t>::New(env, static_cast<size_t>(batch_) * slot_);
    Napi::Int32Array lengths = Napi::Int32Array::New(env, batch_);
    Napi::Uint32Array sources = Napi::Uint32Array::New(env, batch_);
    base_ = buffer.Data();
    lengths_ = lengths.Data();
    sources_ = sources.Data();
    Napi::Object self = info.This().As<Napi::Object>();
    // Exposed as properties, so the typed arrays (and their memory) live as long as this object.
    self.Set("buffer", buffer);
    self.Set("lengths", lengths);
    self.Set("sources", sources);
    self.Set("fd", Napi::Number::New(env, fd_));
    self.Set("slot", Napi::Number::New(env, slot_));
    self.Set("batch", Napi::Number::New(env, batch_));
    uv_loop_t* loop = nullptr;
    napi_get_uv_event_loop(env, &loop);
    poll_ = new uv_poll_t;
    if (uv_poll_init(loop, poll_, fd_) != 0) {
      delete poll_;
      poll_ = nullptr;
      Napi::Error::New(env, "uv_poll_init failed").ThrowAsJavaScriptException();
      return;
    }
    poll_->data = this;
  }

  ~PacketPort() override { ClosePoll(); }

 private:
  Napi::Value Start(const Napi::CallbackInfo& info) {
    if (poll_ != nullptr && !polling_) {
      uv_poll_start(poll_, UV_READABLE, &PacketPort::OnReadable);
      polling_ = true;
      Ref();  // a polled port must not be collected while the loop can still call it
    }
    return info.Env().Undefined();
  }

  Napi::Value Stop(const Napi::CallbackInfo& info) {
    StopPolling();
    return info.Env().Undefined();
  }

  Napi::Value Ref_(const Napi::CallbackInfo& info) {
    if (poll_ != nullptr) uv_ref(reinterpret_cast<uv_handle_t*>(poll_));
    return info.Env().Undefined();
  }

  Napi::Value Unref_(const Napi::CallbackInfo& info) {
    if (poll_ != nullptr) uv_unref(reinterpret_cast<uv_handle_t*>(poll_));
    return info.Env().Undefined();
  }

  // write(buf, offset, length) -> bytes written, or -errno (-EAGAIN when the kernel queue is full).
  Napi::Value Write(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const uint8_t* p;
    size_t len;
    if (!Span(info, &p, &len)) return env.Undefined();
    if (fd_ < 0) return Napi::Number::New(env, -EBADF);
    ssize_t n = write(fd_, p, len);
    return Napi::Number::New(env, n < 0 ? -errno : static_cast<double>(n));
  }

  // sendTo(buf, offset, length, dstAddr, srcAddr) -> bytes sent or -errno. Addresses are IPv4 as unsigned
  // 32-bit integers in host order; srcAddr 0 lets the kernel choose, otherwise IP_PKTINFO pins it.
  Napi::Value SendTo(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const uint8_t* p;
    size_t len;
    if (!Span(info, &p, &len)) return env.Undefined();
    if (info.Length() < 5 || !info[3].IsNumber() || !info[4].IsNumber()) {
      Napi::TypeError::New(env, "sendTo(buf, offset, length, dst, src)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (fd_ < 0) return Napi::Number::New(env, -EBADF);
    struct sockaddr_in dst;
    memset(&dst, 0, sizeof dst);
    dst.sin_family = AF_INET;
    dst.sin_addr.s_addr = htonl(info[3].As<Napi::Number>().Uint32Value());
    uint32_t src = info[4].As<Napi::Number>().Uint32Value();
    struct iovec iov;
    iov.iov_base = const_cast<uint8_t*>(p);
    iov.iov_len = len;
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_name = &dst;
    msg.msg_namelen = sizeof dst;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(struct in_pktinfo))];
    if (src != 0) {
      memset(control, 0, sizeof control);
      msg.msg_control = control;
      msg.msg_controllen = sizeof control;
      struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
      c->cmsg_level = IPPROTO_IP;
      c->cmsg_type = IP_PKTINFO;
      c->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
      struct in_pktinfo* pi = reinterpret_cast<struct in_pktinfo*>(CMSG_DATA(c));
      pi->ipi_spec_dst.s_addr = htonl(src);
    }
    ssize_t n = sendmsg(fd_, &msg, 0);
    return Napi::Number::New(env, n < 0 ? -errno : static_cast<double>(n));
  }

  // close(): stops polling and closes the fd (the port owns it from construction on).
  Napi::Value Close(const Napi::CallbackInfo& info) {
    ClosePoll();
    if (fd_ >= 0) {
      close(fd_);
      fd_ = -1;
    }
    return info.Env().Undefined();
  }

  bool Span(const Napi::CallbackInfo& info, const uint8_t** p, size_t* len) {
    if (info.Length() < 3 || !info[0].IsTypedArray() || !info[1].IsNumber() || !info[2].IsNumber()) {
      Napi::TypeError::New(info.Env(), "expected (Uint8Array, offset, length)").ThrowAsJavaScriptException();
      return false;
    }
    Napi::Uint8Array a = info[0].As<Napi::Uint8Array>();
    int64_t off = info[1].As<Napi::Number>().Int64Value();
    int64_t n = info[2].As<Napi::Number>().Int64Value();
    if (off < 0 || n < 0 || static_cast<uint64_t>(off + n) > a.ByteLength()) {
      Napi::RangeError::New(info.Env(), "offset/length outside the buffer").ThrowAsJavaScriptException();
      return false;
    }
    *p = a.Data() + off;
    *len = static_cast<size_t>(n);
    return true;
  }

  void StopPolling() {
    if (poll_ != nullptr && polling_) {
      uv_poll_stop(poll_);
      polling_ = false;
      Unref();
    }
  }

  void ClosePoll() {
    StopPolling();
    if (poll_ != nullptr) {
      poll_->data = nullptr;
      uv_close(reinterpret_cast<uv_handle_t*>(poll_),
               [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
      poll_ = nullptr;
    }
  }

  static void OnReadable(uv_poll_t* handle, int status, int /*events*/) {
    PacketPort* self = static_cast<PacketPort*>(handle->data);
    if (self == nullptr) return;
    self->Drain(status);
  }

  void Drain(int status) {
    int count = 0;
    int error = status < 0 ? -status : 0;
    while (error == 0 && count < batch_ && fd_ >= 0) {
      uint8_t* dst = base_ + static_cast<size_t>(count) * slot_;
      ssize_t n;
      if (raw_) {
        struct sockaddr_in from;
        socklen_t fromLen = sizeof from;
        // MSG_TRUNC reports the real length, so an oversized datagram is seen (and dropped) as such.
        n = recvfrom(fd_, dst, slot_, MSG_TRUNC, reinterpret_cast<struct sockaddr*>(&from), &fromLen);
        if (n >= 0) sources_[count] = ntohl(from.sin_addr.s_addr);
      } else {
        n = read(fd_, dst, slot_);
      }
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) error = errno;
        break;
      }
      lengths_[count++] = static_cast<int32_t>(n);
    }
    if (count == 0 && error == 0) return;
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    // One call per batch; a negative count carries -errno of a failed read.
    onBatch_.MakeCallback(Value(), {Napi::Number::New(env, count > 0 ? count : -error)});
  }

  int fd_ = -1;
  int batch_ = 0;
  int slot_ = 0;
  bool raw_ = false;
  bool polling_ = false;
  uint8_t* base_ = nullptr;
  int32_t* lengths_ = nullptr;
  uint32_t* sources_ = nullptr;
  uv_poll_t* poll_ = nullptr;
  Napi::FunctionReference onBatch_;
};

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("openTun", Napi::Function::New(env, OpenTun));
  exports.Set("openRawEsp", Napi::Function::New(env, OpenRawEsp));
  exports.Set("closeFd", Napi::Function::New(env, CloseFd));
  exports.Set("PacketPort", PacketPort::Init(env));
  return exports;
}

}  // namespace

NODE_API_MODULE(l2tpsec_net, Init)
