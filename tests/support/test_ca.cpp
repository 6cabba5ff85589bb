#include "tests/support/test_ca.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>

#include "tests/support/process.h"

namespace jaild::test {
namespace {

void openssl(const std::vector<std::string>& args) {
  std::vector<std::string> argv{"openssl"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = run(argv);
  if (r.status != 0) throw std::runtime_error("openssl " + args[0] + " failed: " + r.err);
}

}  // namespace

test_ca::test_ca(const std::filesystem::path& dir, const std::string& name)
    : dir_(dir), name_(name) {
  ca_ = {dir / (name + ".crt"), dir / (name + ".key")};
  openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
           "-keyout", ca_.key.string(), "-out", ca_.cert.string(), "-days", "1", "-subj",
           "/CN=jaild test CA " + name});
  server_ = issue(name + "-server", "localhost",
                  "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
}

key_pair test_ca::client(const std::string& cn) const {
  return issue(name_ + "-client-" + cn, cn, "extendedKeyUsage=clientAuth\n");
}

key_pair test_ca::issue(const std::string& file, const std::string& cn,
                        const std::string& ext) const {
  key_pair out{dir_ / (file + ".crt"), dir_ / (file + ".key")};
  const auto csr = dir_ / (file + ".csr");
  const auto ext_file = dir_ / (file + ".ext");
  std::ofstream(ext_file) << ext;
  openssl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
           "-keyout", out.key.string(), "-out", csr.string(), "-subj", "/CN=" + cn});
  openssl({"x509", "-req", "-in", csr.string(), "-CA", ca_.cert.string(), "-CAkey",
           ca_.key.string(), "-CAcreateserial", "-out", out.cert.string(), "-days", "1",
           "-extfile", ext_file.string()});
  return out;
}

unsigned short free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
    throw std::runtime_error("cannot find a free port");
  ::close(fd);
  return ntohs(a.sin_port);
}

}  // namespace jaild::test
