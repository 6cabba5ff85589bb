// VNET interfaces written as hooks, the way the seeds write them, read into
// jaild's vnet.interfaces on import and written back on export.
//
// Recognised, for each name in vnet.interface:
//
//   epair by hand (A1, A2)              jib (the book)
//   exec.prestart:                      exec.prestart:
//     ifconfig EPAIR create [up]          jib addm LABEL IF0 [IF1 ...]
//     ifconfig EPAIRa up [descr ...]    vnet.interface = e0b_LABEL [, e1b_LABEL ...]
//     ifconfig EPAIRb ether MAC         exec.poststop:
//     ifconfig BRIDGE addm EPAIRa [up]    jib destroy LABEL
//   vnet.interface = EPAIRb             (interface N joins bridge "IFNbridge",
//   exec.poststop:                       jib's name for the bridge of IFN)
//     ifconfig BRIDGE deletem EPAIRa
//     ifconfig EPAIRa destroy
//
// and, in exec.start, for the jail end of either kind:
//     ifconfig EPAIRb [inet|inet6] ADDR/LEN [up|alias]
//     route add [-inet] default GATEWAY          (the first interface with IPv4)
//     route add -inet6 default GATEWAY           (the first interface with IPv6)
//
// Any tool may be named by path (/sbin/ifconfig). A name in vnet.interface
// that no such block creates, or whose host end joins no bridge, is an error:
// jaild creates VNET interfaces itself and needs to know their bridge.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "lib/jailconf/evaluator.h"
#include "lib/jailconf/hooks.h"
#include "lib/model/jail_spec.h"

namespace jaild::jailconf {

struct lifted_interface {
  model::vnet_interface itf;
  position pos;  // of its vnet.interface value
};

// Lifts every vnet.interface of `jail`; the hooks it reads are marked taken.
std::vector<lifted_interface> lift_vnet(const std::vector<value>& vnet_interface,
                                        std::string_view jail, hook_set& hooks,
                                        std::vector<std::string>& warnings);

// The hooks that create interface `itf` as epair `unit` (exported text).
struct plumbing {
  std::string jail_end;                    // for vnet.interface: "epair3b"
  std::vector<std::string> prestart;       // run after the jail's own prestart hooks
  std::vector<std::string> start;          // run before the jail's own start hooks
  std::vector<std::string> poststop;       // run after the jail's own poststop hooks
};
plumbing vnet_plumbing(const model::vnet_interface& itf, int unit);

}  // namespace jaild::jailconf
