// A jaild with HTTPS on a free port, a test CA made with openssl at test time,
// and helpers to call it with curl, jailctl and the raw client.
#pragma once

#include <openssl/ssl.h>

#include <fstream>
#include <string>
#include <vector>

#include "tests/support/daemon_fixture.h"
#include "tests/support/raw_client.h"
#include "tests/support/test_ca.h"

namespace jaild::test {

struct https_daemon {
  temp_dir certs{"jaild-ca"};
  test_ca ca{certs.path()};
  daemon_fixture d;
  unsigned short port = free_port();

  // Extra lines for the configuration file, one string per section.
  struct sections {
    std::string top, api, https, auth;
  };

  void start(const sections& extra = {}) {
    const auto conf = certs / "jaild.conf";
    std::ofstream(conf) << extra.top << "\n[api]\n"
                        << extra.api << "\n[https]\nlisten = \"127.0.0.1:" << port
                        << "\"\ncert = \"" << ca.server().cert.string() << "\"\nkey = \""
                        << ca.server().key.string() << "\"\nclient_ca = \""
                        << ca.ca_cert().string() << "\"\n"
                        << extra.https << "\n[auth]\n"
                        << extra.auth << "\n";
    d.start({"--config", conf.string()});
  }

  std::string url() const { return "https://127.0.0.1:" + std::to_string(port); }

  // curl over HTTPS; `auth` is extra curl arguments (-H, --cert ...).
  http_answer curl(const std::string& method, const std::string& path,
                   const std::vector<std::string>& auth, const std::string& body = {}) {
    std::vector<std::string> argv{"curl", "-sS", "--cacert", ca.ca_cert().string(), "-X", method,
                                  "-w", "\n%{http_code}"};
    argv.insert(argv.end(), auth.begin(), auth.end());
    if (!body.empty() || method == "POST")
      argv.insert(argv.end(), {"-H", "Content-Type: application/json", "--data-binary", "@-"});
    argv.push_back(url() + path);
    auto r = run(argv, body);
    http_answer a;
    auto nl = r.out.rfind('\n');
    if (nl == std::string::npos) return a;
    a.body = r.out.substr(0, nl);
    a.status = std::stoi(r.out.substr(nl + 1));
    return a;
  }

  static std::vector<std::string> bearer(const std::string& token) {
    return {"-H", "Authorization: Bearer " + token};
  }

  // A new token's secret, made over the UNIX socket as root with jailctl.
  std::string token(const std::string& role, const std::string& expires = {}) {
    std::vector<std::string> args{"token", "create", "t-" + role, "--role", role};
    if (!expires.empty()) args.insert(args.end(), {"--expires", expires});
    auto r = d.jailctl(args);
    if (r.status != 0) throw std::runtime_error("jailctl token create failed: " + r.err);
    auto secret = r.out;
    while (!secret.empty() && secret.back() == '\n') secret.pop_back();
    return secret;
  }

  // jailctl --host URL --cacert CA ARGS...
  run_result jailctl(const std::vector<std::string>& args,
                     const std::map<std::string, std::string>& env = {}) {
    std::vector<std::string> argv{jailctl_binary(), "--host", url(), "--cacert",
                                  ca.ca_cert().string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv, {}, env);
  }

  raw_client::tls_options tls(int max_version = 0) const {
    raw_client::tls_options o;
    o.ca = ca.ca_cert();
    o.max_version = max_version;
    return o;
  }
};

}  // namespace jaild::test
