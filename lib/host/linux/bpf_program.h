// A small assembler for eBPF programs: jaild's socket hooks are a few dozen
// instructions with the jail's addresses as immediates, so they are built
// here directly, with forward labels, instead of being compiled by clang and
// loaded through libbpf. Pure: the result is the instruction array that
// bpf(BPF_PROG_LOAD) takes.
#pragma once

#include <linux/bpf.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace jaild::host::linux_host {

class bpf_program {
 public:
  enum class size : std::uint8_t { b = BPF_B, h = BPF_H, w = BPF_W, dw = BPF_DW };

  // dst = imm (64-bit move of a sign-extended 32-bit immediate).
  bpf_program& mov(int dst, std::int32_t imm);
  bpf_program& mov_reg(int dst, int src);
  bpf_program& add(int dst, std::int32_t imm);
  // dst &= imm, on the low 32 bits (the upper ones cleared).
  bpf_program& and32(int dst, std::int32_t imm);
  // dst = *(size*)(src + off)
  bpf_program& load(size s, int dst, int src, std::int16_t off);
  // *(size*)(dst + off) = src
  bpf_program& store_reg(size s, int dst, std::int16_t off, int src);
  // *(size*)(dst + off) = imm
  bpf_program& store(size s, int dst, std::int16_t off, std::int32_t imm);
  // if ((u32)reg == (u32)imm) goto label (and !=): 32-bit compares, so that
  // an address with its top bit set compares as the same 32 bits.
  bpf_program& jeq32(int reg, std::uint32_t imm, const std::string& label);
  bpf_program& jne32(int reg, std::uint32_t imm, const std::string& label);
  bpf_program& jump(const std::string& label);
  bpf_program& call(std::int32_t helper);
  bpf_program& exit();
  // The next instruction is `name`.
  bpf_program& label(const std::string& name);

  // The program with every jump resolved; throws std::logic_error for a
  // label that was used but never placed, or placed twice.
  std::vector<bpf_insn> code() const;

 private:
  bpf_program& emit(std::uint8_t code, int dst, int src, std::int16_t off, std::int32_t imm);
  bpf_program& jump_to(std::uint8_t code, int reg, std::int32_t imm, const std::string& label);

  std::vector<bpf_insn> insns_;
  std::map<std::string, std::size_t> labels_;                 // name -> instruction index
  std::vector<std::pair<std::size_t, std::string>> fixups_;   // jump index -> label
};

}  // namespace jaild::host::linux_host
