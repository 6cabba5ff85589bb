// The streaming exec's messages: what the first message and the control
// messages may say, and the refusal of everything else.
#include "api/exec_protocol.h"

#include <signal.h>

#include <catch2/catch.hpp>

using namespace jaild;
using nlohmann::json;

namespace {

void refused(const std::string& text, errc code, const std::string& field = {}, bool start = true) {
  INFO(text);
  try {
    if (start)
      api::parse_exec_start(text);
    else
      api::parse_exec_control(text);
    FAIL("accepted");
  } catch (const jaild::error& e) {
    CHECK(e.code() == code);
    if (!field.empty()) CHECK(e.field() == field);
  }
}

}  // namespace

TEST_CASE("exec protocol: the first message is the command", "[api]") {
  auto r = api::parse_exec_start(
      R"({"argv":["sh","-c","x"],"env":{"TERM":"xterm"},"user":"www","cwd":"/tmp","tty":true,"rows":40,"cols":120})");
  CHECK(r.argv == std::vector<std::string>{"sh", "-c", "x"});
  CHECK(r.env.at("TERM") == "xterm");
  CHECK(r.user == "www");
  CHECK(r.cwd == "/tmp");
  CHECK(r.tty);
  CHECK(r.rows == 40);
  CHECK(r.cols == 120);
  CHECK_FALSE(r.login);
  r = api::parse_exec_start(R"({"type":"start","argv":["true"]})");
  CHECK_FALSE(r.tty);
  CHECK(r.rows == 24);
  CHECK(r.cols == 80);
  r = api::parse_exec_start(R"({"login":true,"tty":true})");
  CHECK(r.login);
  CHECK(r.argv.empty());

  refused("not json", errc::malformed_json);
  refused("[1]", errc::malformed_json);
  refused(R"({"argv":[]})", errc::missing_field, "/argv");
  refused(R"({"argv":["x"],"shell":true})", errc::unknown_field);
  refused(R"({"argv":["x"],"cwd":"tmp"})", errc::invalid_value, "/cwd");
  refused(R"({"argv":["x"],"rows":0})", errc::invalid_value, "/rows");
  refused(R"({"argv":["x"],"cols":100000})", errc::invalid_value, "/cols");
  refused(R"({"argv":["x"],"env":{"A=B":"1"}})", errc::invalid_value);
  refused(R"({"login":true,"argv":["sh"]})", errc::invalid_value, "/argv");
  refused(R"({"type":"resize","argv":["x"]})", errc::invalid_value, "/type");
}

TEST_CASE("exec protocol: resize, signal, eof and text stdin", "[api]") {
  auto c = api::parse_exec_control(R"({"type":"resize","rows":50,"cols":132})");
  CHECK(c.what == api::exec_control::kind::resize);
  CHECK(c.rows == 50);
  CHECK(c.cols == 132);
  c = api::parse_exec_control(R"({"type":"signal","signal":"INT"})");
  CHECK(c.what == api::exec_control::kind::signal);
  CHECK(c.signal == SIGINT);
  CHECK(api::parse_exec_control(R"({"type":"eof"})").what == api::exec_control::kind::eof);
  c = api::parse_exec_control(R"({"type":"stdin","data":"ls\n"})");
  CHECK(c.what == api::exec_control::kind::input);
  CHECK(c.data == "ls\n");

  refused(R"({"rows":1})", errc::missing_field, "/type", false);
  refused(R"({"type":"resize","rows":5})", errc::missing_field, "/cols", false);
  refused(R"({"type":"signal","signal":"SEGV"})", errc::invalid_value, "/signal", false);
  refused(R"({"type":"signal"})", errc::missing_field, "/signal", false);
  refused(R"({"type":"signal","signal":"STOP"})", errc::invalid_value, "/signal", false);
  refused(R"({"type":"stdin"})", errc::missing_field, "/data", false);
  refused(R"({"type":"detach"})", errc::invalid_value, "/type", false);
  refused(R"({"type":"eof","now":true})", errc::unknown_field, "", false);
}

TEST_CASE("exec protocol: jaild's messages", "[api]") {
  CHECK(json::parse(api::exec_started_message(true)) == json{{"type", "started"}, {"tty", true}});
  CHECK(json::parse(api::exec_exit_message(130)) == json{{"type", "exit"}, {"exit_code", 130}});
  CHECK(json::parse(api::exec_error_message({{"code", "x"}}))["problem"]["code"] == "x");
}
