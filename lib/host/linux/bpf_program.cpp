#include "lib/host/linux/bpf_program.h"

#include <stdexcept>

namespace jaild::host::linux_host {

bpf_program& bpf_program::emit(std::uint8_t code, int dst, int src, std::int16_t off,
                               std::int32_t imm) {
  bpf_insn i{};
  i.code = code;
  i.dst_reg = static_cast<std::uint8_t>(dst & 0xf);
  i.src_reg = static_cast<std::uint8_t>(src & 0xf);
  i.off = off;
  i.imm = imm;
  insns_.push_back(i);
  return *this;
}

bpf_program& bpf_program::mov(int dst, std::int32_t imm) {
  return emit(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm);
}

bpf_program& bpf_program::mov_reg(int dst, int src) {
  return emit(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0);
}

bpf_program& bpf_program::add(int dst, std::int32_t imm) {
  return emit(BPF_ALU64 | BPF_ADD | BPF_K, dst, 0, 0, imm);
}

bpf_program& bpf_program::and32(int dst, std::int32_t imm) {
  return emit(BPF_ALU | BPF_AND | BPF_K, dst, 0, 0, imm);
}

bpf_program& bpf_program::load(size s, int dst, int src, std::int16_t off) {
  return emit(static_cast<std::uint8_t>(BPF_LDX | BPF_MEM | static_cast<std::uint8_t>(s)), dst,
              src, off, 0);
}

bpf_program& bpf_program::store_reg(size s, int dst, std::int16_t off, int src) {
  return emit(static_cast<std::uint8_t>(BPF_STX | BPF_MEM | static_cast<std::uint8_t>(s)), dst,
              src, off, 0);
}

bpf_program& bpf_program::store(size s, int dst, std::int16_t off, std::int32_t imm) {
  return emit(static_cast<std::uint8_t>(BPF_ST | BPF_MEM | static_cast<std::uint8_t>(s)), dst, 0,
              off, imm);
}

bpf_program& bpf_program::jump_to(std::uint8_t code, int reg, std::int32_t imm,
                                  const std::string& label) {
  fixups_.emplace_back(insns_.size(), label);
  return emit(code, reg, 0, 0, imm);
}

bpf_program& bpf_program::jeq32(int reg, std::uint32_t imm, const std::string& label) {
  return jump_to(BPF_JMP32 | BPF_JEQ | BPF_K, reg, static_cast<std::int32_t>(imm), label);
}

bpf_program& bpf_program::jne32(int reg, std::uint32_t imm, const std::string& label) {
  return jump_to(BPF_JMP32 | BPF_JNE | BPF_K, reg, static_cast<std::int32_t>(imm), label);
}

bpf_program& bpf_program::jump(const std::string& label) {
  return jump_to(BPF_JMP | BPF_JA, 0, 0, label);
}

bpf_program& bpf_program::call(std::int32_t helper) {
  return emit(BPF_JMP | BPF_CALL, 0, 0, 0, helper);
}

bpf_program& bpf_program::exit() { return emit(BPF_JMP | BPF_EXIT, 0, 0, 0, 0); }

bpf_program& bpf_program::label(const std::string& name) {
  if (!labels_.emplace(name, insns_.size()).second)
    throw std::logic_error("bpf label placed twice: " + name);
  return *this;
}

std::vector<bpf_insn> bpf_program::code() const {
  auto out = insns_;
  for (const auto& [at, name] : fixups_) {
    auto it = labels_.find(name);
    if (it == labels_.end()) throw std::logic_error("bpf label never placed: " + name);
    // A jump's offset counts from the instruction after it.
    out[at].off = static_cast<std::int16_t>(static_cast<long>(it->second) -
                                            static_cast<long>(at) - 1);
  }
  return out;
}

}  // namespace jaild::host::linux_host
