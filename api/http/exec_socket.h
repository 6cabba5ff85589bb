// The streaming exec's WebSocket session (GET /v1/jails/{name}/exec), for
// the UNIX socket and HTTPS alike. Included by server.cpp only, so that
// Beast stays in one translation unit.
//
// One strand per session runs everything: the handshake, the first message
// (the command, api/exec_protocol.h), the command's start on the blocking
// pool, then at once: the client's messages (stdin written to the command
// before the next message is read, so a command that does not read holds the
// client back), stdout and stderr (each read again only when its last chunk
// has been written to the client, so a client that does not read holds the
// command back: memory stays at one chunk per stream), and the command's
// exit (its pidfd). When the command has ended and its streams are drained
// (EOF, or a quarter of a second without more: a daemon it left may hold
// them), the client gets the "exit" message and a normal close.
//
// A client that goes away (a close, an error, no answer to pings for 60 s)
// hangs the command up: SIGHUP to its process group, its streams closed
// (a TTY's hang-up), and SIGKILL to what entered the jail after 2 s, which
// ends the command with it. The session ends when the command is reaped, so
// nothing is left behind, not even a zombie.
#pragma once

#include <signal.h>

#include <array>
#include <deque>
#include <optional>
#include <string>

#include <boost/asio.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "api/exec_protocol.h"
#include "api/exec_upgrade.h"
#include "api/http/session_state.h"
#include "api/problem.h"
#include "lib/model/exec_wire.h"

namespace jaild::api::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace websocket = boost::beast::websocket;
namespace wire = jaild::model::exec_wire;

template <class Stream>
class exec_socket : public closable, public std::enable_shared_from_this<exec_socket<Stream>> {
 public:
  exec_socket(Stream stream, std::shared_ptr<shared_state> state, slot_counter slots,
              std::shared_ptr<exec_upgrade> up)
      : ws_(std::move(stream)),
        state_(std::move(state)),
        slots_(std::move(slots)),
        up_(std::move(up)),
        input_(ws_.get_executor()),
        output_(ws_.get_executor()),
        error_(ws_.get_executor()),
        exit_(ws_.get_executor()),
        timer_(ws_.get_executor()) {}

  void run(bhttp::request<bhttp::string_body> req) {
    // Beast's own timeouts from here: the handshake, and pings when idle.
    beast::get_lowest_layer(ws_).expires_never();
    auto t = websocket::stream_base::timeout::suggested(beast::role_type::server);
    t.handshake_timeout = std::chrono::seconds(10);
    t.idle_timeout = std::chrono::seconds(60);
    t.keep_alive_pings = true;
    ws_.set_option(t);
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(bhttp::field::server, "jaild/" JAILD_VERSION); }));
    ws_.read_message_max(state_->options.max_body_bytes);
    auto req_ptr = std::make_shared<bhttp::request<bhttp::string_body>>(std::move(req));
    ws_.async_accept(*req_ptr, [self = this->shared_from_this(), req_ptr](beast::error_code ec) {
      if (ec) return self->end();
      self->ws_.async_read(self->in_, beast::bind_front_handler(&exec_socket::on_first, self));
    });
  }

  void close() override {
    net::post(ws_.get_executor(), [self = this->shared_from_this()] { self->close_now(); });
  }

  void close_now() override {
    gone_ = true;
    if (proc_ && !exited_) proc_->signal(SIGKILL);
    cancel_streams();
    beast::error_code ec;
    timer_.cancel();
    exit_.close(ec);
    beast::get_lowest_layer(ws_).socket().close(ec);
  }

 private:
  static websocket::close_reason reason(std::uint16_t code, const std::string& text) {
    return websocket::close_reason(static_cast<websocket::close_code>(code), text);
  }

  struct outgoing {
    bool text;
    std::string data;
    std::size_t resume;  // the stream to read again once this is written (0: none)
  };

  void on_first(beast::error_code ec, std::size_t) {
    if (ec) return end();
    if (!ws_.got_text())
      return refuse(errc::bad_request,
                    "the first message is the command, as a JSON text message (docs/api.md)");
    auto text = beast::buffers_to_string(in_.data());
    in_.consume(in_.size());
    // Starting the command enters the jail: the blocking pool's work.
    state_->run_blocking([self = this->shared_from_this(), text = std::move(text)] {
      std::unique_ptr<host::exec_session> proc;
      bool tty = false;
      std::optional<response> refusal;
      try {
        proc = self->up_->open(text, tty);
      } catch (const jaild::error& e) {
        refusal = problem(e, "/v1/jails/" + self->up_->jail + "/exec");
      } catch (const std::exception& e) {
        refusal = problem(errc::internal, std::string("internal error: ") + e.what());
      }
      net::post(self->ws_.get_executor(), [self, proc = std::move(proc), tty,
                                           refusal = std::move(refusal)]() mutable {
        if (refusal) return self->refuse(std::move(*refusal));
        self->on_open(std::move(proc), tty);
      });
    });
  }

  void on_open(std::unique_ptr<host::exec_session> proc, bool tty) {
    proc_ = std::move(proc);  // gone or not: its destructor ends and reaps it
    if (gone_) return end();
    tty_input_ = tty;
    const auto s = proc_->take_streams();
    beast::error_code ec;
    if (s.input >= 0) input_.assign(s.input, ec);
    if (s.output >= 0) output_.assign(s.output, ec);
    if (s.error >= 0) error_.assign(s.error, ec);
    exit_.assign(s.exit, ec);
    done_[1] = !output_.is_open();
    done_[2] = !error_.is_open();
    enqueue(true, exec_started_message(tty));
    read_stream(wire::stdout_channel);
    read_stream(wire::stderr_channel);
    wait_exit();
    read_client();
  }

  // ---- The command's output, one chunk per stream at a time.

  boost::asio::posix::stream_descriptor& stream_of(std::size_t channel) {
    return channel == wire::stdout_channel ? output_ : error_;
  }

  void read_stream(std::size_t channel) {
    auto& d = stream_of(channel);
    if (!d.is_open() || done_[channel]) return;
    auto& buf = buffers_[channel];
    d.async_read_some(net::buffer(buf.data() + 1, buf.size() - 1),
                      [self = this->shared_from_this(), channel](beast::error_code ec, std::size_t n) {
                        // EOF, EIO (a TTY whose last slave closed), or cancelled.
                        if (ec) return self->stream_done(channel);
                        auto& b = self->buffers_[channel];
                        b[0] = static_cast<char>(channel);
                        self->enqueue(false, std::string(b.data(), n + 1), channel);
                      });
  }

  void stream_done(std::size_t channel) {
    done_[channel] = true;
    beast::error_code ec;
    stream_of(channel).close(ec);
    maybe_finish();
  }

  void wait_exit() {
    exit_.async_wait(boost::asio::posix::descriptor::wait_read,
                     [self = this->shared_from_this()](beast::error_code ec) {
                       if (ec) return;
                       auto code = self->proc_->reap();
                       if (!code) return self->wait_exit();
                       self->exited_ = true;
                       self->exit_code_ = *code;
                       beast::error_code ignored;
                       self->exit_.close(ignored);
                       if (self->gone_) return self->end();
                       // What a daemon the command left holds open is not waited for.
                       self->timer_.expires_after(std::chrono::milliseconds(250));
                       self->timer_.async_wait([self](beast::error_code wait_ec) {
                         if (wait_ec) return;
                         self->drained_ = true;
                         self->maybe_finish();
                       });
                       self->maybe_finish();
                     });
  }

  void maybe_finish() {
    if (finished_ || !exited_ || gone_) return;
    if (!(done_[1] && done_[2]) && !drained_) return;
    finished_ = true;
    timer_.cancel();
    cancel_streams();
    enqueue(true, exec_exit_message(exit_code_));
    close_after_ = reason(wire::close_exited, "exit " + std::to_string(exit_code_));
    if (!writing_) write_next();
  }

  // ---- The client's messages.

  void read_client() {
    if (gone_ || finished_) return;
    ws_.async_read(in_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->client_gone();
      self->on_message();
    });
  }

  void on_message() {
    if (!ws_.got_text()) {
      auto data = beast::buffers_to_string(in_.data());
      in_.consume(in_.size());
      if (data.empty() || static_cast<unsigned char>(data[0]) != wire::stdin_channel)
        return refuse(errc::bad_request,
                      "a binary message from the client is stdin: its first byte is 0");
      return write_input(data.substr(1));
    }
    const auto text = beast::buffers_to_string(in_.data());
    in_.consume(in_.size());
    exec_control c;
    try {
      c = parse_exec_control(text);
    } catch (const jaild::error& e) {
      return refuse(problem(e, "/v1/jails/" + up_->jail + "/exec"));
    }
    switch (c.what) {
      case exec_control::kind::resize:
        proc_->resize(c.rows, c.cols);
        break;
      case exec_control::kind::signal:
        if (!exited_) proc_->signal(c.signal);
        break;
      case exec_control::kind::eof:
        if (tty_input_) {
          // A terminal has no end of input of its own: its EOF character.
          return write_input("\x04");
        }
        if (input_.is_open()) {
          beast::error_code ec;
          input_.close(ec);
        }
        break;
      case exec_control::kind::input:
        return write_input(std::move(c.data));
    }
    read_client();
  }

  void write_input(std::string data) {
    if (!input_.is_open() || data.empty()) return read_client();
    auto held = std::make_shared<std::string>(std::move(data));
    net::async_write(input_, net::buffer(*held),
                     [self = this->shared_from_this(), held](beast::error_code ec, std::size_t) {
                       // A command that closed its stdin takes no more of it.
                       if (ec) {
                         beast::error_code ignored;
                         self->input_.close(ignored);
                       }
                       self->read_client();
                     });
  }

  // ---- Messages to the client, one write at a time.

  void enqueue(bool text, std::string data, std::size_t resume = 0) {
    queue_.push_back({text, std::move(data), resume});
    if (!writing_) write_next();
  }

  void write_next() {
    if (gone_) return;
    if (queue_.empty()) {
      writing_ = false;
      if (close_after_) {
        auto reason = *close_after_;
        close_after_.reset();
        ws_.async_close(reason, [self = this->shared_from_this()](beast::error_code) {
          self->end();
        });
      }
      return;
    }
    writing_ = true;
    auto& m = queue_.front();
    ws_.text(m.text);
    ws_.async_write(net::buffer(m.data),
                    [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                      const std::size_t resume = self->queue_.front().resume;
                      self->queue_.pop_front();
                      self->writing_ = false;
                      if (ec) return self->client_gone();
                      if (resume) self->read_stream(resume);
                      self->write_next();
                    });
  }

  // The session cannot go on: the client gets the problem and a close code
  // of 4000 + its HTTP status.
  void refuse(response r) {
    auto body = nlohmann::json::parse(r.payload(), nullptr, false);
    drop_queued();
    enqueue(true, exec_error_message(body));
    finished_ = true;
    close_after_ = reason(static_cast<std::uint16_t>(wire::close_problem_base + r.status),
                          body.is_object() ? body.value("code", "") : "");
    if (proc_ && !exited_) hang_up();
  }
  void refuse(errc code, std::string detail) {
    refuse(problem(code, std::move(detail), "/v1/jails/" + up_->jail + "/exec"));
  }

  // ---- Ends.

  void client_gone() {
    if (gone_) return;
    gone_ = true;
    drop_queued();
    if (!proc_ || exited_) return end();
    hang_up();
  }

  // SIGHUP and the streams closed now, SIGKILL in 2 s; the exit wait reaps.
  void hang_up() {
    proc_->signal(SIGHUP);
    cancel_streams();
    timer_.expires_after(std::chrono::seconds(2));
    timer_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
      if (!ec && !self->exited_) self->proc_->signal(SIGKILL);
    });
  }

  // Drops what waits to be written; a write under way keeps its message
  // until it completes.
  void drop_queued() {
    queue_.erase(writing_ && !queue_.empty() ? queue_.begin() + 1 : queue_.begin(), queue_.end());
  }

  void cancel_streams() {
    beast::error_code ec;
    input_.close(ec);
    output_.close(ec);
    error_.close(ec);
  }

  void end() {
    if (ended_) return;
    ended_ = true;
    beast::error_code ec;
    timer_.cancel();
    cancel_streams();
    beast::get_lowest_layer(ws_).socket().close(ec);
    // Still running (jaild stops, or the client went away while it started):
    // the session's destructor kills and reaps it.
    if (proc_ && !exited_) proc_->signal(SIGKILL);
    std::lock_guard lock(state_->sessions_mutex);
    state_->sessions.erase(this->shared_from_this());
  }

  websocket::stream<Stream> ws_;
  std::shared_ptr<shared_state> state_;
  slot_counter slots_;
  std::shared_ptr<exec_upgrade> up_;
  beast::flat_buffer in_;
  std::unique_ptr<host::exec_session> proc_;
  boost::asio::posix::stream_descriptor input_, output_, error_, exit_;
  net::steady_timer timer_;
  std::array<std::array<char, 16385>, 3> buffers_{};  // [channel]: the channel byte, then data
  std::array<bool, 3> done_{true, false, false};
  std::deque<outgoing> queue_;
  std::optional<websocket::close_reason> close_after_;
  bool tty_input_ = false;
  bool writing_ = false, exited_ = false, drained_ = false, finished_ = false;
  bool gone_ = false, ended_ = false;
  int exit_code_ = 0;
};

}  // namespace jaild::api::http
