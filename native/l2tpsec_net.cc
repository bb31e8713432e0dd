// l2tpsec native edge: the few system calls Node has no API for, polled on the main thread.
//
// - openTun(name): /dev/net/tun with IFF_TUN | IFF_NO_PI (linux Documentation/networking/tuntap.rst),
//   non-blocking, close-on-exec; returns { fd, name } (the kernel resolves a "%d" pattern).
// - openRawEsp(): a raw IPv4 socket for IP protocol 50 (ESP, RFC 4303 section 2). A raw IPv4 socket
//   receives the whole datagram including its IPv4 header and sends the payload only (raw(7)).
// - openUdp(addr, port): a UDP socket with IP_PKTINFO (ip(7)), so one socket bound to the wildcard still
//   tells which local address each datagram was sent to, and replies can leave from that address.
// - PacketPort: one fd polled with uv_poll on the main loop (issue 7: no thread-pool round trip per
//   packet). Each readable event reads up to `batch` packets (recvmmsg for UDP) into one preallocated
//   buffer (slot i at offset i * slot) and records lengths and addresses in preallocated typed arrays,
//   then makes ONE JS call per batch. Sending has a matching preallocated arena flushed in one call
//   (sendmmsg for sockets). Nothing is allocated per packet.
// - ecdhAvailable/ecdhPublic/ecdhSecret: ECP Diffie-Hellman through the system libcrypto (l2tpsec_ecdh.cc).
#include <napi.h>
#include <uv.h>

#include "l2tpsec_ecdh.h"

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
#include <vector>

namespace {

constexpr int kIpProtoEsp = 50;

// How a port reads and writes its fd.
enum Mode : int32_t {
  kModeTun = 0,  // read()/write(): one IPv4 packet each
  kModeRaw = 1,  // raw IPv4 socket: recvmmsg with source address; sendmmsg to an address
  kModeUdp = 2,  // UDP socket with IP_PKTINFO: source address and port, local address
};

Napi::Error ErrnoError(Napi::Env env, int err, const char* syscall) {
  const char* name = strerrorname_np(err);
  Napi::Error e = Napi::Error::New(env, std::string(syscall) + " failed: " + strerror(err));
  e.Set("code", Napi::String::New(env, name != nullptr ? name : "EUNKNOWN"));
  e.Set("errno", Napi::Number::New(env, -err));
  e.Set("syscall", Napi::String::New(env, syscall));
  return e;
}

void SetBuffers(int fd) {
  // Larger buffers absorb bursts between two turns of the event loop; failure only costs headroom.
  int size = 4 * 1024 * 1024;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
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
  SetBuffers(fd);
  return Napi::Number::New(env, fd);
}

// openUdp(address, port) -> { fd, port }. address is a host-order IPv4 integer (0 = every address).
Napi::Value OpenUdp(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsNumber()) {
    Napi::TypeError::New(env, "openUdp(address, port)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    ErrnoError(env, errno, "socket(AF_INET, SOCK_DGRAM)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int one = 1;
  if (setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one) < 0) {
    int err = errno;
    close(fd);
    ErrnoError(env, err, "setsockopt(IP_PKTINFO)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  SetBuffers(fd);
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(info[0].As<Napi::Number>().Uint32Value());
  sa.sin_port = htons(static_cast<uint16_t>(info[1].As<Napi::Number>().Uint32Value()));
  if (bind(fd, reinterpret_cast<struct sockaddr*>(&sa), sizeof sa) < 0) {
    int err = errno;
    close(fd);
    ErrnoError(env, err, "bind").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  socklen_t len = sizeof sa;
  getsockname(fd, reinterpret_cast<struct sockaddr*>(&sa), &len);
  Napi::Object out = Napi::Object::New(env);
  out.Set("fd", Napi::Number::New(env, fd));
  out.Set("port", Napi::Number::New(env, ntohs(sa.sin_port)));
  return out;
}

Napi::Value CloseFd(const Napi::CallbackInfo& info) {
  int fd = info[0].As<Napi::Number>().Int32Value();
  return Napi::Number::New(info.Env(), close(fd) < 0 ? -errno : 0);
}

constexpr size_t kControlSize = CMSG_SPACE(sizeof(struct in_pktinfo));

class PacketPort : public Napi::ObjectWrap<PacketPort> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "PacketPort",
                       {
                           InstanceMethod("start", &PacketPort::Start),
                           InstanceMethod("stop", &PacketPort::Stop),
                           InstanceMethod("write", &PacketPort::Write),
                           InstanceMethod("sendTo", &PacketPort::SendTo),
                           InstanceMethod("flush", &PacketPort::Flush),
                           InstanceMethod("ref", &PacketPort::Ref_),
                           InstanceMethod("unref", &PacketPort::Unref_),
                           InstanceMethod("close", &PacketPort::Close),
                       });
  }

  // new PacketPort(fd, batch, slot, mode, onBatch)
  explicit PacketPort(const Napi::CallbackInfo& info) : Napi::ObjectWrap<PacketPort>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 5 || !info[0].IsNumber() || !info[1].IsNumber() || !info[2].IsNumber() ||
        !info[3].IsNumber() || !info[4].IsFunction()) {
      Napi::TypeError::New(env, "PacketPort(fd, batch, slot, mode, onBatch)").ThrowAsJavaScriptException();
      return;
    }
    fd_ = info[0].As<Napi::Number>().Int32Value();
    batch_ = info[1].As<Napi::Number>().Int32Value();
    slot_ = info[2].As<Napi::Number>().Int32Value();
    mode_ = info[3].As<Napi::Number>().Int32Value();
    if (batch_ < 1 || batch_ > 1024 || slot_ < 64 || slot_ > 65536 || mode_ < kModeTun || mode_ > kModeUdp) {
      Napi::RangeError::New(env, "batch must be 1..1024, slot 64..65536, mode 0..2").ThrowAsJavaScriptException();
      return;
    }
    onBatch_ = Napi::Persistent(info[4].As<Napi::Function>());
    Napi::Object self = info.This().As<Napi::Object>();
    // Exposed as properties, so the arrays (and their memory) live as long as this object.
    size_t arena = static_cast<size_t>(batch_) * slot_;
    Napi::Buffer<uint8_t> buffer = Napi::Buffer<uint8_t>::New(env, arena);
    Napi::Int32Array lengths = Napi::Int32Array::New(env, batch_);
    Napi::Uint32Array sources = Napi::Uint32Array::New(env, batch_);
    Napi::Uint32Array sourcePorts = Napi::Uint32Array::New(env, batch_);
    Napi::Uint32Array destinations = Napi::Uint32Array::New(env, batch_);
    Napi::Buffer<uint8_t> sendBuffer = Napi::Buffer<uint8_t>::New(env, arena);
    Napi::Int32Array sendLengths = Napi::Int32Array::New(env, batch_);
    Napi::Uint32Array sendAddresses = Napi::Uint32Array::New(env, batch_);
    Napi::Uint32Array sendPorts = Napi::Uint32Array::New(env, batch_);
    Napi::Uint32Array sendSources = Napi::Uint32Array::New(env, batch_);
    base_ = buffer.Data();
    lengths_ = lengths.Data();
    sources_ = sources.Data();
    sourcePorts_ = sourcePorts.Data();
    destinations_ = destinations.Data();
    sendBase_ = sendBuffer.Data();
    sendLengths_ = sendLengths.Data();
    sendAddresses_ = sendAddresses.Data();
    sendPorts_ = sendPorts.Data();
    sendSources_ = sendSources.Data();
    self.Set("buffer", buffer);
    self.Set("lengths", lengths);
    self.Set("sources", sources);
    self.Set("sourcePorts", sourcePorts);
    self.Set("destinations", destinations);
    self.Set("sendBuffer", sendBuffer);
    self.Set("sendLengths", sendLengths);
    self.Set("sendAddresses", sendAddresses);
    self.Set("sendPorts", sendPorts);
    self.Set("sendSources", sendSources);
    self.Set("fd", Napi::Number::New(env, fd_));
    self.Set("slot", Napi::Number::New(env, slot_));
    self.Set("batch", Napi::Number::New(env, batch_));
    if (mode_ != kModeTun) {
      // recvmmsg/sendmmsg headers, prepared once.
      rmsgs_.resize(batch_);
      riov_.resize(batch_);
      rname_.resize(batch_);
      rcontrol_.resize(static_cast<size_t>(batch_) * kControlSize);
      smsgs_.resize(batch_);
      siov_.resize(batch_);
      sname_.resize(batch_);
      scontrol_.resize(static_cast<size_t>(batch_) * kControlSize);
    }
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

  static void FillMsg(struct msghdr* msg, struct iovec* iov, struct sockaddr_in* name, char* control,
                      const uint8_t* p, size_t len, uint32_t dst, uint32_t port, uint32_t src) {
    memset(name, 0, sizeof *name);
    name->sin_family = AF_INET;
    name->sin_addr.s_addr = htonl(dst);
    name->sin_port = htons(static_cast<uint16_t>(port));
    iov->iov_base = const_cast<uint8_t*>(p);
    iov->iov_len = len;
    memset(msg, 0, sizeof *msg);
    msg->msg_name = name;
    msg->msg_namelen = sizeof *name;
    msg->msg_iov = iov;
    msg->msg_iovlen = 1;
    if (src != 0) {
      // IP_PKTINFO's ipi_spec_dst pins the source address (ip(7)).
      memset(control, 0, kControlSize);
      msg->msg_control = control;
      msg->msg_controllen = kControlSize;
      struct cmsghdr* c = CMSG_FIRSTHDR(msg);
      c->cmsg_level = IPPROTO_IP;
      c->cmsg_type = IP_PKTINFO;
      c->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
      struct in_pktinfo* pi = reinterpret_cast<struct in_pktinfo*>(CMSG_DATA(c));
      pi->ipi_spec_dst.s_addr = htonl(src);
    }
  }

  // sendTo(buf, offset, length, dst, src[, port]) -> bytes sent or -errno. Addresses are host-order IPv4
  // integers; src 0 lets the kernel choose. `port` is the UDP destination port (ignored for raw ESP).
  Napi::Value SendTo(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const uint8_t* p;
    size_t len;
    if (!Span(info, &p, &len)) return env.Undefined();
    if (info.Length() < 5 || !info[3].IsNumber() || !info[4].IsNumber()) {
      Napi::TypeError::New(env, "sendTo(buf, offset, length, dst, src[, port])").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (fd_ < 0) return Napi::Number::New(env, -EBADF);
    uint32_t port = info.Length() > 5 && info[5].IsNumber() ? info[5].As<Napi::Number>().Uint32Value() : 0;
    struct msghdr msg;
    struct iovec iov;
    struct sockaddr_in name;
    alignas(struct cmsghdr) char control[kControlSize];
    FillMsg(&msg, &iov, &name, control, p, len, info[3].As<Napi::Number>().Uint32Value(), port,
            info[4].As<Napi::Number>().Uint32Value());
    ssize_t n = sendmsg(fd_, &msg, 0);
    return Napi::Number::New(env, n < 0 ? -errno : static_cast<double>(n));
  }

  // flush(count): sends packets 0..count-1 of the send arena (sendBuffer at i * slot, sendLengths[i];
  // for sockets sendAddresses/sendPorts/sendSources[i]) in one call. Returns how many were sent, or
  // -errno when the first one failed (the caller counts the rest as dropped).
  Napi::Value Flush(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    int count = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : 0;
    if (count < 0 || count > batch_) {
      Napi::RangeError::New(env, "flush count outside 0..batch").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (fd_ < 0) return Napi::Number::New(env, -EBADF);
    for (int i = 0; i < count; i++) {
      if (sendLengths_[i] < 0 || sendLengths_[i] > slot_) {
        Napi::RangeError::New(env, "sendLengths entry outside 0..slot").ThrowAsJavaScriptException();
        return env.Undefined();
      }
    }
    int sent = 0;
    if (mode_ == kModeTun) {
      for (; sent < count; sent++) {
        ssize_t n = write(fd_, sendBase_ + static_cast<size_t>(sent) * slot_, sendLengths_[sent]);
        if (n < 0) {
          if (sent == 0) return Napi::Number::New(env, -errno);
          break;
        }
      }
      return Napi::Number::New(env, sent);
    }
    for (int i = 0; i < count; i++) {
      FillMsg(&smsgs_[i].msg_hdr, &siov_[i], &sname_[i], &scontrol_[static_cast<size_t>(i) * kControlSize],
              sendBase_ + static_cast<size_t>(i) * slot_, sendLengths_[i], sendAddresses_[i], sendPorts_[i],
              sendSources_[i]);
    }
    while (sent < count) {
      int n = sendmmsg(fd_, &smsgs_[sent], count - sent, 0);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (sent == 0) return Napi::Number::New(env, -errno);
        break;
      }
      sent += n;
    }
    return Napi::Number::New(env, sent);
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

  // Reads up to batch_ datagrams with one recvmmsg; returns the count or -errno.
  int ReadSockets() {
    for (int i = 0; i < batch_; i++) {
      riov_[i].iov_base = base_ + static_cast<size_t>(i) * slot_;
      riov_[i].iov_len = slot_;
      struct msghdr* m = &rmsgs_[i].msg_hdr;
      memset(m, 0, sizeof *m);
      m->msg_name = &rname_[i];
      m->msg_namelen = sizeof rname_[i];
      m->msg_iov = &riov_[i];
      m->msg_iovlen = 1;
      m->msg_control = &rcontrol_[static_cast<size_t>(i) * kControlSize];
      m->msg_controllen = kControlSize;
    }
    int n;
    do {
      n = recvmmsg(fd_, rmsgs_.data(), batch_, MSG_DONTWAIT, nullptr);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -errno;
    for (int i = 0; i < n; i++) {
      struct msghdr* m = &rmsgs_[i].msg_hdr;
      // A datagram cut to the slot is reported one byte longer than the slot, so JS drops it as such.
      lengths_[i] = (m->msg_flags & MSG_TRUNC) ? slot_ + 1 : static_cast<int32_t>(rmsgs_[i].msg_len);
      sources_[i] = ntohl(rname_[i].sin_addr.s_addr);
      sourcePorts_[i] = ntohs(rname_[i].sin_port);
      destinations_[i] = 0;
      for (struct cmsghdr* c = CMSG_FIRSTHDR(m); c != nullptr; c = CMSG_NXTHDR(m, c)) {
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
          // ipi_addr: the destination address in the packet's header, i.e. which local address was used.
          destinations_[i] = ntohl(reinterpret_cast<struct in_pktinfo*>(CMSG_DATA(c))->ipi_addr.s_addr);
        }
      }
    }
    return n;
  }

  int ReadTun() {
    int count = 0;
    while (count < batch_) {
      ssize_t n = read(fd_, base_ + static_cast<size_t>(count) * slot_, slot_);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        return count > 0 ? count : -errno;
      }
      lengths_[count++] = static_cast<int32_t>(n);
    }
    return count;
  }

  void Drain(int status) {
    if (fd_ < 0) return;
    int result = status < 0 ? status : (mode_ == kModeTun ? ReadTun() : ReadSockets());
    if (result == 0) return;
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    // One call per batch; a negative count carries -errno of a failed read.
    onBatch_.MakeCallback(Value(), {Napi::Number::New(env, result)});
  }

  int fd_ = -1;
  int batch_ = 0;
  int slot_ = 0;
  int mode_ = kModeTun;
  bool polling_ = false;
  uint8_t* base_ = nullptr;
  int32_t* lengths_ = nullptr;
  uint32_t* sources_ = nullptr;
  uint32_t* sourcePorts_ = nullptr;
  uint32_t* destinations_ = nullptr;
  uint8_t* sendBase_ = nullptr;
  int32_t* sendLengths_ = nullptr;
  uint32_t* sendAddresses_ = nullptr;
  uint32_t* sendPorts_ = nullptr;
  uint32_t* sendSources_ = nullptr;
  std::vector<struct mmsghdr> rmsgs_;
  std::vector<struct iovec> riov_;
  std::vector<struct sockaddr_in> rname_;
  std::vector<char> rcontrol_;
  std::vector<struct mmsghdr> smsgs_;
  std::vector<struct iovec> siov_;
  std::vector<struct sockaddr_in> sname_;
  std::vector<char> scontrol_;
  uv_poll_t* poll_ = nullptr;
  Napi::FunctionReference onBatch_;
};

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("openTun", Napi::Function::New(env, OpenTun));
  exports.Set("openRawEsp", Napi::Function::New(env, OpenRawEsp));
  exports.Set("openUdp", Napi::Function::New(env, OpenUdp));
  exports.Set("closeFd", Napi::Function::New(env, CloseFd));
  exports.Set("PacketPort", PacketPort::Init(env));
  exports.Set("MODE_TUN", Napi::Number::New(env, kModeTun));
  exports.Set("MODE_RAW", Napi::Number::New(env, kModeRaw));
  exports.Set("MODE_UDP", Napi::Number::New(env, kModeUdp));
  l2tpsec::InitEcdh(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(l2tpsec_net, Init)
