#include "lib/host/linux/socket_policy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstring>

#include "lib/model/address.h"

namespace jaild::host::linux_host {
namespace {

using size = bpf_program::size;
using v4_addr = std::array<std::uint8_t, 4>;
using v6_addr = std::array<std::uint8_t, 16>;

constexpr int ctx = 6;  // r6 keeps the context across the program
constexpr auto ip4 = static_cast<std::int16_t>(offsetof(bpf_sock_addr, user_ip4));
constexpr auto src4 = static_cast<std::int16_t>(offsetof(bpf_sock_addr, msg_src_ip4));
constexpr auto sk_field = static_cast<std::int16_t>(offsetof(bpf_sock_addr, sk));
constexpr auto sk_src4 = static_cast<std::int16_t>(offsetof(bpf_sock, src_ip4));

std::int16_t ip6(int word) {
  return static_cast<std::int16_t>(offsetof(bpf_sock_addr, user_ip6) + 4 * word);
}
std::int16_t src6(int word) {
  return static_cast<std::int16_t>(offsetof(bpf_sock_addr, msg_src_ip6) + 4 * word);
}
std::int16_t sk_src6(int word) {
  return static_cast<std::int16_t>(offsetof(bpf_sock, src_ip6) + 4 * word);
}

// A 32-bit word as a load from memory that holds these bytes gives it.
std::uint32_t word_of(const std::uint8_t* bytes) {
  std::uint32_t w;
  std::memcpy(&w, bytes, 4);
  return w;
}
std::uint32_t word_of(const v4_addr& a) { return word_of(a.data()); }
std::array<std::uint32_t, 4> words_of(const v6_addr& a) {
  return {word_of(a.data()), word_of(a.data() + 4), word_of(a.data() + 8), word_of(a.data() + 12)};
}

// 127.0.0.0/8: (word & mask) == value.
const std::uint32_t loopback4_mask = word_of(v4_addr{0xff, 0, 0, 0});
const std::uint32_t loopback4_value = word_of(v4_addr{127, 0, 0, 0});
const std::uint32_t mapped_word2 = word_of(v4_addr{0, 0, 0xff, 0xff});  // ::ffff:0:0/96
const std::uint32_t one_word3 = word_of(v4_addr{0, 0, 0, 1});          // ::1

std::array<std::uint32_t, 4> mapped(const v4_addr& a) { return {0, 0, mapped_word2, word_of(a)}; }

void allow(bpf_program& p) { p.mov(0, 1).exit(); }
void deny(bpf_program& p) { p.mov(0, 0).exit(); }

// r2..r5 = the four words at ctx+off(i).
void load6(bpf_program& p, std::int16_t (*off)(int)) {
  for (int i = 0; i < 4; ++i) p.load(size::w, 2 + i, ctx, off(i));
}

void store6(bpf_program& p, std::int16_t (*off)(int), const std::array<std::uint32_t, 4>& w) {
  for (int i = 0; i < 4; ++i) p.store(size::w, ctx, off(i), static_cast<std::int32_t>(w[i]));
}

// goto `to` when r2..r5 equal `w`.
void if_equal6(bpf_program& p, const std::array<std::uint32_t, 4>& w, const std::string& to,
               const std::string& tag) {
  const std::string next = "next." + tag;
  for (int i = 0; i < 4; ++i) p.jne32(2 + i, w[i], next);
  p.jump(to);
  p.label(next);
}

// Binds the socket (bpf_bind) to `addr` when it is not bound yet.
void bind_unbound4(bpf_program& p, const v4_addr& a, const std::string& tag) {
  const std::string done = "bound." + tag;
  p.load(size::dw, 7, ctx, sk_field).load(size::w, 3, 7, sk_src4).jne32(3, 0, done);
  // struct sockaddr_in on the stack: family, port 0, the address, zeros.
  p.store(size::dw, 10, -16, 0).store(size::dw, 10, -8, 0);
  p.store(size::h, 10, -16, AF_INET).store(size::w, 10, -12, static_cast<std::int32_t>(word_of(a)));
  p.mov_reg(1, ctx).mov_reg(2, 10).add(2, -16).mov(3, sizeof(sockaddr_in)).call(BPF_FUNC_bind);
  p.label(done);
}

void bind_unbound6(bpf_program& p, const std::array<std::uint32_t, 4>& w, const std::string& tag) {
  const std::string done = "bound." + tag;
  p.load(size::dw, 7, ctx, sk_field);
  // Bound when any word of its source is set.
  for (int i = 0; i < 4; ++i) p.load(size::w, 3, 7, sk_src6(i)).jne32(3, 0, done);
  // struct sockaddr_in6: family, port 0, flowinfo 0, the address, scope 0.
  for (int off = -32; off < 0; off += 8) p.store(size::dw, 10, static_cast<std::int16_t>(off), 0);
  p.store(size::h, 10, -32, AF_INET6);
  for (int i = 0; i < 4; ++i)
    p.store(size::w, 10, static_cast<std::int16_t>(-24 + 4 * i), static_cast<std::int32_t>(w[i]));
  p.mov_reg(1, ctx).mov_reg(2, 10).add(2, -32).mov(3, sizeof(sockaddr_in6)).call(BPF_FUNC_bind);
  p.label(done);
}

std::vector<bpf_insn> bind4(const jail_addresses& a) {
  bpf_program p;
  if (a.v4.empty()) {
    deny(p);
    return p.code();
  }
  p.mov_reg(ctx, 1).load(size::w, 2, ctx, ip4);
  p.jeq32(2, 0, "default");
  for (const auto& addr : a.v4) p.jeq32(2, word_of(addr), "allow");
  p.mov_reg(3, 2).and32(3, static_cast<std::int32_t>(loopback4_mask));
  p.jeq32(3, loopback4_value, "default");
  deny(p);
  p.label("default").store(size::w, ctx, ip4, static_cast<std::int32_t>(word_of(a.v4[0])));
  p.label("allow");
  allow(p);
  return p.code();
}

std::vector<bpf_insn> connect4(const jail_addresses& a) {
  bpf_program p;
  if (a.v4.empty()) {
    deny(p);
    return p.code();
  }
  p.mov_reg(ctx, 1).load(size::w, 2, ctx, ip4);
  p.mov_reg(3, 2).and32(3, static_cast<std::int32_t>(loopback4_mask));
  p.jne32(3, loopback4_value, "source");
  p.store(size::w, ctx, ip4, static_cast<std::int32_t>(word_of(a.v4[0])));
  p.label("source");
  bind_unbound4(p, a.v4[0], "4");
  allow(p);
  return p.code();
}

std::vector<bpf_insn> sendmsg4(const jail_addresses& a) {
  bpf_program p;
  if (a.v4.empty()) {
    deny(p);
    return p.code();
  }
  const auto first = static_cast<std::int32_t>(word_of(a.v4[0]));
  p.mov_reg(ctx, 1).load(size::w, 2, ctx, ip4);
  p.mov_reg(3, 2).and32(3, static_cast<std::int32_t>(loopback4_mask));
  p.jne32(3, loopback4_value, "source");
  p.store(size::w, ctx, ip4, first);
  p.label("source");
  // A bound socket sends from its (the jail's) address.
  p.load(size::dw, 7, ctx, sk_field).load(size::w, 3, 7, sk_src4).jne32(3, 0, "allow");
  p.load(size::w, 2, ctx, src4).jeq32(2, 0, "set");
  for (const auto& addr : a.v4) p.jeq32(2, word_of(addr), "allow");
  deny(p);
  p.label("set").store(size::w, ctx, src4, first);
  p.label("allow");
  allow(p);
  return p.code();
}

// The IPv6 address an IPv6 socket of the jail gets by default: its first
// IPv6 address, or its first IPv4 one mapped; nullopt when it has neither.
std::optional<std::array<std::uint32_t, 4>> default6(const jail_addresses& a) {
  if (!a.v6.empty()) return words_of(a.v6[0]);
  if (!a.v4.empty()) return mapped(a.v4[0]);
  return std::nullopt;
}

// Jumps to `mapped_label` when r2..r5 hold an IPv4-mapped address.
void if_mapped(bpf_program& p, const std::string& mapped_label, const std::string& tag) {
  const std::string no = "notmapped." + tag;
  p.jne32(2, 0, no).jne32(3, 0, no).jne32(4, mapped_word2, no).jump(mapped_label);
  p.label(no);
}

std::vector<bpf_insn> bind6(const jail_addresses& a) {
  bpf_program p;
  const auto dflt = default6(a);
  if (!dflt) {
    deny(p);
    return p.code();
  }
  p.mov_reg(ctx, 1);
  load6(p, ip6);
  if_equal6(p, {0, 0, 0, 0}, "default", "any");
  if_equal6(p, {0, 0, 0, one_word3}, "default", "lo");
  for (std::size_t i = 0; i < a.v6.size(); ++i)
    if_equal6(p, words_of(a.v6[i]), "allow", "own" + std::to_string(i));
  if_mapped(p, "mapped", "b");
  deny(p);
  // ::ffff:a.b.c.d: the IPv4 rules on the last word.
  p.label("mapped");
  if (a.v4.empty()) {
    deny(p);
  } else {
    p.jeq32(5, 0, "mapped_default");
    for (const auto& addr : a.v4) p.jeq32(5, word_of(addr), "allow");
    p.mov_reg(3, 5).and32(3, static_cast<std::int32_t>(loopback4_mask));
    p.jeq32(3, loopback4_value, "mapped_default");
    deny(p);
    p.label("mapped_default");
    store6(p, ip6, mapped(a.v4[0]));
    allow(p);
  }
  p.label("default");
  store6(p, ip6, *dflt);
  p.label("allow");
  allow(p);
  return p.code();
}

// connect6 and sendmsg6 share their destination rules: ::1 and ::ffff:127/8
// become the jail's own; a destination of a family the jail lacks is refused.
// Leaves the destination's kind for the source rules: "v4dst" or "v6dst".
void destination6(bpf_program& p, const jail_addresses& a, const std::string& tag) {
  const auto dflt = *default6(a);
  load6(p, ip6);
  if_equal6(p, {0, 0, 0, one_word3}, "lo." + tag, "lo" + tag);
  if_mapped(p, "v4dst", tag);
  if (a.v6.empty()) {
    deny(p);
  } else {
    p.jump("v6dst");
  }
  p.label("lo." + tag);
  store6(p, ip6, dflt);
  p.jump(a.v6.empty() ? "v4dst" : "v6dst");
  p.label("v4dst");
  if (a.v4.empty()) {
    deny(p);  // the callers add nothing for IPv4 then: no dead code for the verifier
  } else {
    p.mov_reg(3, 5).and32(3, static_cast<std::int32_t>(loopback4_mask));
    p.jne32(3, loopback4_value, "v4src");
    store6(p, ip6, mapped(a.v4[0]));
    p.label("v4src");
  }
}

std::vector<bpf_insn> connect6(const jail_addresses& a) {
  bpf_program p;
  if (!default6(a)) {
    deny(p);
    return p.code();
  }
  p.mov_reg(ctx, 1);
  destination6(p, a, "c");
  if (!a.v4.empty()) {
    bind_unbound6(p, mapped(a.v4[0]), "m");
    allow(p);
  }
  if (!a.v6.empty()) {
    p.label("v6dst");
    bind_unbound6(p, words_of(a.v6[0]), "n");
    allow(p);
  }
  return p.code();
}

std::vector<bpf_insn> sendmsg6(const jail_addresses& a) {
  bpf_program p;
  if (!default6(a)) {
    deny(p);
    return p.code();
  }
  p.mov_reg(ctx, 1);
  destination6(p, a, "s");
  // An IPv4-mapped destination leaves through the IPv4 path, whose own hook
  // (sendmsg4) decides the source.
  if (!a.v4.empty()) allow(p);
  if (!a.v6.empty()) {
    p.label("v6dst");
    p.load(size::dw, 7, ctx, sk_field);
    for (int i = 0; i < 4; ++i) p.load(size::w, 3, 7, sk_src6(i)).jne32(3, 0, "allow");
    load6(p, src6);
    if_equal6(p, {0, 0, 0, 0}, "set", "unset");
    for (std::size_t i = 0; i < a.v6.size(); ++i)
      if_equal6(p, words_of(a.v6[i]), "allow", "src" + std::to_string(i));
    deny(p);
    p.label("set");
    store6(p, src6, words_of(a.v6[0]));
    p.label("allow");
    allow(p);
  }
  return p.code();
}

}  // namespace

std::optional<jail_addresses> jail_addresses_of(const std::vector<std::string>& ip4,
                                                const std::vector<std::string>& ip6,
                                                std::string* problem) {
  jail_addresses out;
  for (const auto& text : ip4) {
    auto a = model::parse_jail_address(text, false, problem);
    v4_addr bytes{};
    if (!a || ::inet_pton(AF_INET, a->addr.c_str(), bytes.data()) != 1) {
      if (problem && problem->empty()) *problem = "not an IPv4 address: " + text;
      return std::nullopt;
    }
    out.v4.push_back(bytes);
  }
  for (const auto& text : ip6) {
    auto a = model::parse_jail_address(text, true, problem);
    v6_addr bytes{};
    if (!a || ::inet_pton(AF_INET6, a->addr.c_str(), bytes.data()) != 1) {
      if (problem && problem->empty()) *problem = "not an IPv6 address: " + text;
      return std::nullopt;
    }
    out.v6.push_back(bytes);
  }
  return out;
}

std::vector<socket_hook> socket_hooks_for(const jail_addresses& a) {
  return {{BPF_CGROUP_INET4_BIND, "bind4", bind4(a)},
          {BPF_CGROUP_INET6_BIND, "bind6", bind6(a)},
          {BPF_CGROUP_INET4_CONNECT, "connect4", connect4(a)},
          {BPF_CGROUP_INET6_CONNECT, "connect6", connect6(a)},
          {BPF_CGROUP_UDP4_SENDMSG, "sendmsg4", sendmsg4(a)},
          {BPF_CGROUP_UDP6_SENDMSG, "sendmsg6", sendmsg6(a)}};
}

}  // namespace jaild::host::linux_host
