// jaild-attach with a stand-in for jail_attach(2), for attach_test.cpp: JID
// 42 "exists", every other one fails with EPERM. passwd and group are read
// from $JAILD_TEST_ETC when it is set (the tests' own files).
#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <string>
#include <vector>

#include "lib/host/freebsd/attach.h"

extern char** environ;

namespace {
int stand_in_attach(int jid) {
  if (jid == 42) return 0;
  errno = EPERM;
  return -1;
}


// A login class of its own: umask 027 and one variable, as login.conf(5)
// would give them, so that the test sees where jaild-attach applies it.
int stand_in_login_class(const char* user, std::vector<std::string>* env) {
  ::umask(027);
  env->push_back(std::string("LOGIN_CLASS_OF=") + user);
  return 0;
}
}  // namespace

int main(int argc, char** argv) {
  const char* etc = std::getenv("JAILD_TEST_ETC");
  return jaild::host::freebsd::attach_main(argc, argv, environ, stand_in_attach,
                                           etc ? etc : "/etc", stand_in_login_class);
}
