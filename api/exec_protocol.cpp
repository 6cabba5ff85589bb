#include "api/exec_protocol.h"

#include <signal.h>

#include <fmt/format.h>

#include "lib/model/signal_name.h"
#include "lib/model/validate.h"

namespace jaild::api {
namespace {

nlohmann::json parse_message(std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    throw error(errc::malformed_json, "a text message of a streaming exec is one JSON object");
  return j;
}

unsigned window_size(model::json_reader& r, std::string_view key, unsigned fallback) {
  auto v = r.integer(key);
  if (!v) return fallback;
  if (*v < 1 || *v > 10000)
    r.fail(errc::invalid_value, key, fmt::format("{} must be from 1 to 10000", key));
  return static_cast<unsigned>(*v);
}

}  // namespace

exec_command read_exec_command(model::json_reader& r, bool argv_required) {
  exec_command c;
  if (auto v = r.strings("argv")) c.argv = *v;
  if (argv_required && c.argv.empty())
    throw error(errc::missing_field, "exec needs a non-empty 'argv' (no shell is implied)",
                "/argv");
  if (const auto* env = r.object("env")) {
    for (const auto& [k, v] : env->items()) {
      if (!v.is_string())
        throw error(errc::invalid_type, fmt::format("env '{}' must be a string", k),
                    "/env/" + model::pointer_escape(k));
      if (k.empty() || k.find('=') != std::string::npos)
        throw error(errc::invalid_value, fmt::format("'{}' is not an environment name", k),
                    "/env/" + model::pointer_escape(k));
      c.env[k] = v.get<std::string>();
    }
  }
  if (auto v = r.string("user")) c.user = *v;
  if (auto v = r.string("cwd")) {
    c.cwd = *v;
    if (!v->empty())
      if (auto why = model::check::absolute_path(*v); !why.empty())
        r.fail(errc::invalid_value, "cwd", why);
  }
  return c;
}

host::exec_stream_request parse_exec_start(std::string_view text) {
  const auto j = parse_message(text);
  model::json_reader r(j, "", "a streaming exec's first message");
  if (auto type = r.string("type"); type && *type != "start")
    r.fail(errc::invalid_value, "type", "the first message starts the command: type \"start\"");
  host::exec_stream_request req;
  if (auto v = r.boolean("login")) req.login = *v;
  auto c = read_exec_command(r, !req.login);
  if (req.login && !c.argv.empty())
    r.fail(errc::invalid_value, "argv", "login runs the user's login shell: give no argv");
  req.argv = std::move(c.argv);
  req.env = std::move(c.env);
  req.user = std::move(c.user);
  req.cwd = std::move(c.cwd);
  if (auto v = r.boolean("tty")) req.tty = *v;
  req.rows = window_size(r, "rows", req.rows);
  req.cols = window_size(r, "cols", req.cols);
  r.finish("the first message takes argv (or login), env, user, cwd, tty, rows, cols");
  return req;
}

exec_control parse_exec_control(std::string_view text) {
  const auto j = parse_message(text);
  model::json_reader r(j, "", "a streaming exec's message");
  const auto type = r.string("type");
  if (!type) throw error(errc::missing_field, "a message needs a 'type'", "/type");
  exec_control c;
  if (*type == "resize") {
    c.what = exec_control::kind::resize;
    c.rows = window_size(r, "rows", 0);
    c.cols = window_size(r, "cols", 0);
    if (!c.rows || !c.cols)
      throw error(errc::missing_field, "resize needs rows and cols", c.rows ? "/cols" : "/rows");
  } else if (*type == "signal") {
    c.what = exec_control::kind::signal;
    auto name = r.string("signal");
    if (!name) throw error(errc::missing_field, "signal needs 'signal' (\"INT\")", "/signal");
    auto number = model::signal_number(*name);
    if (!number) r.fail(errc::invalid_value, "signal", fmt::format("'{}' is not a signal", *name));
    // What enters the jail passes signals on; STOP would stop it instead.
    if (*number == SIGSTOP)
      r.fail(errc::invalid_value, "signal", "STOP cannot be passed on to the command; send TSTP");
    c.signal = *number;
  } else if (*type == "eof") {
    c.what = exec_control::kind::eof;
  } else if (*type == "stdin") {
    c.what = exec_control::kind::input;
    auto data = r.string("data");
    if (!data) throw error(errc::missing_field, "stdin needs 'data'", "/data");
    c.data = std::move(*data);
  } else {
    r.fail(errc::invalid_value, "type",
           fmt::format("'{}' is not a message: resize, signal, eof or stdin", *type));
  }
  r.finish();
  return c;
}

std::string exec_started_message(bool tty) {
  return model::dump_json({{"type", "started"}, {"tty", tty}});
}

std::string exec_exit_message(int exit_code) {
  return model::dump_json({{"type", "exit"}, {"exit_code", exit_code}});
}

std::string exec_error_message(const nlohmann::json& problem) {
  return model::dump_json({{"type", "error"}, {"problem", problem}});
}

}  // namespace jaild::api
