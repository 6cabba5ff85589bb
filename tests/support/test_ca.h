// A certificate authority made at test time with openssl(1) (never committed):
// a CA, a server certificate for localhost and 127.0.0.1, and client
// certificates with a chosen CN, all EC P-256, valid for a day.
#pragma once

#include <filesystem>
#include <string>

namespace jaild::test {

struct key_pair {
  std::filesystem::path cert, key;
};

class test_ca {
 public:
  // Makes the CA and the server certificate in `dir`; `name` prefixes the files.
  test_ca(const std::filesystem::path& dir, const std::string& name = "ca");

  const std::filesystem::path& ca_cert() const { return ca_.cert; }
  const key_pair& server() const { return server_; }
  // A client certificate (extendedKeyUsage clientAuth) whose subject CN is `cn`.
  key_pair client(const std::string& cn) const;

 private:
  key_pair issue(const std::string& file, const std::string& cn, const std::string& ext) const;

  std::filesystem::path dir_;
  std::string name_;
  key_pair ca_;
  key_pair server_;
};

// A TCP port on 127.0.0.1 that was free a moment ago.
unsigned short free_port();

}  // namespace jaild::test
