// The status page (GET /ui) in a real browser: Debian's chromium, headless,
// driven through the DevTools protocol by tests/system/helpers/status_page.py,
// against a jaild on HTTPS with a viewer's token. The page must show a jail
// go from stopped to running without a reload (through /v1/events), its boot
// plan and the start operation; a screenshot is kept beside the test binary.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/support/temp_dir.h"
#include "tests/support/test_ca.h"
#include "tests/system/scenario.h"

using namespace jaild;
using namespace jaild::systest;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

const std::string driver = std::string(JAILD_TEST_SOURCE_HELPERS) + "/status_page.py";

// curl over HTTPS: the status line's code and the headers, then the body.
test::run_result https_get(const test::test_ca& ca, const std::string& url,
                           const std::vector<std::string>& extra = {}) {
  std::vector<std::string> argv{"curl", "-sS", "-i", "--cacert", ca.ca_cert().string()};
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.push_back(url);
  return test::run(argv);
}

}  // namespace

TEST_CASE("status page: chromium sees a jail go from stopped to running, live", "[system][ui]") {
  if (!std::filesystem::exists("/usr/bin/chromium")) FAIL("chromium is missing (tests/deps)");
  test::temp_dir certs{"jaild-ui-ca"};
  test::test_ca ca(certs.path());
  const std::string address = "127.0.0.1:" + std::to_string(test::free_port());
  scenario s("[https]\nlisten = \"" + address + "\"\ncert = \"" + ca.server().cert.string() +
             "\"\nkey = \"" + ca.server().key.string() + "\"\n");
  s.define("ui", {{"limits", {"maxproc:deny=64"}}});
  const std::string base = "https://" + address;

  // The page's files need no credential and carry a policy that allows only
  // jaild's own; the API behind them still does.
  auto page = https_get(ca, base + "/ui");
  CHECK(page.out.starts_with("HTTP/1.1 200"));
  CHECK(page.out.find("Content-Security-Policy: default-src 'none'; script-src 'self'") !=
        std::string::npos);
  CHECK(page.out.find("<script src=\"/ui/app.js\"") != std::string::npos);
  CHECK(https_get(ca, base + "/v1/jails").out.starts_with("HTTP/1.1 401"));
  CHECK(https_get(ca, base + "/ui", {"-H", "Authorization: Bearer jaild_bogus"})
            .out.starts_with("HTTP/1.1 401"));

  auto r = s.daemon().jailctl({"token", "create", s.name("ui-viewer"), "--role", "viewer"});
  REQUIRE(r.status == 0);
  const auto token = r.out.substr(0, r.out.find('\n'));

  const auto go = s.daemon().state_dir() / "ui.go";
  const auto shot = std::filesystem::current_path() / "status-page.png";
  std::filesystem::remove(shot);
  test::background browser({"/usr/bin/python3", driver, base + "/ui#token=" + token,
                            s.name("ui"), shot.string(), go.string()},
                           s.daemon().state_dir() / "browser.log");
  REQUIRE(s.eventually([&] { return browser.log().find("seen stopped") != std::string::npos; },
                       60s));
  REQUIRE(s.daemon().curl("POST", "/v1/jails/" + s.name("ui") + "/start").status == 200);
  std::ofstream(go.string()) << "go\n";
  CHECK(browser.wait(60s) == 0);
  const auto out = browser.log();
  INFO(out);
  CHECK(out.find("seen running") != std::string::npos);
  CHECK(out.find("errors: 0") != std::string::npos);
  // Through /v1/events, not the page's 5 s usage refresh.
  CHECK(out.find("refreshed by: event") != std::string::npos);
  // The boot plan names the jail; the operations list has its start; the
  // token is gone from the address bar.
  const auto line = [&](const std::string& key) {
    const auto at = out.find(key + ": ");
    return at == std::string::npos ? std::string()
                                   : out.substr(at, out.find('\n', at) - at);
  };
  CHECK(line("waves").find(s.name("ui")) != std::string::npos);
  CHECK(line("operations").find("start") != std::string::npos);
  CHECK(line("address bar").find("token") == std::string::npos);
  // The screenshot, kept as the test's artifact.
  std::ifstream png(shot, std::ios::binary);
  std::string magic(8, '\0');
  png.read(magic.data(), 8);
  CHECK(magic == "\x89PNG\r\n\x1a\n");
  CHECK(std::filesystem::file_size(shot) > 5000);
}
