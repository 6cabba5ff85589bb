#include "tests/support/daemon_fixture.h"

#include <cstdlib>

#include <regex>
#include <stdexcept>

namespace jaild::test {

std::string jaild_binary() {
  // Another build's jaild, to run the same tests against it (e.g. an older
  // one, to see a test fail there).
  if (const char* other = std::getenv("JAILD_TEST_JAILD")) return other;
  return JAILD_TEST_JAILD;
}
std::string jailctl_binary() { return JAILD_TEST_JAILCTL; }

nlohmann::json http_answer::json() const { return nlohmann::json::parse(body); }

daemon_fixture::daemon_fixture() = default;

daemon_fixture::~daemon_fixture() {
  if (daemon_) daemon_->stop(15, std::chrono::seconds(10));
}

void daemon_fixture::start(const std::vector<std::string>& extra) {
  std::vector<std::string> argv{jaild_binary(), "--state-dir", dir_.path().string()};
  argv.insert(argv.end(), extra.begin(), extra.end());
  daemon_ = std::make_unique<background>(argv, dir_ / "jaild.log");
  if (!wait_for_socket(socket()))
    throw std::runtime_error("jaild did not open its socket; its log:\n" + daemon_->log());
}

int daemon_fixture::stop(int sig) {
  const int status = daemon_->stop(sig);
  return status;
}

http_answer daemon_fixture::curl(const std::string& method, const std::string& path,
                                 const std::string& body, const std::string& content_type) {
  std::vector<std::string> argv{"curl", "-sS", "--unix-socket", socket().string(), "-X", method,
                                "-w", "\n%{http_code}"};
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
    argv.insert(argv.end(), {"-H", "Content-Type: " + content_type, "--data-binary", "@-"});
  }
  argv.push_back("http://localhost" + path);
  auto r = run(argv, body);
  http_answer a;
  auto nl = r.out.rfind('\n');
  if (nl == std::string::npos) return a;
  a.body = r.out.substr(0, nl);
  a.status = std::stoi(r.out.substr(nl + 1));
  return a;
}

run_result daemon_fixture::jailctl(const std::vector<std::string>& args,
                                   const std::string& input) {
  std::vector<std::string> argv{jailctl_binary(), "--socket", socket().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, input);
}

std::string daemon_fixture::root(const std::string& name) {
  std::filesystem::create_directories(roots_ / name);
  return (roots_ / name).string();
}

std::string daemon_fixture::rooted(std::string text) {
  static const std::regex jail_root("/jails/([A-Za-z0-9_$-]+)");
  std::string out;
  auto at = text.cbegin();
  for (std::sregex_iterator it(text.begin(), text.end(), jail_root), end; it != end; ++it) {
    const auto& m = *it;
    out.append(at, m[0].first);
    const std::string name = m[1];
    out += name.starts_with("$") ? (roots_.path() / name).string() : root(name);
    at = m[0].second;
  }
  out.append(at, text.cend());
  return out;
}

std::string daemon_fixture::dump_database() {
  auto r = run({"sqlite3", database().string(), ".dump"});
  if (r.status != 0) throw std::runtime_error("sqlite3 .dump failed: " + r.err);
  return r.out;
}

}  // namespace jaild::test
