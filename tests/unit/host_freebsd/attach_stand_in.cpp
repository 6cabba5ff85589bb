// jaild-attach with a stand-in for jail_attach(2), for attach_test.cpp: JID
// 42 "exists", every other one fails with EPERM. passwd and group are read
// from $JAILD_TEST_ETC when it is set (the tests' own files).
#include <cerrno>
#include <cstdlib>

#include "lib/host/freebsd/attach.h"

extern char** environ;

namespace {
int stand_in_attach(int jid) {
  if (jid == 42) return 0;
  errno = EPERM;
  return -1;
}
}  // namespace

int main(int argc, char** argv) {
  const char* etc = std::getenv("JAILD_TEST_ETC");
  return jaild::host::freebsd::attach_main(argc, argv, environ, stand_in_attach,
                                           etc ? etc : "/etc");
}
