// floor_server: the cheapest possible HTTP answer on a UNIX socket, to
// measure the load client's own cost (the floor under every API figure).
// One thread per connection, a prebuilt response of BODY_BYTES.
//
//   floor_server SOCKET BODY_BYTES
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <thread>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: floor_server SOCKET BODY_BYTES\n";
    return 2;
  }
  const std::string path = argv[1];
  const std::size_t body = std::strtoull(argv[2], nullptr, 10);
  const std::string response = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                               "Content-Length: " + std::to_string(body) + "\r\n\r\n" +
                               std::string(body, 'x');
  ::unlink(path.c_str());
  int ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
  if (bind(ls, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(ls, 128) != 0) {
    std::perror("floor_server");
    return 1;
  }
  while (true) {
    int fd = accept4(ls, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::thread([fd, &response] {
      std::string buf;
      char tmp[16384];
      while (true) {
        ssize_t n = ::read(fd, tmp, sizeof tmp);
        if (n <= 0) break;
        buf.append(tmp, static_cast<std::size_t>(n));
        std::size_t end;
        while ((end = buf.find("\r\n\r\n")) != std::string::npos) {
          buf.erase(0, end + 4);
          std::size_t done = 0;
          while (done < response.size()) {
            ssize_t w = ::write(fd, response.data() + done, response.size() - done);
            if (w <= 0) break;
            done += static_cast<std::size_t>(w);
          }
        }
      }
      close(fd);
    }).detach();
  }
}
